import { STATUS_CODES } from 'node:http';
import {
  type AuthCredentialsStoreMode,
  type AuthDotJson,
  CodexError,
  resolvedAuthMode,
} from '@codex/protocol';
import { type AuthStorageOptions, createAuthStorage } from './auth-storage.ts';
import { revokeAuthTokens } from './login-actions.ts';
import type { PkceCodes } from './pkce.ts';
import { CLIENT_ID } from './token-authority.ts';
import { decodeJwtPayload, parseIdToken } from './token-data.ts';
import type { fetch } from './undici-fetch.ts';

/** The ChatGPT sign-in authority. */
export const DEFAULT_ISSUER = 'https://auth.openai.com';
/** Names another sign-in authority (tests, self-hosted setups). */
export const LOGIN_ISSUER_ENV_VAR = 'CODEX_LOGIN_ISSUER';

type Env = Readonly<Record<string, string | undefined>>;

/** A ChatGPT sign-in (browser or device code) did not complete; the message is upstream's text. */
export class LoginFlowError extends CodexError {
  override get name(): 'LoginFlowError' {
    return 'LoginFlowError';
  }
  readonly code = 'LOGIN_FAILED';
}

/** What both ChatGPT sign-in flows need. */
export type LoginFlowOptions = {
  readonly codexHome: string;
  readonly storeMode: AuthCredentialsStoreMode;
  /** `CODEX_LOGIN_ISSUER`, `CODEX_REVOKE_TOKEN_URL_OVERRIDE`, ...; defaults to process.env. */
  readonly env?: Env;
  /** Defaults to `CODEX_LOGIN_ISSUER`, else https://auth.openai.com. */
  readonly issuer?: string;
  readonly clientId?: string;
  /** `forced_chatgpt_workspace_id`: one id or a list; empty or absent means any workspace. */
  readonly forcedWorkspaceIds?: string | readonly string[] | null;
  readonly storage?: AuthStorageOptions;
  readonly onWarning?: (message: string) => void;
  readonly now?: () => number;
};

/** The issuer base URL, without a trailing slash. */
export function loginIssuer(options: Pick<LoginFlowOptions, 'env' | 'issuer'>): string {
  const env = options.env ?? process.env;
  const issuer = options.issuer ?? (env[LOGIN_ISSUER_ENV_VAR]?.trim() || DEFAULT_ISSUER);
  return issuer.replace(/\/+$/, '');
}

/** The forced workspace ids as a list (empty: no restriction). */
export function forcedWorkspaceList(forced: LoginFlowOptions['forcedWorkspaceIds']): string[] {
  if (forced == null) return [];
  return typeof forced === 'string' ? [forced] : [...forced];
}

function statusText(status: number): string {
  const reason = STATUS_CODES[status];
  return reason === undefined ? String(status) : `${status} ${reason}`;
}

/** Upstream's reading of a token-endpoint error body: description, then error.message, then the code, else the text. */
export function tokenEndpointErrorMessage(body: string): string {
  const trimmed = body.trim();
  if (trimmed === '') return 'unknown error';
  try {
    const json = JSON.parse(trimmed) as Record<string, unknown>;
    const error = json['error'];
    const errorObject =
      typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : null;
    const code =
      typeof error === 'string' && error.trim() !== ''
        ? error
        : typeof errorObject?.['code'] === 'string' && errorObject['code'].trim() !== ''
          ? errorObject['code']
          : null;
    const description = json['error_description'];
    if (typeof description === 'string' && description.trim() !== '') return description;
    const message = errorObject?.['message'];
    if (typeof message === 'string' && message.trim() !== '') return message;
    if (code !== null) return code;
  } catch {
    // not JSON: the raw text is the message
  }
  return trimmed;
}

export type ExchangedTokens = {
  readonly idToken: string;
  readonly accessToken: string;
  readonly refreshToken: string;
};

function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** An issuer's answer. */
export type IssuerResponse = Awaited<ReturnType<typeof fetch>>;

/** Every sign-in call is bounded (30 s) and never follows a redirect: a code or token goes to the issuer only. */
export const LOGIN_REQUEST_TIMEOUT_MS = 30_000;

/**
 * POSTs to the issuer without following redirects, within {@link LOGIN_REQUEST_TIMEOUT_MS} and `signal`.
 * @throws {LoginFlowError} `error sending request for url (<url>)` on a network error, timeout or redirect
 */
export async function postToIssuer(
  url: string,
  body: { contentType: string; text: string },
  signal?: AbortSignal,
): Promise<IssuerResponse> {
  const timeout = AbortSignal.timeout(LOGIN_REQUEST_TIMEOUT_MS);
  let response: IssuerResponse;
  try {
    // loaded on first use, as in token-authority.ts: a model turn never needs undici's index
    const { fetch } = await import('./undici-fetch.ts');
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': body.contentType },
      body: body.text,
      redirect: 'manual',
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
  } catch (error) {
    throw new LoginFlowError(`error sending request for url (${url})`, { cause: error });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new LoginFlowError(`error sending request for url (${url}): unexpected redirect`);
  }
  return response;
}

