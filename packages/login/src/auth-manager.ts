import { existsSync } from 'node:fs';
import {
  type AuthCredentialsStoreMode,
  type AuthDotJson,
  type AuthMode,
  isCodexError,
  resolvedAuthMode,
} from '@codex/protocol';
import {
  type AuthStorageBackend,
  type AuthStorageOptions,
  authFilePath,
  createAuthStorage,
  EphemeralAuthStorage,
  FileAuthStorage,
} from './auth-storage.ts';
import {
  authDotJsonFromExternalTokens,
  type CodexAuth,
  codexAuthAccountId,
  codexAuthFromApiKey,
  codexAuthFromAuthDotJson,
  TOKEN_DATA_UNAVAILABLE,
} from './codex-auth.ts';
import {
  ACCOUNT_CHANGED_MESSAGE,
  LoginRestrictionError,
  RefreshTokenFailedError,
  TransientAuthError,
} from './errors.ts';
import type { ExternalAuth, ExternalAuthTokens } from './external-auth.ts';
import { requestTokenRefresh, revokeToken } from './token-authority.ts';
import { parseIdToken, parseJwtExpiration } from './token-data.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** ChatGPT access tokens are refreshed this long before their `exp`. */
export const ACCESS_TOKEN_REFRESH_WINDOW_MS = 5 * 60_000;
/** Tokens without a readable `exp` are refreshed when `last_refresh` is older than this. */
export const TOKEN_REFRESH_INTERVAL_MS = 8 * 24 * 60 * 60_000;

export const CODEX_API_KEY_ENV_VAR = 'CODEX_API_KEY';

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

type Loaded = { auth: CodexAuth; storageMode: AuthCredentialsStoreMode };
type ReloadOutcome = 'changed' | 'unchanged' | 'skipped';

