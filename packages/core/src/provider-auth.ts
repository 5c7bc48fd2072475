import {
  AuthManager,
  type BearerTokenRefresher,
  providerBearerRefresher,
  type UnauthorizedRecovery,
} from '@codex/login';
import type { ModelProviderInfo } from '@codex/protocol';
import { EnvVarError } from './errors.ts';
import { setHeader } from './request-builder.ts';

/** Credentials for one request attempt. */
export type ResolvedAuth = {
  /** Auth headers (lowercase names), applied after the provider's own headers. */
  headers: Record<string, string>;
  /** The bearer token sent, so a 401 can name the rejected token; null when none is sent. */
  token: string | null;
  /** ChatGPT auth switches the default base URL to the ChatGPT backend. */
  chatgpt: boolean;
};

/** Where a provider's credentials come from (upstream-core §1.4.2). */
export interface ProviderAuth {
  /** `env`, `bearer`, `command`, `openai` (auth.json / CODEX_API_KEY / ChatGPT) or `none`. */
  readonly source: 'env' | 'bearer' | 'command' | 'openai' | 'none';
  /**
   * Credentials for the next attempt.
   * @throws {EnvVarError} when `env_key` is unset or blank
   * @throws {AuthCommandError} when the provider's auth command fails (no unauthenticated fallback)
   */
  resolve(): Promise<ResolvedAuth>;
  /** A fresh recovery for one request chain, or null when a 401 cannot be recovered from. */
  unauthorizedRecovery(): UnauthorizedRecovery | null;
}

/** Options of {@link createProviderAuth}. */
export interface ProviderAuthOptions {
  readonly providerId: string;
  readonly provider: ModelProviderInfo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's OpenAI login; consulted only for providers with `requires_openai_auth`. */
  readonly authManager?: AuthManager | undefined;
  readonly onSlowCommand?: ((command: string) => void) | undefined;
}

function bearer(token: string): Record<string, string> {
  const headers: Record<string, string> = {};
  setHeader(headers, 'Authorization', `Bearer ${token}`);
  return headers;
}

/**
 * Picks the provider's credential source, in upstream's precedence: `env_key` (hard error when
 * missing), `experimental_bearer_token`, the `auth` command (one shared refresher per provider per
 * process), the OpenAI login when `requires_openai_auth`, else no credentials at all.
 */
export function createProviderAuth(options: ProviderAuthOptions): ProviderAuth {
  const { provider, env } = options;
  const envKey = provider.env_key ?? undefined;
  if (envKey !== undefined) {
    return {
      source: 'env',
      resolve: async () => {
        const value = env[envKey];
        if (value === undefined || value.trim() === '') {
          throw new EnvVarError(envKey, provider.env_key_instructions ?? undefined);
        }
        return { headers: bearer(value), token: value, chatgpt: false };
      },
      unauthorizedRecovery: () => null,
    };
  }
  const bearerToken = provider.experimental_bearer_token ?? undefined;
  if (bearerToken !== undefined) {
    return {
      source: 'bearer',
      resolve: async () => ({ headers: bearer(bearerToken), token: bearerToken, chatgpt: false }),
      unauthorizedRecovery: () => null,
    };
  }
  if (provider.auth != null) {
    const refresher: BearerTokenRefresher = providerBearerRefresher(
      options.providerId,
      provider.auth,
    );
    const manager = AuthManager.externalBearerOnly(refresher);
    const { onSlowCommand } = options;
    // The refresher is shared by the whole process: listen for slow runs only while this client waits on
    // one, so short-lived clients never pile listeners onto it.
    const whileWaiting = async <T>(work: () => Promise<T>): Promise<T> => {
      if (onSlowCommand === undefined) return work();
      const stopListening = refresher.addSlowCommandListener(onSlowCommand);
      try {
        return await work();
      } finally {
        stopListening();
      }
    };
    return {
      source: 'command',
      // the refresher itself, not manager.auth(): a failing command must fail the turn (SPEC §4.1)
      resolve: async () => {
        const { accessToken } = await whileWaiting(() => refresher.resolve());
        return { headers: bearer(accessToken), token: accessToken, chatgpt: false };
      },
      unauthorizedRecovery: () => {
        const recovery = manager.unauthorizedRecovery();
        return {
          hasNext: () => recovery.hasNext(),
          next: (context) => whileWaiting(() => recovery.next(context)),
          modeName: () => recovery.modeName(),
          stepName: () => recovery.stepName(),
          unavailableReason: () => recovery.unavailableReason(),
        };
      },
    };
  }
  const authManager = options.authManager;
  if (provider.requires_openai_auth && authManager !== undefined) {
    return {
      source: 'openai',
      resolve: async () => {
        const auth = await authManager.auth();
        if (auth === null) return { headers: {}, token: null, chatgpt: false };
        if (auth.mode === 'apikey') {
          return { headers: bearer(auth.apiKey), token: auth.apiKey, chatgpt: false };
        }
        const headers = bearer(auth.accessToken);
        if (auth.accountId) setHeader(headers, 'ChatGPT-Account-ID', auth.accountId);
        if (auth.isFedramp) setHeader(headers, 'X-OpenAI-Fedramp', 'true');
        return { headers, token: auth.accessToken, chatgpt: true };
      },
      unauthorizedRecovery: () => authManager.unauthorizedRecovery(),
    };
  }
  return {
    source: 'none',
    resolve: async () => ({ headers: {}, token: null, chatgpt: false }),
    unauthorizedRecovery: () => null,
  };
}
