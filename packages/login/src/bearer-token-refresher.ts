import path from 'node:path';
import type { ModelProviderAuthInfo, Secret } from '@codex/protocol';
import { type CommandToken, runAuthCommand } from './auth-command.ts';
import { AuthCommandError } from './errors.ts';
import {
  type ExternalAuth,
  type ExternalAuthRefreshContext,
  type ExternalAuthResolveOptions,
  ExternalAuthTokens,
  type TokenRequestReason,
} from './external-auth.ts';

/** Longest pre-expiry margin: a token is treated as stale this long (or 10% of its lifetime) before it expires. */
export const MAX_EXPIRY_SKEW_MS = 60_000;

/** Share of a token's usable life after which a long-lived refresher renews it in the background. */
const REFRESH_AHEAD_RATIO = 0.75;

export type BearerTokenRefresherOptions = {
  /** Clock in epoch ms; injectable for tests. */
  readonly now?: () => number;
  /** Called once per run when a command takes longer than `slowNoticeMs`. */
  readonly onSlowCommand?: (command: string) => void;
  readonly slowNoticeMs?: number;
  /** Passed to the command as `CODEX_PROVIDER_ID`. */
  readonly providerId?: string | undefined;
  /**
   * Renew a token with a known expiry in the background once 75% of its usable life has passed (earlier for a
   * slow command: twice its last run time before the token goes stale, never before half its life), so callers
   * never wait on the command while the token is valid. Default true; off for one-shot processes.
   */
  readonly refreshAhead?: boolean;
};

type CachedToken = {
  token: Secret;
  fetchedAtMs: number;
  /** Epoch ms after which the token must not be reused, from its expiry; null when unknown. */
  staleAtMs: number | null;
  /** How long the run that fetched it took. */
  runMs: number;
};