function readEnvKey(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function snapshotKey(auth: CodexAuth | null): string | null {
  if (auth === null) {
    return null;
  }
  return auth.mode === 'apikey'
    ? JSON.stringify(['apikey', auth.apiKey])
    : JSON.stringify([auth.mode, auth.authDotJson]);
}

function equalForRefresh(left: CodexAuth | null, right: CodexAuth | null): boolean {
  return snapshotKey(left) === snapshotKey(right);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads the auth a manager starts from: CODEX_API_KEY, then the ephemeral store, then the configured store.
 * @throws {AuthStorageError}
 */
async function loadAuth(
  codexHome: string,
  enableCodexApiKeyEnv: boolean,
  mode: AuthCredentialsStoreMode,
  env: Env,
  storage: AuthStorageOptions,
): Promise<Loaded | null> {
  if (enableCodexApiKeyEnv) {
    const key = readEnvKey(env, CODEX_API_KEY_ENV_VAR);
    if (key !== null) {
      return { auth: codexAuthFromApiKey(key), storageMode: mode };
    }
  }
  const ephemeral = await new EphemeralAuthStorage(codexHome).load();
  if (ephemeral !== null) {
    return { auth: codexAuthFromAuthDotJson(ephemeral), storageMode: 'ephemeral' };
  }
  if (mode === 'ephemeral') {
    return null;
  }
  const stored = await createAuthStorage(codexHome, mode, storage).load();
  if (stored === null) {
    return null;
  }
  const auth = codexAuthFromAuthDotJson(stored);
  return { auth, storageMode: auth.mode === 'chatgptAuthTokens' ? 'ephemeral' : mode };
}

function loadAuthSync(
  codexHome: string,
  enableCodexApiKeyEnv: boolean,
  mode: AuthCredentialsStoreMode,
  env: Env,
  storage: AuthStorageOptions,
): Loaded | null | undefined {
  if (enableCodexApiKeyEnv) {
    const key = readEnvKey(env, CODEX_API_KEY_ENV_VAR);
    if (key !== null) {
      return { auth: codexAuthFromApiKey(key), storageMode: mode };
    }
  }
  const ephemeral = new EphemeralAuthStorage(codexHome).loadSync();
  if (ephemeral !== null) {
    return { auth: codexAuthFromAuthDotJson(ephemeral), storageMode: 'ephemeral' };
  }
  if (mode === 'ephemeral') {
    return null;
  }
  if (mode === 'keyring' || (mode === 'auto' && storage.keyring !== null)) {
    return undefined;
  }
  const stored = new FileAuthStorage(codexHome).loadSync();
  if (stored === null) {
    return null;
  }
  const auth = codexAuthFromAuthDotJson(stored);
  return { auth, storageMode: auth.mode === 'chatgptAuthTokens' ? 'ephemeral' : mode };
}

/** Serializes async work in this process. */
class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();

  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release: () => void = () => {};
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

/**
 * Owns the auth used for requests: loads it, refreshes ChatGPT tokens (guarded, locked across processes),
 * consults an external source (auth command or parent app), and drives 401 recovery.
 */
export class AuthManager {
  readonly codexHome: string;
  readonly enableCodexApiKeyEnv: boolean;
  readonly storeMode: AuthCredentialsStoreMode;
  readonly #env: Env;
  readonly #now: () => number;
  readonly #onWarning: (message: string) => void;
  readonly #storage: AuthStorageOptions;
  readonly #refreshWindowMs: number;
  readonly #refreshMutex = new AsyncMutex();
  #forcedChatgptWorkspaceId: string | null;
  #cached: Loaded | null = null;
  #permanentFailure: { snapshot: string | null; error: RefreshTokenFailedError } | null = null;
  #external: ExternalAuth | null = null;
  #ready: Promise<void> = Promise.resolve();

  private constructor(options: AuthManagerOptions) {
    this.codexHome = options.codexHome;
    this.enableCodexApiKeyEnv = options.enableCodexApiKeyEnv;
    this.storeMode = options.storeMode ?? 'file';
    this.#env = options.env ?? process.env;
    this.#now = options.now ?? Date.now;
    this.#onWarning = options.onWarning ?? (() => {});
    this.#storage = options.storage ?? {};
    this.#refreshWindowMs = options.accessTokenRefreshWindowMs ?? ACCESS_TOKEN_REFRESH_WINDOW_MS;
    this.#forcedChatgptWorkspaceId = options.forcedChatgptWorkspaceId ?? null;
  }

  /** A manager for a Codex home, loaded from storage at once; a load error leaves it logged out. */
  static create(options: AuthManagerOptions): AuthManager {
    const manager = new AuthManager(options);
    const sync = manager.#loadSync();
    if (sync === undefined) {
      // a keyring can only be read asynchronously: every async method waits for this first load
      manager.#ready = manager.reload().then(() => {});
    } else {
      manager.#cached = sync;
    }
    return manager;
  }

  #loadSync(): Loaded | null | undefined {
    try {
      return loadAuthSync(
        this.codexHome,
        this.enableCodexApiKeyEnv,
        this.storeMode,
        this.#env,
        this.#storage,
      );
    } catch (error) {
      this.#onWarning(`Failed to load auth: ${message(error)}`);
      return null;
    }
  }

  /** A manager whose only auth is an external bearer source (a provider auth command). */
  static externalBearerOnly(refresher: ExternalAuth): AuthManager {
    const manager = new AuthManager({ codexHome: 'non-existent', enableCodexApiKeyEnv: false });
    manager.#external = refresher;
    return manager;
  }

  /** A manager holding a given auth (tests, embedding). */
  static fromAuth(auth: CodexAuth | null, options: Partial<AuthManagerOptions> = {}): AuthManager {
    const manager = new AuthManager({
      codexHome: 'non-existent',
      enableCodexApiKeyEnv: false,
      ...options,
    });
    manager.#cached = auth === null ? null : { auth, storageMode: manager.storeMode };
    return manager;
  }

  get forcedChatgptWorkspaceId(): string | null {
    return this.#forcedChatgptWorkspaceId;
  }

  setForcedChatgptWorkspaceId(workspaceId: string | null): void {
    this.#forcedChatgptWorkspaceId = workspaceId;
  }

  setExternalAuth(external: ExternalAuth): void {
    this.#external = external;
  }

  clearExternalAuth(): void {
    this.#external = null;
  }

  hasExternalAuth(): boolean {
    return this.#external !== null;
  }

  /** Whether an external API-key source (auth command) supplies the request token. */
  hasExternalApiKeyAuth(): boolean {
    return this.#external?.authMode === 'apikey';
  }

  isExternalChatgptAuthActive(): boolean {
    return this.#cached?.auth.mode === 'chatgptAuthTokens';
  }

  /** The fine-grained mode: `apikey` whenever an external API-key source is set. */
  apiAuthMode(): AuthMode | null {
    if (this.hasExternalApiKeyAuth()) {
      return 'apikey';
    }
    return this.#cached?.auth.mode ?? null;
  }

  /** The coarse mode: external ChatGPT tokens count as `chatgpt`. */
  authMode(): 'apikey' | 'chatgpt' | null {
    const mode = this.apiAuthMode();
    return mode === null ? null : mode === 'apikey' ? 'apikey' : 'chatgpt';
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
    const external = this.#external;
    if (external !== null && external.authMode === 'apikey') {
      const tokens = await external.resolve();
      if (tokens !== null) {
        return codexAuthFromApiKey(tokens.accessToken);
      }
    }
    const cached = this.#cached;
    if (cached === null) {
      return null;
    }
    if (this.#isStale(cached.auth)) {
      try {
        await this.refreshToken();
      } catch (error) {
        this.#onWarning(`Failed to refresh token: ${message(error)}`);
        return cached.auth;
      }
    }
    return this.authCached();
  }

  #isStale(auth: CodexAuth): boolean {
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
    const now = this.#now();
    if (expiresAtMs !== null) {
      return expiresAtMs - this.#refreshWindowMs <= now;
    }
    if (lastRefresh == null) {
      return false;
    }
    const refreshedAt = Date.parse(lastRefresh);
    return !Number.isNaN(refreshedAt) && refreshedAt < now - TOKEN_REFRESH_INTERVAL_MS;
  }

  #setCached(loaded: Loaded | null): void {
    const previous = this.#cached?.auth ?? null;
    if (!equalForRefresh(previous, loaded?.auth ?? null)) {
      this.#permanentFailure = null;
    }
    this.#cached = loaded;
  }

  async #load(): Promise<Loaded | null> {
    try {
      return await loadAuth(
        this.codexHome,
        this.enableCodexApiKeyEnv,
        this.storeMode,
        this.#env,
        this.#storage,
      );
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
    const changed = !equalForRefresh(this.authCached(), loaded?.auth ?? null);
    this.#setCached(loaded);
    return changed ? 'changed' : 'unchanged';
  }

  /** The recorded permanent refresh failure for exactly this auth snapshot, if any. */
  refreshFailureForAuth(auth: CodexAuth | null): RefreshTokenFailedError | null {
    const failure = this.#permanentFailure;
    return failure !== null && failure.snapshot === snapshotKey(auth) ? failure.error : null;
  }

  /**
   * Guarded refresh: adopts auth another process already rotated, else spends the refresh token once.
   * @throws {RefreshTokenFailedError} permanent failures (re-login needed)
   * @throws {TransientAuthError}
   */
  refreshToken(): Promise<void> {
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
        await this.#refreshFromAuthority(undefined);
      });
    });
  }

  /**
   * Refreshes the cached auth at its authority (ChatGPT token endpoint or the external source).
   * @throws {RefreshTokenFailedError}
   * @throws {TransientAuthError}
   */
  refreshTokenFromAuthority(context: { rejectedToken?: string } = {}): Promise<void> {
    return this.#refreshMutex.run(() =>
      this.#withStorageLock(() => this.#refreshFromAuthority(context.rejectedToken)),
    );
  }

  /**
   * Asks the external source (auth command or parent app) for new tokens after a 401.
   * @throws {TransientAuthError} and the source's own errors (e.g. AuthCommandError)
   */
  refreshExternalAuth(context: { rejectedToken?: string } = {}): Promise<void> {
    return this.#refreshMutex.run(() => this.#refreshExternalAuth(context.rejectedToken));
  }

  async #withStorageLock<T>(work: () => Promise<T>): Promise<T> {
    const cached = this.#cached;
    if (
      cached === null ||
      cached.auth.mode !== 'chatgpt' ||
      cached.storageMode === 'ephemeral' ||
      !existsSync(this.codexHome)
    ) {
      return work();
    }
    const file = authFilePath(this.codexHome);
    // Loaded on first use: only a refresh that persists tokens needs the lock.
    const { default: lockfile } = await import('proper-lockfile');
    const release = await lockfile.lock(file, {
      realpath: false,
      lockfilePath: `${file}.lock`,
      stale: 30_000,
      update: 5_000,
      retries: { retries: 600, factor: 1.2, minTimeout: 5, maxTimeout: 100, randomize: true },
      onCompromised: (error) => {
        this.#onWarning(`auth.json lock was compromised: ${error.message}`);
      },
    });
    try {
      return await work();
    } finally {
      await release().catch(() => {});
    }
  }

  async #refreshFromAuthority(rejectedToken: string | undefined): Promise<void> {
    const cached = this.#cached;
    if (cached === null) {
      return;
    }
    const recorded = this.refreshFailureForAuth(cached.auth);
    if (recorded !== null) {
      throw recorded;
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
    const storage = createAuthStorage(this.codexHome, cached.storageMode, this.#storage);
    // Another process may have rotated the tokens since we loaded them: adopt instead of spending twice.
    const onDisk = await this.#loadFrom(storage);
    if (
      onDisk !== null &&
      codexAuthAccountId(onDisk) === auth.accountId &&
      !equalForRefresh(onDisk, auth)
    ) {
      this.#setCached({ auth: onDisk, storageMode: cached.storageMode });
      return;
    }
    try {
      const response = await requestTokenRefresh(tokens.refresh_token, this.#env);
      await this.#persistTokens(storage, response);
    } catch (error) {
      if (
        error instanceof RefreshTokenFailedError &&
        equalForRefresh(this.authCached(), cached.auth)
      ) {
        this.#permanentFailure = { snapshot: snapshotKey(cached.auth), error };
      }
      throw error;
    }
    await this.reload();
  }

  async #loadFrom(storage: AuthStorageBackend): Promise<CodexAuth | null> {
    try {
      const stored = await storage.load();
      return stored === null ? null : codexAuthFromAuthDotJson(stored);
    } catch {
      return null;
    }
  }

  async #persistTokens(
    storage: AuthStorageBackend,
    response: { idToken: string | null; accessToken: string | null; refreshToken: string | null },
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
      last_refresh: new Date(this.#now()).toISOString(),
    };
    await storage.save(next);
  }

  async #refreshExternalAuth(rejectedToken: string | undefined): Promise<void> {
    const external = this.#external;
    if (external === null) {
      throw new TransientAuthError('external auth is not configured');
    }
    const forced = this.#forcedChatgptWorkspaceId;
    const previousAccountId = codexAuthAccountId(this.authCached());
    let tokens: ExternalAuthTokens;
    try {
      tokens = await external.refresh({
        reason: 'unauthorized',
        previousAccountId,
        ...(rejectedToken === undefined ? {} : { rejectedToken }),
      });
    } catch (error) {
      throw isCodexError(error) ? error : new TransientAuthError(message(error), { cause: error });
    }
    if (external.authMode === 'apikey') {
      return;
    }
    const metadata = tokens.chatgptMetadata;
    if (metadata === null) {
      throw new TransientAuthError('external auth refresh did not return ChatGPT metadata');
    }
    if (forced !== null && metadata.accountId !== forced) {
      throw new TransientAuthError(
        `external auth refresh returned workspace ${JSON.stringify(metadata.accountId)}, expected ${JSON.stringify(forced)}`,
      );
    }
    let record: AuthDotJson;
    try {
      record = authDotJsonFromExternalTokens(tokens, this.#now());
    } catch (error) {
      throw error instanceof TransientAuthError
        ? error
        : new TransientAuthError(message(error), { cause: error });
    }
    await new EphemeralAuthStorage(this.codexHome).save(record);
    await this.reload();
  }

  /**
   * Installs ChatGPT tokens from a parent app (in memory only) and makes them the current auth.
   * @throws {TransientAuthError} `external auth tokens are missing ChatGPT metadata`
   * @throws {InvalidTokenError} when the access token is not a JWT
   */
  async loginWithChatgptAuthTokens(tokens: ExternalAuthTokens): Promise<void> {
    await loginWithChatgptAuthTokens(this.codexHome, tokens, this.#now());
    await this.reload();
  }

  /** The 401 recovery state machine for one request chain. */
  unauthorizedRecovery(): UnauthorizedRecovery {
    return new UnauthorizedRecoveryImpl(this);
  }

  /** Removes credentials from the ephemeral and the configured store; true when something was removed. */
  async logout(): Promise<boolean> {
    try {
      return await logoutAllStores(this.codexHome, this.storeMode, this.#storage);
    } finally {
      await this.reload();
    }
  }

  /** Best-effort revoke of the managed ChatGPT token, then logout. */
  async logoutWithRevoke(options: { revokeTimeoutMs?: number } = {}): Promise<boolean> {
    const cached = this.authCached();
    if (cached !== null && cached.mode !== 'apikey') {
      await revokeAuthTokens(cached.authDotJson, this.#env, options).catch((error: unknown) => {
        this.#onWarning(`failed to revoke auth tokens during logout: ${message(error)}`);
      });
    }
    return this.logout();
  }

  /** @internal for UnauthorizedRecovery */
  reloadIfAccountIdMatches(expected: string | null): Promise<ReloadOutcome> {
    return this.#reloadIfAccountIdMatches(expected);
  }
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

export type UnauthorizedRecoveryStep = 'reload' | 'refresh_token' | 'external_refresh' | 'done';

/** What to do after a 401: managed auth reloads then refreshes; external auth refreshes once. */
export interface UnauthorizedRecovery {
  hasNext(): boolean;
  /**
   * Runs the next step.
   * @throws {RefreshTokenFailedError} permanent; other errors are transient
   */
  next(context?: { rejectedToken?: string }): Promise<{ authStateChanged: boolean | null }>;
  modeName(): 'managed' | 'external';
  stepName(): UnauthorizedRecoveryStep;
  unavailableReason(): string;
}

class UnauthorizedRecoveryImpl implements UnauthorizedRecovery {
  readonly #manager: AuthManager;
  readonly #expectedAccountId: string | null;
  readonly #mode: 'managed' | 'external';
  #step: UnauthorizedRecoveryStep;

  constructor(manager: AuthManager) {
    this.#manager = manager;
    const cached = manager.authCached();
    this.#expectedAccountId = codexAuthAccountId(cached);
    this.#mode =
      manager.hasExternalApiKeyAuth() || cached?.mode === 'chatgptAuthTokens'
        ? 'external'
        : 'managed';
    this.#step = this.#mode === 'managed' ? 'reload' : 'external_refresh';
  }

  #chatgptCached(): boolean {
    const cached = this.#manager.authCached();
    return cached !== null && cached.mode !== 'apikey';
  }

  hasNext(): boolean {
    if (this.#manager.hasExternalApiKeyAuth()) {
      return this.#step !== 'done';
    }
    if (!this.#chatgptCached()) {
      return false;
    }
    if (this.#mode === 'external' && !this.#manager.hasExternalAuth()) {
      return false;
    }
    return this.#step !== 'done';
  }

  unavailableReason(): string {
    if (this.#manager.hasExternalApiKeyAuth()) {
      return this.#step === 'done' ? 'recovery_exhausted' : 'ready';
    }
    if (!this.#chatgptCached()) {
      return 'not_chatgpt_auth';
    }
    if (this.#mode === 'external' && !this.#manager.hasExternalAuth()) {
      return 'no_external_auth';
    }
    return this.#step === 'done' ? 'recovery_exhausted' : 'ready';
  }

  modeName(): 'managed' | 'external' {
    return this.#mode;
  }

  stepName(): UnauthorizedRecoveryStep {
    return this.#step;
  }

  async next(
    context: { rejectedToken?: string } = {},
  ): Promise<{ authStateChanged: boolean | null }> {
    if (!this.hasNext()) {
      throw new RefreshTokenFailedError('other', 'No more recovery steps available.');
    }
    switch (this.#step) {
      case 'reload': {
        const outcome = await this.#manager.reloadIfAccountIdMatches(this.#expectedAccountId);
        if (outcome === 'skipped') {
          this.#step = 'done';
          throw new RefreshTokenFailedError('other', ACCOUNT_CHANGED_MESSAGE);
        }
        this.#step = 'refresh_token';
        return { authStateChanged: outcome === 'changed' };
      }
      case 'refresh_token':
        await this.#manager.refreshTokenFromAuthority();
        this.#step = 'done';
        return { authStateChanged: true };
      case 'external_refresh':
        await this.#manager.refreshExternalAuth(
          context.rejectedToken === undefined ? {} : { rejectedToken: context.rejectedToken },
        );
        this.#step = 'done';
        return { authStateChanged: true };
      case 'done':
        return { authStateChanged: null };
    }
  }
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
  const loaded = await loadAuth(
    restrictions.codexHome,
    true,
    restrictions.storeMode,
    restrictions.env ?? process.env,
    restrictions.storage ?? {},
  );
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
