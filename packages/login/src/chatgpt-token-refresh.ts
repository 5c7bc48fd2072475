import { existsSync } from 'node:fs';
import type { AuthDotJson } from '@codex/protocol';
import { type AuthStorageBackend, authFilePath } from './auth-storage.ts';
import {
  authDotJsonFromExternalTokens,
  type CodexAuth,
  codexAuthFromAuthDotJson,
  TOKEN_DATA_UNAVAILABLE,
} from './codex-auth.ts';
import { TransientAuthError } from './errors.ts';
import type { ExternalAuthTokens } from './external-auth.ts';
import { parseIdToken, parseJwtExpiration } from './token-data.ts';

/** ChatGPT access tokens are refreshed this long before their `exp`. */
export const ACCESS_TOKEN_REFRESH_WINDOW_MS = 5 * 60_000;
/** Tokens without a readable `exp` are refreshed when `last_refresh` is older than this. */
export const TOKEN_REFRESH_INTERVAL_MS = 8 * 24 * 60 * 60_000;

/** Identifies an auth's credentials: equal keys mean the same tokens (or API key). */
export function authSnapshotKey(auth: CodexAuth | null): string | null {
  if (auth === null) {
    return null;
  }
  return auth.mode === 'apikey'
    ? JSON.stringify(['apikey', auth.apiKey.reveal()])
    : JSON.stringify([auth.mode, auth.authDotJson]);
}

/** Whether two auths hold the same credentials. */
export function sameCredentials(left: CodexAuth | null, right: CodexAuth | null): boolean {
  return authSnapshotKey(left) === authSnapshotKey(right);
}

/**
 * Whether a managed ChatGPT access token is due for refresh at `nowMs`: within `windowMs` of its
 * `exp`, or (without a readable `exp`) last refreshed more than {@link TOKEN_REFRESH_INTERVAL_MS} ago.
 */
export function accessTokenIsStale(auth: CodexAuth, nowMs: number, windowMs: number): boolean {
  if (auth.mode !== 'chatgpt') {
    return false;
  }
  const { tokens, last_refresh: lastRefresh } = auth.authDotJson;
  if (tokens == null) {
    return false;
  }
  let expiresAtMs: number | null = null;
  try {
    expiresAtMs = parseJwtExpiration(tokens.access_token);
  } catch {
    expiresAtMs = null;
  }
  if (expiresAtMs !== null) {
    return expiresAtMs - windowMs <= nowMs;
  }
  if (lastRefresh == null) {
    return false;
  }
  const refreshedAt = Date.parse(lastRefresh);
  return !Number.isNaN(refreshedAt) && refreshedAt < nowMs - TOKEN_REFRESH_INTERVAL_MS;
}

/**
 * Runs `work` holding the cross-process lock on the Codex home's auth.json (`auth.json.lock`).
 * Without the Codex home directory there is nothing to lock and `work` runs at once.
 */
export async function withAuthFileLock<T>(
  codexHome: string,
  onWarning: (message: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  if (!existsSync(codexHome)) {
    return work();
  }
  const file = authFilePath(codexHome);
  // Loaded on first use: only a refresh that persists tokens needs the lock.
  const { default: lockfile } = await import('proper-lockfile');
  const release = await lockfile.lock(file, {
    realpath: false,
    lockfilePath: `${file}.lock`,
    stale: 30_000,
    update: 5_000,
    // Stryker disable next-line BooleanLiteral: randomize only adds jitter to the waits between tries
    retries: { retries: 600, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
    onCompromised: (error) => {
      onWarning(`auth.json lock was compromised: ${error.message}`);
    },
  });
  try {
    return await work();
  } finally {
    await release().catch(() => {});
  }
}

/** The auth a store holds now; null when it holds none or cannot be read. */
export async function loadStoredAuth(storage: AuthStorageBackend): Promise<CodexAuth | null> {
  try {
    const stored = await storage.load();
    return stored === null ? null : codexAuthFromAuthDotJson(stored);
  } catch {
    return null;
  }
}

/** Tokens from the token endpoint; null fields keep the stored value. */
export type RefreshedTokens = {
  idToken: string | null;
  accessToken: string | null;
  refreshToken: string | null;
};

/**
 * Writes refreshed tokens over the stored record and stamps `last_refresh`.
 * @throws {TransientAuthError} `Token data is not available.` when the store is empty
 * @throws {InvalidTokenError} when the new id token is not a JWT
 * @throws {AuthStorageError}
 */
export async function persistRefreshedTokens(
  storage: AuthStorageBackend,
  response: RefreshedTokens,
  nowMs: number,
): Promise<void> {
  const current = await storage.load();
  if (current === null) {
    throw new TransientAuthError(TOKEN_DATA_UNAVAILABLE);
  }
  const tokens = current.tokens ?? {
    id_token: '',
    access_token: '',
    refresh_token: '',
    account_id: null,
  };
  const next: AuthDotJson = {
    ...current,
    tokens: {
      ...tokens,
      ...(response.idToken !== null ? { id_token: parseIdToken(response.idToken).rawJwt } : {}),
      ...(response.accessToken !== null ? { access_token: response.accessToken } : {}),
      ...(response.refreshToken !== null ? { refresh_token: response.refreshToken } : {}),
    },
    last_refresh: new Date(nowMs).toISOString(),
  };
  await storage.save(next);
}

/**
 * The auth.json record for ChatGPT tokens a parent app returned after a 401.
 * @throws {TransientAuthError} without ChatGPT metadata, for a workspace other than `forcedWorkspaceId`,
 * or when the access token is unusable
 */
export function authDotJsonFromExternalRefresh(
  tokens: ExternalAuthTokens,
  forcedWorkspaceId: string | null,
  nowMs: number,
): AuthDotJson {
  const metadata = tokens.chatgptMetadata;
  if (metadata === null) {
    throw new TransientAuthError('external auth refresh did not return ChatGPT metadata');
  }
  if (forcedWorkspaceId !== null && metadata.accountId !== forcedWorkspaceId) {
    throw new TransientAuthError(
      `external auth refresh returned workspace ${JSON.stringify(metadata.accountId)}, expected ${JSON.stringify(forcedWorkspaceId)}`,
    );
  }
  try {
    return authDotJsonFromExternalTokens(tokens, nowMs);
  } catch (error) {
    throw error instanceof TransientAuthError
      ? error
      : new TransientAuthError(error instanceof Error ? error.message : String(error), {
          cause: error,
        });
  }
}
