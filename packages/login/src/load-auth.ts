import type { AuthCredentialsStoreMode, AuthDotJson } from '@codex/protocol';
import {
  type AuthStorageOptions,
  createAuthStorage,
  EphemeralAuthStorage,
  FileAuthStorage,
} from './auth-storage.ts';
import { type CodexAuth, codexAuthFromApiKey, codexAuthFromAuthDotJson } from './codex-auth.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export const CODEX_API_KEY_ENV_VAR = 'CODEX_API_KEY';

/** Where a Codex home's auth is read from. */
export type AuthSource = {
  readonly codexHome: string;
  /** Whether `CODEX_API_KEY` (non-blank, trimmed) takes precedence over every store. */
  readonly enableCodexApiKeyEnv: boolean;
  readonly storeMode: AuthCredentialsStoreMode;
  readonly env: Env;
  readonly storage: AuthStorageOptions;
};

/** Loaded auth and the store it lives in (parent-app tokens always live in the ephemeral store). */
export type LoadedAuth = { auth: CodexAuth; storageMode: AuthCredentialsStoreMode };

type Store = 'ephemeral' | 'configured';

/**
 * The precedence rules, once for both loaders: CODEX_API_KEY, then the ephemeral store, then the
 * configured store. Yields the store to read next and receives its record.
 */
function* precedence(source: AuthSource): Generator<Store, LoadedAuth | null, AuthDotJson | null> {
  if (source.enableCodexApiKeyEnv) {
    const key = source.env[CODEX_API_KEY_ENV_VAR]?.trim();
    if (key) {
      return { auth: codexAuthFromApiKey(key), storageMode: source.storeMode };
    }
  }
  const ephemeral = yield 'ephemeral';
  if (ephemeral !== null) {
    return { auth: codexAuthFromAuthDotJson(ephemeral), storageMode: 'ephemeral' };
  }
  if (source.storeMode === 'ephemeral') {
    return null;
  }
  const stored = yield 'configured';
  if (stored === null) {
    return null;
  }
  const auth = codexAuthFromAuthDotJson(stored);
  return {
    auth,
    storageMode: auth.mode === 'chatgptAuthTokens' ? 'ephemeral' : source.storeMode,
  };
}

/**
 * Loads a Codex home's auth; null when there is none.
 * @throws {AuthStorageError} when a store cannot be read or holds an invalid record
 * @throws {InvalidTokenError} when a stored id token is not a JWT
 */
export async function loadAuth(source: AuthSource): Promise<LoadedAuth | null> {
  const steps = precedence(source);
  let step = steps.next();
  while (step.done !== true) {
    const storage =
      step.value === 'ephemeral'
        ? new EphemeralAuthStorage(source.codexHome)
        : createAuthStorage(source.codexHome, source.storeMode, source.storage);
    step = steps.next(await storage.load());
  }
  return step.value;
}

/**
 * {@link loadAuth} without waiting: undefined when the configured store is a keyring, which can only
 * be read asynchronously.
 * @throws {AuthStorageError}
 * @throws {InvalidTokenError}
 */
export function loadAuthSync(source: AuthSource): LoadedAuth | null | undefined {
  const steps = precedence(source);
  let step = steps.next();
  while (step.done !== true) {
    if (step.value === 'ephemeral') {
      step = steps.next(new EphemeralAuthStorage(source.codexHome).loadSync());
    } else if (usesKeyring(source)) {
      return undefined;
    } else {
      step = steps.next(new FileAuthStorage(source.codexHome).loadSync());
    }
  }
  return step.value;
}

function usesKeyring({ storeMode, storage }: AuthSource): boolean {
  // an absent keyring option means the system keyring; null means none
  return storeMode === 'keyring' || (storeMode === 'auto' && storage.keyring !== null);
}
