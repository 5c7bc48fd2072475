import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { loginErrorPage, oauthCallbackErrorMessage, SUCCESS_PAGE } from './login-pages.ts';
import {
  DEFAULT_ISSUER,
  type ExchangedTokens,
  exchangeCodeForTokens,
  forcedWorkspaceList,
  jwtAuthClaims,
  LoginFlowError,
  type LoginFlowOptions,
  loginClientId,
  loginIssuer,
  obtainApiKey,
  persistLoginTokens,
  workspaceRestrictionError,
} from './oauth-login.ts';
import { generatePkce, generateState, type PkceCodes } from './pkce.ts';

/** Upstream's callback port (its redirect URI allow-list names it). */
export const DEFAULT_LOGIN_PORT = 1455;
const BIND_ATTEMPTS = 10;
const BIND_RETRY_DELAY_MS = 200;
const LOGIN_SCOPE = 'openid profile email offline_access';

export type BrowserLoginOptions = LoginFlowOptions & {
  /** 127.0.0.1 port for the callback server; default 1455, 0 picks a free one. */
  readonly port?: number;
  /** Opens the authorize URL; default: the `open` package. False: print only. Failures are ignored. */
  readonly openBrowser?: boolean | ((url: string) => Promise<unknown>);
  /** A fixed `state` (tests); default 32 random bytes. */
  readonly forceState?: string;
  /** The `originator` query value; default `codex_cli_rs`. */
  readonly originator?: string;
};

/** A running browser sign-in. */
export interface BrowserLogin {
  /** The URL the user opens to sign in. */
  readonly authUrl: string;
  /** The port the callback server listens on. */
  readonly port: number;
  /** Resolves once the tokens are saved and the success page was served; rejects with {@link LoginFlowError}. */
  readonly done: Promise<void>;
  /** Stops the server; `done` rejects with `Login was not completed`. */
  cancel(): void;
}

/** The authorize URL, with upstream's parameters in upstream's order. */
export function buildAuthorizeUrl(request: {
  issuer: string;
  clientId: string;
  redirectUri: string;
  pkce: PkceCodes;
  state: string;
  originator: string;
  forcedWorkspaceIds: readonly string[];
}): string {
  const query: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', request.clientId],
    ['redirect_uri', request.redirectUri],
    ['scope', LOGIN_SCOPE],
    ['code_challenge', request.pkce.codeChallenge],
    ['code_challenge_method', 'S256'],
    ['id_token_add_organizations', 'true'],
    ['codex_cli_simplified_flow', 'true'],
    ['state', request.state],
    ['originator', request.originator],
  ];
  if (request.forcedWorkspaceIds.length > 0) {
    query.push(['allowed_workspace_id', request.forcedWorkspaceIds.join(',')]);
  }
  const encoded = query.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
  return `${request.issuer}/oauth/authorize?${encoded}`;
}

/** Asks a login server left on the port (another `codex login`) to shut down. */
async function sendCancelRequest(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: '/cancel', headers: { connection: 'close' }, timeout: 2000 },
      (response) => {
        response.resume();
        response.on('end', resolve);
        response.on('error', resolve);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      // Stryker disable next-line StringLiteral: a stale once-listener left on a settled attempt has no effect
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      // Stryker disable next-line StringLiteral: a stale once-listener left on a settled attempt has no effect
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

/** Binds 127.0.0.1:port; when taken, cancels an older login server once and retries (10 tries, 200 ms apart). */
async function bindServer(
  server: http.Server,
  port: number,
  onWarning: (text: string) => void,
): Promise<void> {
  let cancelAttempted = false;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await listen(server, port);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        throw new LoginFlowError((error as Error).message, { cause: error });
      }
      if (!cancelAttempted) {
        cancelAttempted = true;
        await sendCancelRequest(port).catch((cancelError: unknown) => {
          onWarning(`Failed to cancel previous login server: ${(cancelError as Error).message}`);
        });
      }
      await delay(BIND_RETRY_DELAY_MS);
      if (attempt >= BIND_ATTEMPTS) {
        throw new LoginFlowError(`Port 127.0.0.1:${port} is already in use`);
      }
    }
  }
}

/** Where upstream sends the browser after a saved login. */
function successUrl(port: number, issuer: string, tokens: ExchangedTokens): string {
  const idClaims = jwtAuthClaims(tokens.idToken);
  const accessClaims = jwtAuthClaims(tokens.accessToken);
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const needsSetup =
    idClaims['completed_platform_onboarding'] !== true && idClaims['is_org_owner'] === true;
  const params: [string, string][] = [
    ['id_token', tokens.idToken],
    ['needs_setup', String(needsSetup)],
    ['org_id', text(idClaims['organization_id'])],
    ['project_id', text(idClaims['project_id'])],
    ['plan_type', text(accessClaims['chatgpt_plan_type'])],
    [
      'platform_url',
      issuer === DEFAULT_ISSUER ? 'https://platform.openai.com' : 'https://platform.api.openai.org',
    ],
  ];
  const query = params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
  return `http://localhost:${port}/success?${query}`;
}