type Flight = {
  readonly promise: Promise<CachedToken>;
  readonly controller: AbortController;
  /** Callers still waiting that could give up; the run is aborted when the last of them does. */
  waiters: number;
  /** A caller without a signal is waiting: the run is never aborted on a caller's behalf. */
  pinned: boolean;
  /** Started ahead of expiry with nobody waiting; its failure is not the first caller's to report. */
  readonly background: boolean;
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

/** The text of improvement 16: a rerun after a 401 printed the token that was just rejected. */
export function rejectedTokenReturnedMessage(command: string): string {
  return `provider auth command \`${command}\` printed the token the server just rejected; it was not resent (the command runs with CODEX_AUTH_REASON=unauthorized after a 401, so a caching helper can fetch a new token)`;
}

/**
 * A bearer token from a provider auth command, cached in memory and renewed by age, expiry or a 401.
 * Runs are single-flight: concurrent callers share one run and its outcome, success or failure.
 * Implements {@link ExternalAuth}; `refresh` is generation-aware (a 401 for a token the cache has already
 * replaced returns the replacement without running the command).
 */
export class BearerTokenRefresher implements ExternalAuth {
  readonly authMode = 'apikey' as const;
  readonly config: Readonly<ModelProviderAuthInfo>;
  readonly #now: () => number;
  readonly #slowNoticeMs: number;
  readonly #providerId: string | undefined;
  readonly #refreshAhead: boolean;
  readonly #slowListeners = new Set<(command: string) => void>();
  #cache: CachedToken | null = null;
  #inFlight: Flight | null = null;
  #runCount = 0;

  constructor(
    config: ModelProviderAuthInfo,
    {
      now = Date.now,
      onSlowCommand,
      slowNoticeMs = 2000,
      providerId,
      refreshAhead = true,
    }: BearerTokenRefresherOptions = {},
  ) {
    this.config = { ...config, args: [...config.args] };
    this.#now = now;
    this.#slowNoticeMs = slowNoticeMs;
    this.#providerId = providerId;
    this.#refreshAhead = refreshAhead;
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
   * The cached token while it is fresh, else a new one from the command. With a known expiry and
   * `refreshAhead`, a token past 75% of its usable life is returned at once while a background run renews it.
   * @throws {AuthCommandError} when the command fails: there is no token-less fallback
   */
  async resolve(options: ExternalAuthResolveOptions = {}): Promise<ExternalAuthTokens> {
    const cached = this.#cache;
    if (cached !== null && this.#isFresh(cached)) {
      this.#maybeRenewAhead(cached);
      return ExternalAuthTokens.bearerOnly(cached.token);
    }
    const reason = cached === null ? 'initial' : 'expired';
    const background = this.#inFlight?.background === true;
    const entry = await this.#join(reason, options.signal).catch((error: unknown) => {
      // a failed background renewal is tried again for the caller that needs the token now
      if (background && !options.signal?.aborted) return this.#join(reason, options.signal);
      throw error;
    });
    return ExternalAuthTokens.bearerOnly(entry.token);
  }

  /**
   * A new token after a 401. When `rejectedToken` is given and the cache already holds a different fresh
   * token, that token is returned without running the command.
   * @throws {AuthCommandError} when the command fails, or prints the token that was just rejected
   */
  async refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens> {
    const rejected = context.rejectedToken;
    const cached = this.#cache;
    if (
      rejected !== undefined &&
      cached !== null &&
      !cached.token.equals(rejected) &&
      this.#isFresh(cached)
    ) {
      return ExternalAuthTokens.bearerOnly(cached.token);
    }
    const inFlight = this.#inFlight;
    const entry = await this.#join('unauthorized', context.signal);
    if (rejected !== undefined && entry.token.equals(rejected)) {
      // A run already in flight when the 401 arrived may have started before the rejection: try once more.
      const retried = inFlight !== null ? await this.#join('unauthorized', context.signal) : entry;
      if (retried.token.equals(rejected)) {
        if (this.#cache === retried) this.#cache = null;
        throw new AuthCommandError(
          this.config.command,
          rejectedTokenReturnedMessage(this.config.command),
        );
      }
      return ExternalAuthTokens.bearerOnly(retried.token);
    }
    return ExternalAuthTokens.bearerOnly(entry.token);
  }

  /** Kills a running command (a background renewal included); later calls run it again. */
  close(reason: unknown = new Error('auth command cancelled')): void {
    this.#inFlight?.controller.abort(reason);
  }

  #isFresh(entry: CachedToken): boolean {
    const now = this.#now();
    if (entry.staleAtMs !== null && now >= entry.staleAtMs) {
      return false;
    }
    const intervalMs = this.config.refresh_interval_ms;
    return intervalMs === 0 || now - entry.fetchedAtMs < intervalMs;
  }

  #maybeRenewAhead(entry: CachedToken): void {
    if (!this.#refreshAhead || entry.staleAtMs === null || this.#inFlight !== null) return;
    // After 75% of the usable life; a slow helper gets twice its last run time before the token goes
    // stale, but the renewal never starts before half the life.
    const usableMs = entry.staleAtMs - entry.fetchedAtMs;
    const leadMs = Math.max((1 - REFRESH_AHEAD_RATIO) * usableMs, 2 * entry.runMs);
    const renewAtMs = entry.fetchedAtMs + Math.max(0.5 * usableMs, usableMs - leadMs);
    if (this.#now() < renewAtMs) return;
    // Nobody waits on a background renewal: a failure is forgotten and tried again on a later call.
    this.#start('expired', true).promise.catch(() => {});
  }

  #start(reason: TokenRequestReason, background = false): Flight {
    const controller = new AbortController();
    const promise = this.#run(reason, controller.signal).finally(() => {
      if (this.#inFlight === flight) this.#inFlight = null;
    });
    const flight: Flight = { promise, controller, waiters: 0, pinned: false, background };
    this.#inFlight = flight;
    return flight;
  }

  /** Waits on the shared run (starting one if none); a caller's signal cancels only its own wait. */
  #join(reason: TokenRequestReason, signal: AbortSignal | undefined): Promise<CachedToken> {
    signal?.throwIfAborted();
    const flight = this.#inFlight ?? this.#start(reason);
    if (signal === undefined) {
      flight.pinned = true;
      return flight.promise;
    }
    flight.waiters += 1;
    return new Promise<CachedToken>((resolve, reject) => {
      const onAbort = () => {
        flight.waiters -= 1;
        if (flight.waiters === 0 && !flight.pinned) flight.controller.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (entry) => {
          signal.removeEventListener('abort', onAbort);
          resolve(entry);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  async #run(reason: TokenRequestReason, signal: AbortSignal): Promise<CachedToken> {
    this.#runCount += 1;
    const startedAtMs = this.#now();
    const command = this.config.command;
    const result = await runAuthCommand(this.config, {
      onSlow: () => {
        for (const listener of this.#slowListeners) {
          listener(command);
        }
      },
      slowNoticeMs: this.#slowNoticeMs,
      signal,
      reason,
      providerId: this.#providerId,
    });
    const fetchedAtMs = this.#now();
    const entry: CachedToken = {
      token: result.token,
      fetchedAtMs,
      staleAtMs: staleAt(result, fetchedAtMs),
      runMs: fetchedAtMs - startedAtMs,
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
 * fetch(url, { headers: { authorization: `Bearer ${accessToken.reveal()}` } });
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

/**
 * The process-wide refresher for a provider: one per provider id and auth config, so every thread and request
 * shares its cache (improvement 5). `refreshAhead` applies when the refresher is first created.
 */
export function providerBearerRefresher(
  providerId: string,
  auth: ModelProviderAuthInfo,
  options: Pick<BearerTokenRefresherOptions, 'refreshAhead'> = {},
): BearerTokenRefresher {
  const key = registryKey(providerId, auth);
  let refresher = registry.get(key);
  if (refresher === undefined) {
    refresher = new BearerTokenRefresher(auth, {
      providerId,
      refreshAhead: options.refreshAhead ?? false,
    });
    registry.set(key, refresher);
  }
  return refresher;
}

/** Kills every running provider auth command and forgets the shared refreshers (shutdown, tests). */
export function clearProviderBearerRefreshers(reason?: unknown): void {
  for (const refresher of registry.values()) refresher.close(reason);
  registry.clear();
}
