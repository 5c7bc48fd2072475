import { type AuthMode, Secret } from '@codex/protocol';

/** ChatGPT account data that accompanies an externally supplied token. */
export type ExternalAuthChatgptMetadata = { accountId: string; planType: string | null };

/**
 * A token supplied from outside Codex: bearer-only, or ChatGPT-backed with account metadata.
 * The token is a {@link Secret}: it prints as `[REDACTED]` everywhere; `accessToken.reveal()` reads it.
 */
export class ExternalAuthTokens {
  readonly accessToken: Secret;
  readonly chatgptMetadata: ExternalAuthChatgptMetadata | null;

  private constructor(accessToken: Secret, chatgptMetadata: ExternalAuthChatgptMetadata | null) {
    this.accessToken = accessToken;
    this.chatgptMetadata = chatgptMetadata;
  }

  /** A plain bearer token with no ChatGPT account behind it. */
  static bearerOnly(token: string | Secret): ExternalAuthTokens {
    return new ExternalAuthTokens(Secret.from(token), null);
  }

  /** A ChatGPT access token for `accountId`, with the raw plan string when known. */
  static chatgpt(
    token: string | Secret,
    accountId: string,
    planType?: string | null,
  ): ExternalAuthTokens {
    return new ExternalAuthTokens(Secret.from(token), { accountId, planType: planType ?? null });
  }
}

/** Why a token is asked for; passed to auth commands as `CODEX_AUTH_REASON`. */
export type TokenRequestReason = 'initial' | 'expired' | 'unauthorized';

/** Options of {@link ExternalAuth.resolve}. */
export type ExternalAuthResolveOptions = {
  /** Aborts a running command or request; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
};

/** Why a refresh was asked for, and which token the server rejected. */
export type ExternalAuthRefreshContext = {
  reason: 'unauthorized';
  previousAccountId: string | null;
  /** The token that got the 401; lets a refresher return a newer cached token instead of refreshing again. */
  rejectedToken?: Secret | string | undefined;
  /** Aborts a running command or request. */
  signal?: AbortSignal | undefined;
};

/** A source of tokens outside the managed auth.json flow (auth commands, a parent app, your own code). */
export interface ExternalAuth {
  /** `'apikey'` for commands, `'chatgpt'` for the app-server bridge. */
  readonly authMode: AuthMode;
  /** The current token before a request, or null when the source has none to offer. */
  resolve(options?: ExternalAuthResolveOptions): Promise<ExternalAuthTokens | null>;
  /** A new token after a 401. */
  refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens>;
}