/**
 * Trades an authorization code for tokens at `<issuer>/oauth/token`.
 * @throws {LoginFlowError} `token endpoint returned status <status>: <detail>`, or the transport error
 */
export async function exchangeCodeForTokens(request: {
  issuer: string;
  clientId: string;
  redirectUri: string;
  pkce: PkceCodes;
  code: string;
}): Promise<ExchangedTokens> {
  const response = await postToIssuer(`${request.issuer}/oauth/token`, {
    contentType: 'application/x-www-form-urlencoded',
    text: formBody({
      grant_type: 'authorization_code',
      code: request.code,
      redirect_uri: request.redirectUri,
      client_id: request.clientId,
      code_verifier: request.pkce.codeVerifier,
    }),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new LoginFlowError(
      `token endpoint returned status ${statusText(response.status)}: ${tokenEndpointErrorMessage(text)}`,
    );
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new LoginFlowError(`error decoding response body: ${(error as Error).message}`);
  }
  const { id_token: idToken, access_token: accessToken, refresh_token: refreshToken } = body;
  for (const [field, value] of [
    ['id_token', idToken],
    ['access_token', accessToken],
    ['refresh_token', refreshToken],
  ] as const) {
    if (typeof value !== 'string') {
      throw new LoginFlowError(`error decoding response body: missing field \`${field}\``);
    }
  }
  return {
    idToken: idToken as string,
    accessToken: accessToken as string,
    refreshToken: refreshToken as string,
  };
}

/**
 * Best-effort token exchange of the id token for an API key (`requested_token=openai-api-key`).
 * @throws {LoginFlowError} `api key exchange failed with status <status>`
 */
export async function obtainApiKey(
  issuer: string,
  clientId: string,
  idToken: string,
): Promise<string> {
  const response = await postToIssuer(`${issuer}/oauth/token`, {
    contentType: 'application/x-www-form-urlencoded',
    text: formBody({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: clientId,
      requested_token: 'openai-api-key',
      subject_token: idToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    }),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new LoginFlowError(`api key exchange failed with status ${statusText(response.status)}`);
  }
  const body = JSON.parse(text) as { access_token?: unknown };
  if (typeof body.access_token !== 'string') {
    throw new LoginFlowError('error decoding response body: missing field `access_token`');
  }
  return body.access_token;
}

/** The `https://api.openai.com/auth` claims of a JWT; empty when it cannot be read. */
export function jwtAuthClaims(jwt: string): Record<string, unknown> {
  try {
    const auth = decodeJwtPayload(jwt)['https://api.openai.com/auth'];
    return typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Upstream's workspace check on the id token; returns the error text, or null when allowed. */
export function workspaceRestrictionError(
  forced: LoginFlowOptions['forcedWorkspaceIds'],
  idToken: string,
): string | null {
  const expected = forcedWorkspaceList(forced);
  if (expected.length === 0) return null;
  const actual = jwtAuthClaims(idToken)['chatgpt_account_id'];
  if (typeof actual !== 'string') {
    return 'Login is restricted to a specific workspace, but the token did not include an chatgpt_account_id claim.';
  }
  return expected.includes(actual)
    ? null
    : `Login is restricted to workspace id(s) ${expected.join(', ')}.`;
}

function revocableToken(auth: AuthDotJson | null): string | null {
  if (auth === null || resolvedAuthMode(auth) !== 'chatgpt' || auth.tokens == null) return null;
  if (auth.tokens.refresh_token !== '') return auth.tokens.refresh_token;
  return auth.tokens.access_token !== '' ? auth.tokens.access_token : null;
}

/**
 * Saves a fresh ChatGPT login in the configured store (auth.json: 0600, atomic), then revokes the
 * tokens it replaced, best-effort.
 * @throws {AuthStorageError} or {InvalidTokenError} when the id token is not a JWT
 */
export async function persistLoginTokens(
  options: LoginFlowOptions,
  tokens: ExchangedTokens,
  apiKey: string | null,
): Promise<void> {
  const warn = options.onWarning ?? (() => {});
  const storage = createAuthStorage(options.codexHome, options.storeMode, options.storage);
  let previous: AuthDotJson | null = null;
  try {
    previous = await storage.load();
  } catch (error) {
    warn(`failed to load previous auth before saving new login: ${(error as Error).message}`);
  }
  parseIdToken(tokens.idToken);
  const accountId = jwtAuthClaims(tokens.idToken)['chatgpt_account_id'];
  const auth: AuthDotJson = {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: apiKey,
    tokens: {
      id_token: tokens.idToken,
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      account_id: typeof accountId === 'string' ? accountId : null,
    },
    last_refresh: new Date((options.now ?? Date.now)()).toISOString(),
  };
  await storage.save(auth);
  const old = revocableToken(previous);
  if (previous !== null && old !== null && old !== revocableToken(auth)) {
    await revokeAuthTokens(previous, options.env ?? process.env).catch((error: unknown) => {
      warn(`failed to revoke superseded auth tokens after login: ${(error as Error).message}`);
    });
  }
}

/** The client id for a flow. */
export function loginClientId(options: LoginFlowOptions): string {
  return options.clientId ?? CLIENT_ID;
}
