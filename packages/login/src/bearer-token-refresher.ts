import path from 'node:path';
import type { ModelProviderAuthInfo } from '@codex/protocol';
import { type CommandToken, runAuthCommand } from './auth-command.ts';
import {
  type ExternalAuth,
  type ExternalAuthRefreshContext,
  ExternalAuthTokens,
} from './external-auth.ts';

/** Longest pre-expiry margin: a token is treated as stale this long (or 10% of its lifetime) before it expires. */
export const MAX_EXPIRY_SKEW_MS = 60_000;

export type BearerTokenRefresherOptions = {
  /** Clock in epoch ms; injectable for tests. */
  readonly now?: () => number;
  /** Called once per run when a command takes longer than `slowNoticeMs`. */
  readonly onSlowCommand?: (command: string) => void;
  readonly slowNoticeMs?: number;
};

type CachedToken = {
  token: string;
  fetchedAtMs: number;
  /** Epoch ms after which the token must not be reused, from its expiry; null when unknown. */
  staleAtMs: number | null;
};

function staleAt(result: CommandToken, fetchedAtMs: number): number | null {
  let expiresAtMs = result.expiresAtMs;
  let lifetimeMs: number;
  if (expiresAtMs !== null) {
    lifetimeMs =
      result.issuedAtMs !== null
        ? expiresAtMs - result.issuedAtMs
        : (result.expiresInMs ?? expiresAtMs - fetchedAtMs);
  } else if (result.expiresInMs !== null) {
    expiresAtMs = fetchedAtMs + result.expiresInMs;
    lifetimeMs = result.expiresInMs;
  } else {
    return null;
  }
  return expiresAtMs - Math.min(MAX_EXPIRY_SKEW_MS, 0.1 * Math.max(0, lifetimeMs));
}

/**
 * A bearer token from a provider auth command, cached in memory and renewed by age, expiry or a 401.
 * Runs are single-flight: concurrent callers share one run and its outcome, success or failure.
 */
export class BearerTokenRefresher implements ExternalAuth {
  readonly authMode = 'apikey' as const;
  readonly config: Readonly<ModelProviderAuthInfo>;
  readonly #now: () => number;
  readonly #slowNoticeMs: number;
  readonly #slowListeners = new Set<(command: string) => void>();
  #cache: CachedToken | null = null;
  #inFlight: Promise<CachedToken> | null = null;
  #runCount = 0;

  constructor(
    config: ModelProviderAuthInfo,
    { now = Date.now, onSlowCommand, slowNoticeMs = 2000 }: BearerTokenRefresherOptions = {},
  ) {
    this.config = { ...config, args: [...config.args] };
    this.#now = now;
    this.#slowNoticeMs = slowNoticeMs;
    if (onSlowCommand !== undefined) {
      this.#slowListeners.add(onSlowCommand);
    }
  }

  /** How many times the command has been started. */
  get runCount(): number {
    return this.#runCount;
  }

  /** Adds a slow-command listener; returns a function that removes it. */
  addSlowCommandListener(listener: (command: string) => void): () => void {
    this.#slowListeners.add(listener);
    return () => this.#slowListeners.delete(listener);
  }

  /**
   * The cached token while it is fresh, else a new one from the command.
   * @throws {AuthCommandError} when the command fails: there is no token-less fallback
   */
  async resolve(): Promise<ExternalAuthTokens> {
    const cached = this.#cache;
    if (cached !== null && this.#isFresh(cached)) {
      return ExternalAuthTokens.bearerOnly(cached.token);
    }
    const entry = await this.#runShared();
    return ExternalAuthTokens.bearerOnly(entry.token);
  }

  /**
   * A new token after a 401. When `rejectedToken` is given and the cache already holds a different fresh
   * token, that token is returned without running the command.
   * @throws {AuthCommandError}
   */
  async refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens> {
    const cached = this.#cache;
    if (
      context.rejectedToken !== undefined &&
      cached !== null &&
      cached.token !== context.rejectedToken &&
      this.#isFresh(cached)
    ) {
      return ExternalAuthTokens.bearerOnly(cached.token);
    }
    const entry = await this.#runShared();
    return ExternalAuthTokens.bearerOnly(entry.token);
  }

  #isFresh(entry: CachedToken): boolean {
    const now = this.#now();
    if (entry.staleAtMs !== null && now >= entry.staleAtMs) {
      return false;
    }
    const intervalMs = this.config.refresh_interval_ms;
    return intervalMs === 0 || now - entry.fetchedAtMs < intervalMs;
  }

  #runShared(): Promise<CachedToken> {
    if (this.#inFlight === null) {
      const run = this.#run().finally(() => {
        if (this.#inFlight === run) {
          this.#inFlight = null;
        }
      });
      this.#inFlight = run;
    }
    return this.#inFlight;
  }

  async #run(): Promise<CachedToken> {
    this.#runCount += 1;
    const command = this.config.command;
    const result = await runAuthCommand(this.config, {
      onSlow: () => {
        for (const listener of this.#slowListeners) {
          listener(command);
        }
      },
      slowNoticeMs: this.#slowNoticeMs,
      redact: this.#cache === null ? [] : [this.#cache.token],
    });
    const fetchedAtMs = this.#now();
    const entry: CachedToken = {
      token: result.token,
      fetchedAtMs,
      staleAtMs: staleAt(result, fetchedAtMs),
    };
    this.#cache = entry;
    return entry;
  }
}

/**
 * A refresher for one provider auth config (not shared).
 * @example
 * const refresher = createBearerTokenRefresher({ command: './print-token.sh', args: [], timeout_ms: 5000,
 *   refresh_interval_ms: 300_000, cwd: '/home/me/.codex' });
 * const { accessToken } = await refresher.resolve();
 */
export function createBearerTokenRefresher(
  auth: ModelProviderAuthInfo,
  options: BearerTokenRefresherOptions = {},
): BearerTokenRefresher {
  return new BearerTokenRefresher(auth, options);
}

const registry = new Map<string, BearerTokenRefresher>();

function registryKey(providerId: string, auth: ModelProviderAuthInfo): string {
  return JSON.stringify([
    providerId,
    auth.command,
    auth.args,
    auth.timeout_ms,
    auth.refresh_interval_ms,
    path.resolve(auth.cwd),
  ]);
}

/** The process-wide refresher for a provider: one per provider id and auth config, so its cache is shared. */
export function providerBearerRefresher(
  providerId: string,
  auth: ModelProviderAuthInfo,
  options: Pick<BearerTokenRefresherOptions, 'onSlowCommand'> = {},
): BearerTokenRefresher {
  const key = registryKey(providerId, auth);
  let refresher = registry.get(key);
  if (refresher === undefined) {
    refresher = new BearerTokenRefresher(auth);
    registry.set(key, refresher);
  }
  if (options.onSlowCommand !== undefined) {
    refresher.addSlowCommandListener(options.onSlowCommand);
  }
  return refresher;
}

/** Forgets every shared provider refresher (tests, or after a config reload). */
export function clearProviderBearerRefreshers(): void {
  registry.clear();
}
