import { type AuthCredentialsStoreMode, type AuthDotJson, resolvedAuthMode } from '@codex/protocol';
import {
  type AuthStorageOptions,
  createAuthStorage,
  EphemeralAuthStorage,
} from './auth-storage.ts';
import { authDotJsonFromExternalTokens, TOKEN_DATA_UNAVAILABLE } from './codex-auth.ts';
import { LoginRestrictionError } from './errors.ts';
import type { ExternalAuthTokens } from './external-auth.ts';
import { type Env, loadAuth } from './load-auth.ts';
import { revokeToken } from './token-authority.ts';
import { parseIdToken } from './token-data.ts';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Stores an API key as the login for a Codex home, replacing any ChatGPT tokens.
 * @throws {AuthStorageError}
 */
export async function loginWithApiKey(
  codexHome: string,
  apiKey: string,
  storeMode: AuthCredentialsStoreMode,
  options?: AuthStorageOptions,
): Promise<void> {
  await createAuthStorage(codexHome, storeMode, options).save({
    auth_mode: 'apikey',
    OPENAI_API_KEY: apiKey,
    tokens: null,
    last_refresh: null,
  });
}

/**
 * Stores parent-app ChatGPT tokens in the ephemeral store only.
 * @throws {TransientAuthError} `external auth tokens are missing ChatGPT metadata`
 * @throws {InvalidTokenError}
 */
export async function loginWithChatgptAuthTokens(
  codexHome: string,
  tokens: ExternalAuthTokens,
  nowMs: number = Date.now(),
): Promise<void> {
  await new EphemeralAuthStorage(codexHome).save(authDotJsonFromExternalTokens(tokens, nowMs));
}

/** Removes the credentials of one store; false when there were none. */
export function logout(
  codexHome: string,
  storeMode: AuthCredentialsStoreMode,
  options?: AuthStorageOptions,
): Promise<boolean> {
  return createAuthStorage(codexHome, storeMode, options).delete();
}

/** Removes credentials from the ephemeral store and (unless ephemeral) the configured one. */
export async function logoutAllStores(
  codexHome: string,
  storeMode: AuthCredentialsStoreMode,
  options?: AuthStorageOptions,
): Promise<boolean> {
  const ephemeralRemoved = await new EphemeralAuthStorage(codexHome).delete();
  if (storeMode === 'ephemeral') {
    return ephemeralRemoved;
  }
  const removed = await logout(codexHome, storeMode, options);
  return ephemeralRemoved || removed;
}

/** Revokes the refresh token (else the access token) of a managed ChatGPT record; nothing to revoke is a no-op. */
export async function revokeAuthTokens(
  authDotJson: AuthDotJson,
  env: Env,
  { revokeTimeoutMs }: { revokeTimeoutMs?: number } = {},
): Promise<void> {
  if (resolvedAuthMode(authDotJson) !== 'chatgpt' || authDotJson.tokens == null) {
    return;
  }
  const { refresh_token: refreshToken, access_token: accessToken } = authDotJson.tokens;
  const options = revokeTimeoutMs === undefined ? {} : { timeoutMs: revokeTimeoutMs };
  if (refreshToken !== '') {
    await revokeToken({ token: refreshToken, tokenTypeHint: 'refresh_token' }, env, options);
  } else if (accessToken !== '') {
    await revokeToken({ token: accessToken, tokenTypeHint: 'access_token' }, env, options);
  }
}

export type LoginRestrictions = {
  readonly codexHome: string;
  readonly storeMode: AuthCredentialsStoreMode;
  readonly forcedLoginMethod?: 'chatgpt' | 'api' | null;
  readonly forcedChatgptWorkspaceId?: string | null;
  readonly env?: Env;
  readonly storage?: AuthStorageOptions;
};

async function logoutWithMessage(restrictions: LoginRestrictions, text: string): Promise<never> {
  try {
    await logoutAllStores(restrictions.codexHome, restrictions.storeMode, restrictions.storage);
  } catch (error) {
    throw new LoginRestrictionError(`${text}. Failed to remove auth.json: ${message(error)}`);
  }
  throw new LoginRestrictionError(text);
}

/**
 * Logs out credentials that violate `forced_login_method` or `forced_chatgpt_workspace_id`.
 * @throws {LoginRestrictionError} with upstream's message, after logging out
 */
export async function enforceLoginRestrictions(restrictions: LoginRestrictions): Promise<void> {
  const loaded = await loadAuth({
    codexHome: restrictions.codexHome,
    enableCodexApiKeyEnv: true,
    storeMode: restrictions.storeMode,
    env: restrictions.env ?? process.env,
    storage: restrictions.storage ?? {},
  });
  if (loaded === null) {
    return;
  }
  const { auth } = loaded;
  const method = restrictions.forcedLoginMethod ?? null;
  if (method === 'api' && auth.mode !== 'apikey') {
    await logoutWithMessage(
      restrictions,
      'API key login is required, but ChatGPT is currently being used. Logging out.',
    );
  }
  if (method === 'chatgpt' && auth.mode === 'apikey') {
    await logoutWithMessage(
      restrictions,
      'ChatGPT login is required, but an API key is currently being used. Logging out.',
    );
  }
  const expected = restrictions.forcedChatgptWorkspaceId ?? null;
  if (expected === null || auth.mode === 'apikey') {
    return;
  }
  const tokens = auth.authDotJson.tokens;
  if (tokens == null || auth.authDotJson.last_refresh == null) {
    await logoutWithMessage(
      restrictions,
      `Failed to load ChatGPT credentials while enforcing workspace restrictions: ${TOKEN_DATA_UNAVAILABLE}. Logging out.`,
    );
    return;
  }
  let actual: string | null;
  try {
    actual = parseIdToken(tokens.id_token).chatgptAccountId;
  } catch (error) {
    await logoutWithMessage(
      restrictions,
      `Failed to load ChatGPT credentials while enforcing workspace restrictions: ${message(error)}. Logging out.`,
    );
    return;
  }
  if (actual === null) {
    await logoutWithMessage(
      restrictions,
      `Login is restricted to workspace ${expected}, but current credentials lack a workspace identifier. Logging out.`,
    );
  } else if (actual !== expected) {
    await logoutWithMessage(
      restrictions,
      `Login is restricted to workspace ${expected}, but current credentials belong to ${actual}. Logging out.`,
    );
  }
}
