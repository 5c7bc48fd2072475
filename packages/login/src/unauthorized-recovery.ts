import type { AuthMode } from '@codex/protocol';
import { type CodexAuth, codexAuthAccountId } from './codex-auth.ts';
import { ACCOUNT_CHANGED_MESSAGE, RefreshTokenFailedError } from './errors.ts';

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

/** How a reload that must stay on one account went. */
export type ReloadOutcome = 'changed' | 'unchanged' | 'skipped';

/** What recovery needs from the manager that built it. */
export interface RecoveryHost {
  /** Settles once the manager's first load from storage has finished. */
  loaded(): Promise<void>;
  authCached(): CodexAuth | null;
  /** The auth mode of the external source (auth command or parent app); null when none is set. */
  externalAuthMode(): AuthMode | null;
  /** Reloads stored auth if it still belongs to `expected`; `skipped` (cache untouched) otherwise. */
  reloadIfAccountIdMatches(expected: string | null): Promise<ReloadOutcome>;
  /** Refreshes the cached managed tokens at the token endpoint. */
  refreshTokenFromAuthority(): Promise<void>;
  refreshExternalAuth(context: { rejectedToken?: string }): Promise<void>;
}

type Mode = 'managed' | 'external';

/**
 * The 401 state machine of one request chain. Its mode and expected account come from the auth in use
 * when the first step runs, not from when it was built: a manager whose store loads asynchronously has
 * no auth cached yet when a request chain builds its recovery.
 */
export class UnauthorizedRecoveryImpl implements UnauthorizedRecovery {
  readonly #host: RecoveryHost;
  #pinned: { mode: Mode; expectedAccountId: string | null } | null = null;
  #step: UnauthorizedRecoveryStep | null = null;

  constructor(host: RecoveryHost) {
    this.#host = host;
  }

  #mode(): Mode {
    if (this.#pinned !== null) {
      return this.#pinned.mode;
    }
    return this.#host.authCached()?.mode === 'chatgptAuthTokens' ? 'external' : 'managed';
  }

  #currentStep(): UnauthorizedRecoveryStep {
    return this.#step ?? (this.#mode() === 'managed' ? 'reload' : 'external_refresh');
  }

  #unavailable(): 'not_chatgpt_auth' | 'no_external_auth' | null {
    const cached = this.#host.authCached();
    if (cached === null || cached.mode === 'apikey') {
      return 'not_chatgpt_auth';
    }
    if (this.#mode() === 'external' && this.#host.externalAuthMode() === null) {
      return 'no_external_auth';
    }
    return null;
  }

  hasNext(): boolean {
    return this.#unavailable() === null && this.#currentStep() !== 'done';
  }

  unavailableReason(): string {
    return this.#unavailable() ?? (this.#currentStep() === 'done' ? 'recovery_exhausted' : 'ready');
  }

  modeName(): Mode {
    return this.#mode();
  }

  stepName(): UnauthorizedRecoveryStep {
    return this.#currentStep();
  }

  async next(
    context: { rejectedToken?: string } = {},
  ): Promise<{ authStateChanged: boolean | null }> {
    await this.#host.loaded();
    if (!this.hasNext()) {
      throw new RefreshTokenFailedError('other', 'No more recovery steps available.');
    }
    this.#pinned ??= {
      mode: this.#mode(),
      expectedAccountId: codexAuthAccountId(this.#host.authCached()),
    };
    this.#step ??= this.#currentStep();
    switch (this.#step) {
      case 'reload': {
        const outcome = await this.#host.reloadIfAccountIdMatches(this.#pinned.expectedAccountId);
        if (outcome === 'skipped') {
          this.#step = 'done';
          throw new RefreshTokenFailedError('other', ACCOUNT_CHANGED_MESSAGE);
        }
        this.#step = 'refresh_token';
        return { authStateChanged: outcome === 'changed' };
      }
      case 'refresh_token':
        await this.#host.refreshTokenFromAuthority();
        this.#step = 'done';
        return { authStateChanged: true };
      case 'external_refresh':
        await this.#host.refreshExternalAuth(
          context.rejectedToken === undefined ? {} : { rejectedToken: context.rejectedToken },
        );
        this.#step = 'done';
        return { authStateChanged: true };
      case 'done':
        return { authStateChanged: null };
    }
  }
}
