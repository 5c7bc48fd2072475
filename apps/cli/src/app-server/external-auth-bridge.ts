import {
  type ExternalAuth,
  type ExternalAuthRefreshContext,
  ExternalAuthTokens,
} from '@codex/login';
import {
  ACCOUNT_METHODS,
  type ChatgptAuthTokensRefreshParams,
  ChatgptAuthTokensRefreshResponseSchema,
  CodexError,
  revealSecret,
} from '@codex/protocol';
import { ClientErrorResponse, ServerRequestTimeoutError } from './json-rpc.ts';
import type { JsonRpcConnection } from './json-rpc-connection.ts';

/** Upstream waits this long for the parent app to answer a refresh request. */
export const DEFAULT_AUTH_REFRESH_TIMEOUT_MS = 10_000;

/** Asking the parent app for new ChatGPT tokens failed; the message is upstream's text. */
export class ExternalAuthRefreshError extends CodexError {
  override get name(): 'ExternalAuthRefreshError' {
    return 'ExternalAuthRefreshError';
  }
  readonly code = 'EXTERNAL_AUTH_REFRESH_FAILED';
}

export interface ExternalAuthBridgeOptions {
  readonly connection: Pick<JsonRpcConnection, 'request'>;
  readonly timeoutMs?: number;
}

/** The app-server's {@link ExternalAuth}: new tokens come from the parent app over JSON-RPC. */
export interface ExternalAuthBridge extends ExternalAuth {
  /** Forgets the last refresh, e.g. after the parent app pushed other tokens or logged out. */
  reset(): void;
  /** `account/chatgptAuthTokens/refresh` requests sent so far. */
  readonly requestCount: number;
  /** The tokens of the last successful refresh (null after reset). */
  readonly lastTokens: ExternalAuthTokens | null;
}

/** Formats a duration the way Rust's `Duration` debug output does (`10s`, `250ms`, `1.5s`). */
export function formatDurationMs(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms}ms`;
}

/**
 * Creates the bridge installed as the AuthManager's external auth (mode `chatgpt`): `refresh()` sends
 * `account/chatgptAuthTokens/refresh` to the parent app and turns its answer into ChatGPT tokens.
 * Concurrent refreshes for the same rejected token share one request, and a refresh for a token the
 * bridge already replaced returns the replacement without asking again.
 */
export function createExternalAuthBridge(options: ExternalAuthBridgeOptions): ExternalAuthBridge {
  const { connection, timeoutMs = DEFAULT_AUTH_REFRESH_TIMEOUT_MS } = options;
  let inFlight: { key: string | undefined; promise: Promise<ExternalAuthTokens> } | null = null;
  let last: { rejectedToken: string; tokens: ExternalAuthTokens } | null = null;
  let requestCount = 0;
  let lastTokens: ExternalAuthTokens | null = null;

  const ask = async (previousAccountId: string | null): Promise<ExternalAuthTokens> => {
    const params: ChatgptAuthTokensRefreshParams = { reason: 'unauthorized', previousAccountId };
    requestCount += 1;
    let result: unknown;
    try {
      result = await connection.request(ACCOUNT_METHODS.chatgptAuthTokensRefresh, params, {
        timeoutMs,
      });
    } catch (error) {
      if (error instanceof ServerRequestTimeoutError) {
        throw new ExternalAuthRefreshError(
          `auth refresh request timed out after ${formatDurationMs(timeoutMs)}`,
        );
      }
      if (error instanceof ClientErrorResponse) {
        throw new ExternalAuthRefreshError(`auth refresh request failed: ${error.message}`);
      }
      const detail = error instanceof Error ? error.message : String(error);
      throw new ExternalAuthRefreshError(`auth refresh request canceled: ${detail}`);
    }
    const parsed = ChatgptAuthTokensRefreshResponseSchema.safeParse(result);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      throw new ExternalAuthRefreshError(
        `invalid auth refresh response${where}: ${issue?.message ?? 'invalid value'}`,
      );
    }
    const { accessToken, chatgptAccountId, chatgptPlanType } = parsed.data;
    lastTokens = ExternalAuthTokens.chatgpt(accessToken, chatgptAccountId, chatgptPlanType ?? null);
    return lastTokens;
  };

  return {
    authMode: 'chatgpt',
    resolve: () => Promise.resolve(null),
    refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens> {
      const key =
        context.rejectedToken === undefined ? undefined : revealSecret(context.rejectedToken);
      if (key !== undefined && last !== null && last.rejectedToken === key) {
        return Promise.resolve(last.tokens);
      }
      if (inFlight !== null && inFlight.key === key) {
        return inFlight.promise;
      }
      const promise = ask(context.previousAccountId).then((tokens) => {
        if (key !== undefined) last = { rejectedToken: key, tokens };
        return tokens;
      });
      const entry = { key, promise };
      inFlight = entry;
      const clear = () => {
        if (inFlight === entry) inFlight = null;
      };
      promise.then(clear, clear);
      return promise;
    },
    reset() {
      last = null;
      inFlight = null;
      lastTokens = null;
    },
    get lastTokens() {
      return lastTokens;
    },
    get requestCount() {
      return requestCount;
    },
  };
}