async function openWithDefaultBrowser(url: string): Promise<unknown> {
  const { default: open } = await import('open');
  return open(url);
}

type Outcome = { readonly status: number; readonly body: string; readonly error: string | null };

/**
 * `codex login`: starts the local callback server, builds the PKCE authorize URL and opens the browser.
 * @throws {LoginFlowError} `Port 127.0.0.1:<port> is already in use`
 */
export async function startBrowserLogin(options: BrowserLoginOptions): Promise<BrowserLogin> {
  const issuer = loginIssuer(options);
  const clientId = loginClientId(options);
  const forcedWorkspaceIds = forcedWorkspaceList(options.forcedWorkspaceIds);
  const onWarning = options.onWarning ?? (() => {});
  const pkce = generatePkce();
  const state = options.forceState ?? generateState();

  let settle: (error: string | null) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === null ? resolve() : reject(new LoginFlowError(error)));
  });
  let finished = false;
  const server = http.createServer();
  const finish = (error: string | null) => {
    if (finished) return;
    finished = true;
    server.close();
    server.closeAllConnections();
    settle(error);
  };

  await bindServer(server, options.port ?? DEFAULT_LOGIN_PORT, onWarning);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const redirectUri = `http://localhost:${port}/auth/callback`;

  const terminal = (message: string, code: string | null, description: string | null): Outcome => ({
    status: 200,
    body: loginErrorPage(message, code, description),
    error: message,
  });

  const callback = async (params: URLSearchParams): Promise<Outcome | { redirect: string }> => {
    const error = params.get('error');
    if (error !== null) {
      const description = params.get('error_description');
      return terminal(oauthCallbackErrorMessage(error, description), error, description);
    }
    const code = params.get('code');
    if (code === null || code === '') {
      return terminal(
        'Missing authorization code. Sign-in could not be completed.',
        'missing_authorization_code',
        null,
      );
    }
    let tokens: ExchangedTokens;
    try {
      tokens = await exchangeCodeForTokens({ issuer, clientId, redirectUri, pkce, code });
    } catch (exchangeError) {
      const message = `Token exchange failed: ${(exchangeError as Error).message}`;
      return terminal(message, 'token_exchange_failed', null);
    }
    const restriction = workspaceRestrictionError(forcedWorkspaceIds, tokens.idToken);
    if (restriction !== null) return terminal(restriction, 'workspace_restriction', null);
    const apiKey = await obtainApiKey(issuer, clientId, tokens.idToken).catch(() => null);
    try {
      await persistLoginTokens(options, tokens, apiKey);
    } catch (persistError) {
      return terminal(
        'Sign-in completed but credentials could not be saved locally.',
        'persist_failed',
        (persistError as Error).message,
      );
    }
    return { redirect: successUrl(port, issuer, tokens) };
  };

  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const reply = (outcome: Outcome) => {
      const terminalReply = outcome.status === 200;
      response.writeHead(outcome.status, {
        'content-type': outcome.body.startsWith('<!doctype')
          ? 'text/html; charset=utf-8'
          : 'text/plain; charset=utf-8',
        ...(terminalReply ? { connection: 'close' } : {}),
      });
      response.end(outcome.body, () => {
        if (terminalReply) finish(outcome.error);
      });
    };
    switch (url.pathname) {
      case '/auth/callback': {
        if (finished) break;
        if (url.searchParams.get('state') !== state) {
          reply({ status: 400, body: 'State mismatch', error: null });
          return;
        }
        void callback(url.searchParams).then((outcome) => {
          if ('redirect' in outcome) {
            response.writeHead(302, { location: outcome.redirect });
            response.end();
          } else {
            reply(outcome);
          }
        });
        return;
      }
      case '/success':
        reply({ status: 200, body: SUCCESS_PAGE, error: null });
        return;
      case '/cancel':
        reply({ status: 200, body: 'Login cancelled', error: 'Login cancelled' });
        return;
    }
    reply({ status: 404, body: 'Not Found', error: null });
  });

  const authUrl = buildAuthorizeUrl({
    issuer,
    clientId,
    redirectUri,
    pkce,
    state,
    originator: options.originator ?? 'codex_cli_rs',
    forcedWorkspaceIds,
  });
  const opener = options.openBrowser ?? true;
  if (opener !== false) {
    const openUrl = opener === true ? openWithDefaultBrowser : opener;
    // no browser (a server, a container) is fine: the URL is printed for the user
    void openUrl(authUrl).catch(() => {});
  }
  return { authUrl, port, done, cancel: () => finish('Login was not completed') };
}
