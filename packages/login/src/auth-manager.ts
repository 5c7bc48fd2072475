import { type AuthCredentialsStoreMode, type AuthMode, isCodexError } from '@codex/protocol';
import { AsyncMutex } from './async-mutex.ts';
import {
  type AuthStorageOptions,
  createAuthStorage,
  EphemeralAuthStorage,
} from './auth-storage.ts';
import {
  ACCESS_TOKEN_REFRESH_WINDOW_MS,
  accessTokenIsStale,
  authDotJsonFromExternalRefresh,
  authSnapshotKey,
  loadStoredAuth,
  persistRefreshedTokens,
  sameCredentials,
  withAuthFileLock,
} from './chatgpt-token-refresh.ts';
import { type CodexAuth, codexAuthAccountId, TOKEN_DATA_UNAVAILABLE } from './codex-auth.ts';
import { ACCOUNT_CHANGED_MESSAGE, RefreshTokenFailedError, TransientAuthError } from './errors.ts';
import type { ExternalAuth, ExternalAuthTokens } from './external-auth.ts';
import { type AuthSource, type Env, type LoadedAuth, loadAuth, loadAuthSync } from './load-auth.ts';
import { loginWithChatgptAuthTokens, logoutAllStores, revokeAuthTokens } from './login-actions.ts';
import { requestTokenRefresh } from './token-authority.ts';
import {
  type ReloadOutcome,
  type UnauthorizedRecovery,
  UnauthorizedRecoveryImpl,
} from './unauthorized-recovery.ts';

export type AuthManagerOptions = {
  readonly codexHome: string;
  readonly enableCodexApiKeyEnv: boolean;
  readonly storeMode?: AuthCredentialsStoreMode;
  readonly env?: Env;
  readonly forcedChatgptWorkspaceId?: string | null;
  /** Clock in epoch ms. */
  readonly now?: () => number;
  /** Where non-fatal problems are reported (never with a token). */
  readonly onWarning?: (message: string) => void;
  readonly storage?: AuthStorageOptions;
  /** Pre-expiry window for ChatGPT access tokens; default 5 minutes. */
  readonly accessTokenRefreshWindowMs?: number;
};

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Owns the auth used for requests: loads it, refreshes ChatGPT tokens (guarded, locked across processes),
 * consults an external source (auth command or parent app), and drives 401 recovery.
 */
export class AuthManager {
  readonly #source: AuthSource;
  readonly #now: () => number;
  readonly #onWarning: (message: string) => void;
  readonly #refreshWindowMs: number;
  readonly #forcedChatgptWorkspaceId: string | null;
  readonly #refreshMutex = new AsyncMutex();
  #cached: LoadedAuth | null = null;
  #permanentFailure: { snapshot: string | null; error: RefreshTokenFailedError } | null = null;
  #external: ExternalAuth | null = null;
  #ready: Promise<void> = Promise.resolve();

