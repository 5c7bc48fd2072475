import type { AuthMode } from '@codex/protocol';

/** ChatGPT account data that accompanies an externally supplied token. */
export type ExternalAuthChatgptMetadata = { accountId: string; planType: string | null };

/** A token supplied from outside Codex: bearer-only, or ChatGPT-backed with account metadata. */
export class ExternalAuthTokens {
  readonly accessToken: string;
  readonly chatgptMetadata: ExternalAuthChatgptMetadata | null;

  private constructor(accessToken: string, chatgptMetadata: ExternalAuthChatgptMetadata | null) {
    this.accessToken = accessToken;
    this.chatgptMetadata = chatgptMetadata;
  }

  /** A plain bearer token with no ChatGPT account behind it. */
  static bearerOnly(token: string): ExternalAuthTokens {
    return new ExternalAuthTokens(token, null);
  }

  /** A ChatGPT access token for `accountId`, with the raw plan string when known. */
  static chatgpt(token: string, accountId: string, planType?: string | null): ExternalAuthTokens {
    return new ExternalAuthTokens(token, { accountId, planType: planType ?? null });
  }

  /** Keeps the token out of logs and JSON dumps. */
  toJSON(): { accessToken: string; chatgptMetadata: ExternalAuthChatgptMetadata | null } {
    return { accessToken: '[REDACTED]', chatgptMetadata: this.chatgptMetadata };
  }
}

/** Why a refresh was asked for, and which token the server rejected. */
export type ExternalAuthRefreshContext = {
  reason: 'unauthorized';
  previousAccountId: string | null;
  /** The token that got the 401; lets a refresher return a newer cached token instead of refreshing again. */
  rejectedToken?: string;
};

/** A source of tokens outside the managed auth.json flow (auth commands, a parent app). */
export interface ExternalAuth {
  /** `'apikey'` for commands, `'chatgpt'` for the app-server bridge. */
  readonly authMode: AuthMode;
  /** The current token before a request, or null when the source has none to offer. */
  resolve(): Promise<ExternalAuthTokens | null>;
  /** A new token after a 401. */
  refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens>;
}
