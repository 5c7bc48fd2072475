import { randomBytes } from 'node:crypto';
import { completedReply } from './response-events.ts';
import {
  type RecordedRequest,
  type Reply,
  type ResponsesServer,
  startResponsesServer,
} from './responses-server.ts';

/** What the gateway did, in order; tokens are named by their number, never by their value. */
export type GatewayEvent =
  | { readonly kind: 'issued'; readonly tokenNumber: number; readonly lifetimeMs: number }
  | { readonly kind: 'accepted'; readonly tokenNumber: number; readonly requestPath: string }
  | {
      readonly kind: 'rejected';
      /** null when the request carried no token, or one the gateway never issued. */
      readonly tokenNumber: number | null;
      readonly reason: 'expired' | 'unknown' | 'missing';
      /** For `expired`: how long ago, on the gateway's clock. */
      readonly expiredForMs?: number;
      readonly requestPath: string;
    };

export interface TokenGatewayOptions {
  /** How long an issued token is accepted, on the gateway's clock (default 60 s). */
  readonly tokenLifetimeMs?: number;
  /** The answer streamed to an authorized Responses request. */
  readonly answer?: string;
}

/**
 * A model gateway on 127.0.0.1: the Responses server behind a token check. `POST /oauth/token`
 * issues a short-lived bearer token (`{ access_token, token_type, expires_in }`); `/v1/...` requests
 * are answered only with a token it issued that has not expired, else `401`.
 */
export interface TokenGateway extends AsyncDisposable {
  /** Base URL for `base_url`, `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Where a client signs in: `http://127.0.0.1:PORT/oauth/token`. */
  readonly tokenUrl: string;
  readonly tokenLifetimeMs: number;
  readonly events: readonly GatewayEvent[];
  /** The underlying server, with every request it received. */
  readonly server: ResponsesServer;
  /** Calls `listener` for every event from now on. */
  onEvent(listener: (event: GatewayEvent) => void): void;
  /** Moves the gateway's clock forward, so tokens it issued expire without waiting. */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

type IssuedToken = { readonly number: number; readonly expiresAtMs: number };

const tokenPath = '/oauth/token';

/** Starts a token-checking gateway on an ephemeral loopback port. */
export async function startTokenGateway(options: TokenGatewayOptions = {}): Promise<TokenGateway> {
  const { tokenLifetimeMs = 60_000, answer = 'Hello from behind the gateway.' } = options;
  const issued = new Map<string, IssuedToken>();
  const events: GatewayEvent[] = [];
  const listeners: ((event: GatewayEvent) => void)[] = [];
  let clockOffsetMs = 0;
  const now = () => Date.now() + clockOffsetMs;

  const record = (event: GatewayEvent): void => {
    events.push(event);
    for (const listener of listeners) listener(event);
  };

  const issue = (): Reply => {
    const token = `gw-${randomBytes(18).toString('base64url')}`;
    const number = issued.size + 1;
    issued.set(token, { number, expiresAtMs: now() + tokenLifetimeMs });
    record({ kind: 'issued', tokenNumber: number, lifetimeMs: tokenLifetimeMs });
    return {
      kind: 'status',
      status: 200,
      body: {
        access_token: token,
        token_type: 'Bearer',
        expires_in: Math.floor(tokenLifetimeMs / 1000),
      },
    };
  };

  const reject = (message: string, code: string): Reply => ({
    kind: 'status',
    status: 401,
    body: { error: { message, type: 'invalid_request_error', code } },
  });

  const answerRequest = (request: RecordedRequest): Reply => {
    if (request.method === 'POST' && request.path === tokenPath) return issue();
    const requestPath = request.path;
    const match = /^Bearer (.+)$/.exec(request.headers['authorization'] ?? '');
    if (match?.[1] === undefined) {
      record({ kind: 'rejected', tokenNumber: null, reason: 'missing', requestPath });
      return reject('missing bearer token', 'missing_token');
    }
    const token = issued.get(match[1]);
    if (token === undefined) {
      record({ kind: 'rejected', tokenNumber: null, reason: 'unknown', requestPath });
      return reject('this gateway did not issue that token', 'invalid_token');
    }
    const expiredForMs = now() - token.expiresAtMs;
    if (expiredForMs >= 0) {
      record({
        kind: 'rejected',
        tokenNumber: token.number,
        reason: 'expired',
        expiredForMs,
        requestPath,
      });
      return reject('token expired', 'token_expired');
    }
    record({ kind: 'accepted', tokenNumber: token.number, requestPath });
    return completedReply(answer);
  };

  const server = await startResponsesServer({ responder: answerRequest });
  const origin = new URL(server.url).origin;
  return {
    url: server.url,
    tokenUrl: `${origin}${tokenPath}`,
    tokenLifetimeMs,
    events,
    server,
    onEvent: (listener) => {
      listeners.push(listener);
    },
    advanceClock: (ms) => {
      clockOffsetMs += ms;
    },
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
}