  private constructor(options: AuthManagerOptions) {
    this.#source = {
      codexHome: options.codexHome,
      enableCodexApiKeyEnv: options.enableCodexApiKeyEnv,
      storeMode: options.storeMode ?? 'file',
      env: options.env ?? process.env,
      storage: options.storage ?? {},
    };
    this.#now = options.now ?? Date.now;
    this.#onWarning = options.onWarning ?? (() => {});
    this.#refreshWindowMs = options.accessTokenRefreshWindowMs ?? ACCESS_TOKEN_REFRESH_WINDOW_MS;
    this.#forcedChatgptWorkspaceId = options.forcedChatgptWorkspaceId ?? null;
  }

  /** A manager for a Codex home, loaded from storage at once; a load error leaves it logged out. */
  static create(options: AuthManagerOptions): AuthManager {
    const manager = new AuthManager(options);
    let sync: LoadedAuth | null | undefined;
    try {
      sync = loadAuthSync(manager.#source);
    } catch (error) {
      manager.#onWarning(`Failed to load auth: ${message(error)}`);
      sync = null;
    }
    if (sync === undefined) {
      // a keyring can only be read asynchronously: every async method waits for this first load
      manager.#ready = manager.reload().then(() => {});
    } else {
      manager.#cached = sync;
    }
    return manager;
  }

  /** Makes a parent app's ChatGPT token source the one asked for new tokens after a 401. */
  setExternalAuth(external: ExternalAuth): void {
    this.#external = external;
  }

  clearExternalAuth(): void {
    this.#external = null;
  }

  /** The cached auth, without I/O. */
  authCached(): CodexAuth | null {
    return this.#cached?.auth ?? null;
  }

  /**
   * The auth for the next request: the external bearer token, else the cached auth, refreshed first when
   * its ChatGPT access token is stale.
   * @throws {AuthCommandError} when an auth command fails (fail closed: no request without its token)
   */
  async auth(): Promise<CodexAuth | null> {
    await this.#ready;
    const cached = this.#cached;
    if (cached === null) {
      return null;
    }
    if (accessTokenIsStale(cached.auth, this.#now(), this.#refreshWindowMs)) {
      try {
        await this.refreshToken();
      } catch (error) {
        // the error says what failed (`Failed to refresh token: ...` or the sign-in-again text): no second prefix
        this.#onWarning(message(error));
        return cached.auth;
      }
    }
    return this.authCached();
  }

  #setCached(loaded: LoadedAuth | null): void {
    if (!sameCredentials(this.authCached(), loaded?.auth ?? null)) {
      this.#permanentFailure = null;
    }
    this.#cached = loaded;
  }

  async #load(): Promise<LoadedAuth | null> {
    try {
      return await loadAuth(this.#source);
    } catch (error) {
      this.#onWarning(`Failed to load auth: ${message(error)}`);
      return null;
    }
  }

  /** Re-reads stored auth; true when the auth mode changed (credential changes in the same mode return false). */
  async reload(): Promise<boolean> {
    const loaded = await this.#load();
    const changed = (this.#cached?.auth.mode ?? null) !== (loaded?.auth.mode ?? null);
    this.#setCached(loaded);
    return changed;
  }

  async #reloadIfAccountIdMatches(expected: string | null): Promise<ReloadOutcome> {
    if (expected === null) {
      return 'skipped';
    }
    const loaded = await this.#load();
    if (codexAuthAccountId(loaded?.auth ?? null) !== expected) {
      return 'skipped';
    }
    const changed = !sameCredentials(this.authCached(), loaded?.auth ?? null);
    this.#setCached(loaded);
    return changed ? 'changed' : 'unchanged';
  }

  /**
   * Guarded refresh: adopts auth another process already rotated, else spends the refresh token once.
   * @throws {RefreshTokenFailedError} permanent failures (re-login needed)
   * @throws {TransientAuthError}
   * @param options.signal cancels the token request (it is bounded by 30 s regardless)
   */
  refreshToken(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#refreshMutex.run(async () => {
      await this.#ready;
      const cached = this.authCached();
      if (cached?.mode === 'apikey') {
        return;
      }
      const expected = codexAuthAccountId(cached);
      await this.#withStorageLock(async () => {
        const outcome = await this.#reloadIfAccountIdMatches(expected);
        if (outcome === 'skipped') {
          throw new RefreshTokenFailedError('other', ACCOUNT_CHANGED_MESSAGE);
        }
        if (outcome === 'changed') {
          return;
        }
        await this.#refreshFromAuthority(undefined, options.signal);
      });
    });
  }

  #refreshTokenFromAuthority(rejectedToken: string | undefined): Promise<void> {
    return this.#refreshMutex.run(() =>
      this.#withStorageLock(() => this.#refreshFromAuthority(rejectedToken)),
    );
  }

  /**
   * Asks the external source (auth command or parent app) for new tokens after a 401.
   * @throws {TransientAuthError} and the source's own errors (e.g. AuthCommandError)
   */
  refreshExternalAuth(context: { rejectedToken?: string } = {}): Promise<void> {
    return this.#refreshMutex.run(() => this.#refreshExternalAuth(context.rejectedToken));
  }

  /** Holds the auth.json lock while refreshing managed ChatGPT tokens kept in a persistent store. */
  #withStorageLock<T>(work: () => Promise<T>): Promise<T> {
    const cached = this.#cached;
    if (cached === null || cached.auth.mode !== 'chatgpt' || cached.storageMode === 'ephemeral') {
      return work();
    }
    return withAuthFileLock(this.#source.codexHome, this.#onWarning, work);
  }

  async #refreshFromAuthority(
    rejectedToken: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const cached = this.#cached;
    if (cached === null) {
      return;
    }
    const failure = this.#permanentFailure;
    if (failure !== null && failure.snapshot === authSnapshotKey(cached.auth)) {
      throw failure.error;
    }
    const auth = cached.auth;
    if (auth.mode === 'apikey') {
      return;
    }
    if (auth.mode === 'chatgptAuthTokens') {
      await this.#refreshExternalAuth(rejectedToken);
      return;
    }
    const tokens = auth.authDotJson.tokens;
    if (tokens == null || auth.authDotJson.last_refresh == null) {
      throw new TransientAuthError(TOKEN_DATA_UNAVAILABLE);
    }
    const { codexHome, storage: storageOptions, env } = this.#source;
    const storage = createAuthStorage(codexHome, cached.storageMode, storageOptions);
    // Another process may have rotated the tokens since we loaded them: adopt instead of spending twice.
    const onDisk = await loadStoredAuth(storage);
    if (
      onDisk !== null &&
      codexAuthAccountId(onDisk) === auth.accountId &&
      !sameCredentials(onDisk, auth)
    ) {
      this.#setCached({ auth: onDisk, storageMode: cached.storageMode });
      return;
    }
    try {
      const response = await requestTokenRefresh(tokens.refresh_token, env, { signal });
      await persistRefreshedTokens(storage, response, this.#now());
    } catch (error) {
      if (error instanceof RefreshTokenFailedError && sameCredentials(this.authCached(), auth)) {
        this.#permanentFailure = { snapshot: authSnapshotKey(auth), error };
      }
      throw error;
    }
    await this.reload();
  }

  async #refreshExternalAuth(rejectedToken: string | undefined): Promise<void> {
    const external = this.#external;
    if (external === null) {
      throw new TransientAuthError('external auth is not configured');
    }
    let tokens: ExternalAuthTokens;
    try {
      tokens = await external.refresh({
        reason: 'unauthorized',
        previousAccountId: codexAuthAccountId(this.authCached()),
        ...(rejectedToken === undefined ? {} : { rejectedToken }),
      });
    } catch (error) {
      throw isCodexError(error) ? error : new TransientAuthError(message(error), { cause: error });
    }
    const record = authDotJsonFromExternalRefresh(
      tokens,
      this.#forcedChatgptWorkspaceId,
      this.#now(),
    );
    await new EphemeralAuthStorage(this.#source.codexHome).save(record);
    await this.reload();
  }

  /**
   * Installs ChatGPT tokens from a parent app (in memory only) and makes them the current auth.
   * @throws {TransientAuthError} `external auth tokens are missing ChatGPT metadata`
   * @throws {InvalidTokenError} when the access token is not a JWT
   */
  async loginWithChatgptAuthTokens(tokens: ExternalAuthTokens): Promise<void> {
    await loginWithChatgptAuthTokens(this.#source.codexHome, tokens, this.#now());
    await this.reload();
  }

  /** The 401 recovery state machine for one request chain; it may be built before the first load ends. */
  unauthorizedRecovery(): UnauthorizedRecovery {
    return new UnauthorizedRecoveryImpl({
      loaded: () => this.#ready,
      authCached: () => this.authCached(),
      externalAuthMode: (): AuthMode | null => this.#external?.authMode ?? null,
      reloadIfAccountIdMatches: (expected) => this.#reloadIfAccountIdMatches(expected),
      refreshTokenFromAuthority: () => this.#refreshTokenFromAuthority(undefined),
      refreshExternalAuth: (context) => this.refreshExternalAuth(context),
    });
  }

  /** Removes credentials from the ephemeral and the configured store; true when something was removed. */
  async logout(): Promise<boolean> {
    const { codexHome, storeMode, storage } = this.#source;
    try {
      return await logoutAllStores(codexHome, storeMode, storage);
    } finally {
      await this.reload();
    }
  }

  /** Best-effort revoke of the managed ChatGPT token, then logout. */
  async logoutWithRevoke(options: { revokeTimeoutMs?: number } = {}): Promise<boolean> {
    const cached = this.authCached();
    if (cached !== null && cached.mode !== 'apikey') {
      await revokeAuthTokens(cached.authDotJson, this.#source.env, options).catch(
        (error: unknown) => {
          this.#onWarning(`failed to revoke auth tokens during logout: ${message(error)}`);
        },
      );
    }
    return this.logout();
  }
}
