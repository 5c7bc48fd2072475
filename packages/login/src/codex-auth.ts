import { type AuthDotJson, resolvedAuthMode, Secret } from '@codex/protocol';
import { AuthStorageError, TransientAuthError } from './errors.ts';
import type { ExternalAuthTokens } from './external-auth.ts';
import { parseIdToken } from './token-data.ts';

/** What a request is sent with. */
export type CodexAuth =
  | { mode: 'apikey'; apiKey: Secret }
  | {
      mode: 'chatgpt' | 'chatgptAuthTokens';
      /** Empty when the stored record lacks tokens or `last_refresh` (upstream: no usable token). */
      accessToken: Secret;
      /** The refresh and id tokens of the record, held so the redactor knows them; never sent by this type. */
      storedSecrets: readonly Secret[];
      accountId: string | null;
      isFedramp: boolean;
      authDotJson: AuthDotJson;
    };

export const TOKEN_DATA_UNAVAILABLE = 'Token data is not available.';

/**
 * The bearer token for a request.
 * @throws {TransientAuthError} `Token data is not available.` for ChatGPT auth without usable tokens
 */
export function bearerToken(auth: CodexAuth): Secret {
  if (auth.mode === 'apikey') {
    return auth.apiKey;
  }
  if (auth.accessToken.reveal() === '') {
    throw new TransientAuthError(TOKEN_DATA_UNAVAILABLE);
  }
  return auth.accessToken;
}

/** An API-key auth. */
export function codexAuthFromApiKey(apiKey: string | Secret): CodexAuth {
  return { mode: 'apikey', apiKey: Secret.from(apiKey) };
}

/**
 * Builds the request auth from a stored record; the id token must be a JWT.
 * @throws {AuthStorageError}
 */
export function codexAuthFromAuthDotJson(authDotJson: AuthDotJson): CodexAuth {
  const mode = resolvedAuthMode(authDotJson);
  if (mode === 'apikey') {
    if (authDotJson.OPENAI_API_KEY == null) {
      throw new AuthStorageError('API key auth is missing a key.');
    }
    return { mode, apiKey: new Secret(authDotJson.OPENAI_API_KEY) };
  }
  const tokens = authDotJson.tokens ?? null;
  let isFedramp = false;
  if (tokens !== null && tokens.id_token !== '') {
    isFedramp = parseIdToken(tokens.id_token).chatgptAccountIsFedramp;
  }
  return {
    mode,
    accessToken: new Secret(
      tokens !== null && authDotJson.last_refresh != null ? tokens.access_token : '',
    ),
    storedSecrets:
      tokens === null ? [] : [new Secret(tokens.refresh_token), new Secret(tokens.id_token)],
    accountId: tokens?.account_id ?? null,
    isFedramp,
    authDotJson,
  };
}

/** The ChatGPT account id of an auth (from the stored tokens, not the JWT claim), or null. */
export function codexAuthAccountId(auth: CodexAuth | null): string | null {
  return auth === null || auth.mode === 'apikey' ? null : auth.accountId;
}

/**
 * The record kept (in memory only) for ChatGPT tokens supplied by a parent app.
 * @throws {TransientAuthError} `external auth tokens are missing ChatGPT metadata`
 * @throws {InvalidTokenError} when the access token is not a JWT
 */
export function authDotJsonFromExternalTokens(
  tokens: ExternalAuthTokens,
  nowMs: number,
): AuthDotJson {
  const metadata = tokens.chatgptMetadata;
  if (metadata === null) {
    throw new TransientAuthError('external auth tokens are missing ChatGPT metadata');
  }
  const accessToken = tokens.accessToken.reveal();
  parseIdToken(accessToken);
  return {
    auth_mode: 'chatgptAuthTokens',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: accessToken,
      access_token: accessToken,
      refresh_token: '',
      account_id: metadata.accountId,
    },
    last_refresh: new Date(nowMs).toISOString(),
  };
}
