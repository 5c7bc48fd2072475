import type { Config } from '@codex/core';
import type { ModelProviderInfo } from '@codex/protocol';

/** What `codex login status` can say without running anything: one line and its exit code. */
export type CredentialStatus =
  | { readonly kind: 'report'; readonly line: string; readonly exitCode: 0 | 1 }
  /** The provider's `auth` command supplies the token: run it to tell. */
  | { readonly kind: 'command' }
  /** The OpenAI login (auth.json or the keyring) supplies it: read the store to tell. */
  | { readonly kind: 'store' };

function blank(value: string | undefined | null): boolean {
  return value === undefined || value === null || value.trim() === '';
}

/**
 * The credential source a request to the active provider would use, in core's precedence
 * (`env_key`, `experimental_bearer_token`, the `auth` command, the OpenAI login: `CODEX_API_KEY`,
 * then the credential store), described without the secret.
 */
export function credentialStatus(config: Config, env: NodeJS.ProcessEnv): CredentialStatus {
  const id = config.modelProviderId;
  const provider: ModelProviderInfo = config.modelProvider;
  const envKey = provider.env_key ?? undefined;
  if (envKey !== undefined) {
    return blank(env[envKey])
      ? {
          kind: 'report',
          line: `Not logged in: model provider '${id}' reads its API key from \`${envKey}\`, which is not set`,
          exitCode: 1,
        }
      : {
          kind: 'report',
          line: `Using the API key in \`${envKey}\` (env_key of model provider '${id}'; not shown)`,
          exitCode: 0,
        };
  }
  const bearer = provider.experimental_bearer_token;
  if (bearer !== undefined && bearer !== null) {
    return blank(bearer)
      ? {
          kind: 'report',
          line: `Not logged in: the experimental_bearer_token of model provider '${id}' is empty`,
          exitCode: 1,
        }
      : {
          kind: 'report',
          line: `Using the experimental_bearer_token of model provider '${id}' (not shown)`,
          exitCode: 0,
        };
  }
  if (provider.auth != null) return { kind: 'command' };
  if (!provider.requires_openai_auth) {
    return {
      kind: 'report',
      line: `Model provider '${id}' uses no credentials`,
      exitCode: 0,
    };
  }
  if (!blank(env['CODEX_API_KEY'])) {
    return {
      kind: 'report',
      line: 'Logged in using an API key from `CODEX_API_KEY` (not shown)',
      exitCode: 0,
    };
  }
  return { kind: 'store' };
}
