import { STATUS_CODES } from 'node:http';
import { parseErrorBody, Secret } from '@codex/protocol';
import {
  REFRESH_TOKEN_MESSAGES,
  RefreshTokenFailedError,
  type RefreshTokenFailedReason,
  TransientAuthError,
} from './errors.ts';

export const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
export const REFRESH_TOKEN_URL = 'https://auth.openai.com/oauth/token';
export const REVOKE_TOKEN_URL = 'https://auth.openai.com/oauth/revoke';
export const REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR = 'CODEX_REFRESH_TOKEN_URL_OVERRIDE';
export const REVOKE_TOKEN_URL_OVERRIDE_ENV_VAR = 'CODEX_REVOKE_TOKEN_URL_OVERRIDE';

type Env = Readonly<Record<string, string | undefined>>;

/** New tokens from the authority; absent fields keep their stored values. */
export type RefreshResponse = {
  idToken: string | null;
  accessToken: string | null;
  refreshToken: string | null;
};

function statusText(status: number): string {
  const reason = STATUS_CODES[status];
  return reason === undefined ? String(status) : `${status} ${reason}`;
}

/** The message of an error body: its parsed message, else the raw body, else `Unknown error`. */
function errorMessage(body: string): string {
  return parseErrorBody(body).message ?? (body.trim() === '' ? 'Unknown error' : body);
}

/**
 * A permanent refresh failure from the OAuth error code, whatever the HTTP status; null when the code
 * (or its absence) does not say the refresh token is unusable.
 */
function permanentRefreshFailure(code: string | undefined): RefreshTokenFailedReason | null {
  switch (code?.toLowerCase()) {
    case 'refresh_token_expired':
      return 'expired';
    case 'refresh_token_reused':
      return 'exhausted';
    case 'refresh_token_invalidated':
      return 'revoked';
    case 'invalid_grant':
      return 'other';
    default:
      return null;
  }
}

/** Every OAuth call (refresh, revoke, device code, code exchange) is bounded by this, in ms. */
export const OAUTH_TIMEOUT_MS = 30_000;

