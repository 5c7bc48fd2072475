import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type BrowserVisit, playBrowser } from './play-browser.ts';

/** Upstream's public OAuth client id (the one `codex login` sends). */
export const LOGIN_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** Who signs in at the loopback issuer. */
export interface IssuerAccount {
  readonly email: string;
  /** `chatgpt_account_id` claim (the workspace); null leaves it out. */
  readonly chatgptAccountId: string | null;
  readonly chatgptPlanType: string;
  readonly chatgptUserId: string;
}

export interface LoginIssuerOptions {
  readonly account?: Partial<IssuerAccount>;
  /** The API key the token-exchange grant hands out; null makes that grant fail (500). */
  readonly apiKey?: string | null;
  /** Device-code endpoints answer 404 (upstream's "not enabled"). */
  readonly deviceCodeDisabled?: boolean;
  /** Status of every device-token poll instead of the real answers (e.g. 500). */
  readonly deviceTokenStatus?: number;
  /** `interval` the user-code endpoint sends, in seconds. */
  readonly deviceIntervalSeconds?: number;
}

/** A loopback ChatGPT sign-in authority: a real OpenID provider (`oidc-provider`) at upstream's paths. */
export interface LoginIssuer {
  /** `http://127.0.0.1:<port>`: what CODEX_LOGIN_ISSUER names. */
  readonly url: string;
  readonly account: IssuerAccount;
  /** Grant types of every successful POST /oauth/token, in order. */
  readonly tokenGrants: readonly string[];
  /** JSON bodies POSTed to /oauth/revoke. */
  readonly revoked: readonly Record<string, unknown>[];
  /** Device-token polls answered so far. */
  readonly devicePolls: number;
  /** Plays the user's browser: opens `authUrl`, signs in, consents and follows every redirect. */
  signIn(authUrl: string): Promise<BrowserVisit>;
  /** The user approves a device code in the browser (an authorization-code sign-in held by the issuer). */
  approveDevice(userCode: string): Promise<void>;
  close(): Promise<void>;
}

