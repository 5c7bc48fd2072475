import { STATUS_CODES } from 'node:http';
import { fetch } from 'undici';
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

/** The `error.message` of an OpenAI-style error body, else the raw body, else `Unknown error`. */
export function tryParseErrorMessage(body: string): string {
  try {
    const value = JSON.parse(body) as { error?: { message?: unknown } };
    const text = value?.error?.message;
    if (typeof text === 'string') {
      return text;
    }
  } catch {
    // not JSON: the raw text is the message
  }
  return body === '' ? 'Unknown error' : body;
}

/** Maps the error code of a refresh response body to a permanent-failure reason. */
export function classifyRefreshFailure(body: string): RefreshTokenFailedReason {
  let code: unknown;
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    const error = value['error'];
    if (
      typeof error === 'object' &&
      error !== null &&
      typeof (error as Record<string, unknown>)['code'] === 'string'
    ) {
      code = (error as Record<string, unknown>)['code'];
    } else if (typeof error === 'string') {
      code = error;
    } else {
      code = value['code'];
    }
  } catch {
    code = undefined;
  }
  switch (typeof code === 'string' ? code.toLowerCase() : '') {
    case 'refresh_token_expired':
      return 'expired';
    case 'refresh_token_reused':
      return 'exhausted';
    case 'refresh_token_invalidated':
      return 'revoked';
    default:
      return 'other';
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function headers(): Record<string, string> {
  return {
    'content-type': 'application/json',
    originator: 'codex_cli_rs',
    'user-agent': 'codex-ts',
  };
}

/**
 * Spends a refresh token at the token authority.
 * @throws {RefreshTokenFailedError} on a 401 (permanent)
 * @throws {TransientAuthError} on network errors, other statuses or an unreadable answer
 */
export async function requestTokenRefresh(
  refreshToken: string,
  env: Env,
): Promise<RefreshResponse> {
  const url = env[REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR] || REFRESH_TOKEN_URL;
  let response: Awaited<ReturnType<typeof fetch>>;
  let body: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        client_id: CLIENT_ID,
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      }),
    });
    body = await response.text();
  } catch (error) {
    throw new TransientAuthError(`Failed to refresh token: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.ok) {
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
    return {
      idToken: stringOrNull(value['id_token']),
      accessToken: stringOrNull(value['access_token']),
      refreshToken: stringOrNull(value['refresh_token']),
    };
  }
  if (response.status === 401) {
    const reason = classifyRefreshFailure(body);
    throw new RefreshTokenFailedError(reason, REFRESH_TOKEN_MESSAGES[reason]);
  }
  throw new TransientAuthError(
    `Failed to refresh token: ${statusText(response.status)}: ${tryParseErrorMessage(body)}`,
  );
}

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
  { timeoutMs = 10_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const payload: Record<string, string> = {
    token: request.token,
    token_type_hint: request.tokenTypeHint,
  };
  if (request.tokenTypeHint === 'refresh_token') {
    payload['client_id'] = CLIENT_ID;
  }
  let response: Awaited<ReturnType<typeof fetch>>;
  let body: string;
  try {
    response = await fetch(revokeTokenUrl(env), {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await response.text();
  } catch (error) {
    const text =
      (error as Error).name === 'TimeoutError'
        ? `request timed out after ${timeoutMs} ms`
        : (error as Error).message;
    throw new TransientAuthError(`failed to revoke ${request.tokenTypeHint}: ${text}`, {
      cause: error,
    });
  }
  if (!response.ok) {
    throw new TransientAuthError(
      `failed to revoke ${request.tokenTypeHint}: ${statusText(response.status)}: ${tryParseErrorMessage(body)}`,
    );
  }
}