/** Options of one OAuth call. */
export type OAuthCallOptions = {
  /** Cancels the call (the CLI's Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
  /** Upper bound of the call, in ms; default {@link OAUTH_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
};

/**
 * POSTs to an OAuth endpoint without following redirects (a credential never goes to another location),
 * bounded by a timeout and the caller's signal.
 * @throws {TransientAuthError} `<action>: ...` on a network error, a timeout or a redirect
 */
export async function postOAuth(
  url: string,
  init: { body: string; contentType?: string },
  action: string,
  { signal, timeoutMs = OAUTH_TIMEOUT_MS }: OAuthCallOptions = {},
): Promise<{ status: number; body: string }> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  try {
    // loaded on first use: undici's index (fetch, web streams, zlib) is not needed by a model turn
    const { fetch } = await import('./undici-fetch.ts');
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers(), 'content-type': init.contentType ?? 'application/json' },
      body: init.body,
      redirect: 'manual',
      signal: combined,
    });
    const body = await response.text();
    if (response.status >= 300 && response.status < 400) {
      throw new TransientAuthError(
        `${action}: ${new URL(url).origin} answered with a redirect (${statusText(response.status)}); credentials are never sent to another location`,
      );
    }
    return { status: response.status, body };
  } catch (error) {
    if (error instanceof TransientAuthError) throw error;
    if (signal?.aborted) throw signal.reason;
    const text = timeout.aborted
      ? `request timed out after ${timeoutMs} ms`
      : (error as Error).message;
    throw new TransientAuthError(`${action}: ${text}`, { cause: error });
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function headers(): Record<string, string> {
  return {
    // Stryker disable next-line StringLiteral: postOAuth always sets content-type over this default
    'content-type': 'application/json',
    originator: 'codex_cli_rs',
    'user-agent': 'codex-ts',
  };
}

/**
 * Spends a refresh token at the token authority.
 * @throws {RefreshTokenFailedError} on a 401, or a permanent OAuth error code with any status
 * @throws {TransientAuthError} on network errors, timeouts, redirects, other statuses or an unreadable answer
 */
export async function requestTokenRefresh(
  refreshToken: string,
  env: Env,
  options: OAuthCallOptions = {},
): Promise<RefreshResponse> {
  // registered for the redactor while the call runs: an error body may quote it back
  const spent = new Secret(refreshToken);
  try {
    return await refreshWith(spent, env, options);
    // Stryker disable next-line BlockStatement: the block only keeps the secret reachable; no behaviour
  } finally {
    void spent; // reachable until every error text is built
  }
}

async function refreshWith(
  refreshToken: Secret,
  env: Env,
  options: OAuthCallOptions,
): Promise<RefreshResponse> {
  const url = env[REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR] || REFRESH_TOKEN_URL;
  const response = await postOAuth(
    url,
    {
      body: JSON.stringify({
        client_id: CLIENT_ID,
        grant_type: 'refresh_token',
        refresh_token: refreshToken.reveal(),
      }),
    },
    'Failed to refresh token',
    options,
  );
  const { status, body } = response;
  if (status >= 200 && status < 300) {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(body) as Record<string, unknown>;
      if (typeof value !== 'object' || value === null) {
        throw new Error('expected a JSON object');
      }
    } catch (error) {
      throw new TransientAuthError(
        `Failed to parse token refresh response: ${(error as Error).message}`,
      );
    }
    // the new tokens are secrets from the moment they arrive: the redactor knows them
    for (const field of ['id_token', 'access_token', 'refresh_token']) {
      const token = value[field];
      if (typeof token === 'string') held.push(new Secret(token));
    }
    return {
      idToken: stringOrNull(value['id_token']),
      accessToken: stringOrNull(value['access_token']),
      refreshToken: stringOrNull(value['refresh_token']),
    };
  }
  const permanent = permanentRefreshFailure(parseErrorBody(body).code);
  if (status === 401 || permanent !== null) {
    const reason = permanent ?? 'other';
    throw new RefreshTokenFailedError(reason, REFRESH_TOKEN_MESSAGES[reason]);
  }
  throw new TransientAuthError(
    `Failed to refresh token: ${statusText(status)}: ${errorMessage(body)}`,
  );
}

// Tokens received from the authority stay registered for redaction while the process runs (a handful).
const held: Secret[] = [];

/** The revoke endpoint: explicit override, else derived from the refresh override, else the default. */
export function revokeTokenUrl(env: Env): string {
  const explicit = env[REVOKE_TOKEN_URL_OVERRIDE_ENV_VAR];
  if (explicit) {
    return explicit;
  }
  const refresh = env[REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR];
  if (refresh) {
    try {
      const url = new URL(refresh);
      url.pathname = '/oauth/revoke';
      url.search = '';
      url.hash = '';
      return url.toString();
    } catch {
      // an unparsable override: fall back to the default endpoint
    }
  }
  return REVOKE_TOKEN_URL;
}

export type RevokeRequest = { token: string; tokenTypeHint: 'refresh_token' | 'access_token' };

/**
 * Revokes a token at the authority (10 s timeout by default).
 * @throws {TransientAuthError}
 */
export async function revokeToken(
  request: RevokeRequest,
  env: Env,
  { timeoutMs = 10_000, signal }: OAuthCallOptions = {},
): Promise<void> {
  const payload: Record<string, string> = {
    token: request.token,
    token_type_hint: request.tokenTypeHint,
  };
  if (request.tokenTypeHint === 'refresh_token') {
    payload['client_id'] = CLIENT_ID;
  }
  const action = `failed to revoke ${request.tokenTypeHint}`;
  // registered for the redactor while the call runs: an error body may quote it back
  const revoked = new Secret(request.token);
  try {
    const { status, body } = await postOAuth(
      revokeTokenUrl(env),
      { body: JSON.stringify(payload) },
      action,
      { timeoutMs, signal },
    );
    if (status < 200 || status >= 300) {
      throw new TransientAuthError(`${action}: ${statusText(status)}: ${errorMessage(body)}`);
    }
    // Stryker disable next-line BlockStatement: the block only keeps the secret reachable; no behaviour
  } finally {
    void revoked;
  }
}