type DeviceAuth = {
  readonly deviceAuthId: string;
  readonly userCode: string;
  approved: { code: string; verifier: string; challenge: string } | null;
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let signingKey: Record<string, unknown> | null = null;

/** One RSA key per process: generating one per issuer costs ~0.5 s. */
function issuerSigningKey(): Record<string, unknown> {
  signingKey ??= {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: 'loopback',
    use: 'sig',
  };
  return signingKey;
}

/**
 * The issuer deliberately runs oidc-provider's development parts (in-memory store, built-in sign-in pages);
 * its start-up warnings about them would only clutter test output.
 */
function withoutDevelopmentWarnings<T>(build: () => T): T {
  // biome-ignore lint/suspicious/noConsole: filters the library's own console warnings, and restores them
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const [first] = args;
    if (typeof first === 'string' && first.includes('a quick start development-only')) return;
    warn(...args);
  };
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

/** Starts the issuer on 127.0.0.1:0. */
export async function startLoginIssuer(options: LoginIssuerOptions = {}): Promise<LoginIssuer> {
  const account: IssuerAccount = {
    email: 'user@example.com',
    chatgptAccountId: 'org-loopback',
    chatgptPlanType: 'pro',
    chatgptUserId: 'user-loopback',
    ...options.account,
  };
  const apiKey = options.apiKey === undefined ? 'sk-loopback-exchanged-key' : options.apiKey;
  const sockets = new Set<Socket>();
  const server = createServer();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const auth: Record<string, unknown> = {
    chatgpt_plan_type: account.chatgptPlanType,
    chatgpt_user_id: account.chatgptUserId,
  };
  if (account.chatgptAccountId !== null) auth['chatgpt_account_id'] = account.chatgptAccountId;

  // loaded on first use: most suites import test-support without needing an OpenID provider
  const { default: Provider } = await import('oidc-provider');
  const provider = withoutDevelopmentWarnings(
    () =>
      new Provider(url, {
        clients: [
          {
            client_id: LOGIN_CLIENT_ID,
            application_type: 'native',
            token_endpoint_auth_method: 'none',
            grant_types: [
              'authorization_code',
              'refresh_token',
              'urn:ietf:params:oauth:grant-type:token-exchange',
            ],
            response_types: ['code'],
            // loopback redirect URIs match on any port (RFC 8252)
            redirect_uris: ['http://localhost/auth/callback', `${url}/deviceauth/callback`],
          },
        ],
        routes: { authorization: '/oauth/authorize', token: '/oauth/token' },
        jwks: { keys: [issuerSigningKey()] },
        ttl: {
          AccessToken: 3600,
          AuthorizationCode: 600,
          Grant: 3600,
          IdToken: 3600,
          Interaction: 600,
          RefreshToken: 86_400,
          Session: 3600,
        },
        cookies: { keys: [randomBytes(16).toString('hex')] },
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        claims: {
          openid: ['sub'],
          email: ['email', 'email_verified'],
          profile: ['https://api.openai.com/auth'],
        },
        conformIdTokenClaims: false,
        features: { devInteractions: { enabled: true } },
        issueRefreshToken: async () => true,
        findAccount: async (_context: unknown, sub: string) => ({
          accountId: sub,
          claims: async () => ({
            sub,
            email: account.email,
            email_verified: true,
            'https://api.openai.com/auth': auth,
          }),
        }),
      }),
  );
  const tokenGrants: string[] = [];
  provider.registerGrantType(
    'urn:ietf:params:oauth:grant-type:token-exchange',
    async (context: { body: unknown; status: number }) => {
      if (apiKey === null) {
        context.status = 500;
        context.body = { error: 'server_error' };
        return;
      }
      context.body = { access_token: apiKey, token_type: 'Bearer', expires_in: 3600 };
    },
    ['requested_token', 'subject_token', 'subject_token_type'],
  );
  provider.on('grant.success', (context: { oidc: { params: { grant_type?: string } } }) => {
    tokenGrants.push(context.oidc.params.grant_type ?? '');
  });
  const providerCallback = provider.callback();

  const revoked: Record<string, unknown>[] = [];
  const devices = new Map<string, DeviceAuth>();
  let devicePolls = 0;
  const deviceCallbacks = new Map<string, (code: string) => void>();

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', url).pathname;
    const handle = async (): Promise<void> => {
      if (request.method === 'POST' && path === '/oauth/revoke') {
        revoked.push(JSON.parse(await readBody(request)) as Record<string, unknown>);
        return sendJson(response, 200, {});
      }
      if (path.startsWith('/api/accounts/deviceauth/') || path === '/codex/device') {
        await readBody(request).then((text) => deviceEndpoint(path, text, response));
        return;
      }
      if (path === '/deviceauth/callback') {
        const params = new URL(request.url ?? '/', url).searchParams;
        deviceCallbacks.get(params.get('state') ?? '')?.(params.get('code') ?? '');
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('Device approved');
        return;
      }
      return providerCallback(request, response);
    };
    void handle().catch((error: unknown) => sendJson(response, 500, { error: String(error) }));
  });

  const deviceEndpoint = (path: string, text: string, response: ServerResponse) => {
    if (options.deviceCodeDisabled) return sendJson(response, 404, { error: 'not_found' });
    if (path === '/codex/device') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<p>Enter your code</p>');
      return;
    }
    const body = JSON.parse(text || '{}') as Record<string, string>;
    if (path === '/api/accounts/deviceauth/usercode') {
      if (body['client_id'] !== LOGIN_CLIENT_ID)
        return sendJson(response, 400, { error: 'client' });
      const device: DeviceAuth = {
        deviceAuthId: `dev_${randomBytes(8).toString('hex')}`,
        userCode:
          `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase(),
        approved: null,
      };
      devices.set(device.userCode, device);
      return sendJson(response, 200, {
        device_auth_id: device.deviceAuthId,
        user_code: device.userCode,
        interval: String(options.deviceIntervalSeconds ?? 1),
      });
    }
    if (path === '/api/accounts/deviceauth/token') {
      devicePolls += 1;
      if (options.deviceTokenStatus !== undefined) {
        return sendJson(response, options.deviceTokenStatus, { error: 'scripted' });
      }
      const device = devices.get(body['user_code'] ?? '');
      if (device === undefined || device.deviceAuthId !== body['device_auth_id']) {
        return sendJson(response, 404, { error: 'unknown device code' });
      }
      if (device.approved === null) return sendJson(response, 403, { error: 'pending' });
      return sendJson(response, 200, {
        authorization_code: device.approved.code,
        code_challenge: device.approved.challenge,
        code_verifier: device.approved.verifier,
      });
    }
    sendJson(response, 404, { error: 'not_found' });
  };

  const signIn = (authUrl: string) => playBrowser(authUrl, { login: account.chatgptUserId });

  return {
    url,
    account,
    tokenGrants,
    revoked,
    get devicePolls() {
      return devicePolls;
    },
    signIn,
    async approveDevice(userCode) {
      const device = devices.get(userCode);
      if (device === undefined) throw new Error(`unknown user code ${userCode}`);
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const state = randomBytes(8).toString('hex');
      const code = new Promise<string>((resolve) => deviceCallbacks.set(state, resolve));
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: LOGIN_CLIENT_ID,
        redirect_uri: `${url}/deviceauth/callback`,
        scope: 'openid profile email offline_access',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
      });
      await signIn(`${url}/oauth/authorize?${query}`);
      device.approved = { code: await code, verifier, challenge };
      deviceCallbacks.delete(state);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
