import * as z from 'zod/mini';
import { describeValue } from '../config/describe.ts';
import { ModelProviderInfoSchema } from './model-provider-info.ts';

/** `cli_auth_credentials_store`: where CLI credentials are kept (default `file`). */
export const AuthCredentialsStoreModeSchema = z
  .enum(['file', 'keyring', 'auto', 'ephemeral'])
  .register(z.globalRegistry, {
    id: 'AuthCredentialsStoreMode',
    description:
      'Where CLI credentials are stored: `file` ($CODEX_HOME/auth.json), `keyring` (OS keyring), `auto` (keyring, falling back to file) or `ephemeral` (memory only).',
  });

/** Where CLI credentials are kept. */
export type AuthCredentialsStoreMode = z.output<typeof AuthCredentialsStoreModeSchema>;

/** `forced_login_method`: restricts login to ChatGPT or to an API key. */
export const ForcedLoginMethodSchema = z.enum(['chatgpt', 'api']).register(z.globalRegistry, {
  id: 'ForcedLoginMethod',
  description: 'Login method the CLI must use: `chatgpt` or `api` (API key).',
});

/** The login method a config can force. */
export type ForcedLoginMethod = z.output<typeof ForcedLoginMethodSchema>;

/** `model_reasoning_effort`: how hard a reasoning model thinks (Responses API `reasoning.effort`). */
export const ReasoningEffortSchema = z
  .enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'])
  .register(z.globalRegistry, {
    id: 'ReasoningEffort',
    description: 'Reasoning effort sent as `reasoning.effort` (reasoning models only).',
  });

/** `model_reasoning_summary`: the reasoning summary asked for (`none` asks for none). */
export const ReasoningSummarySchema = z
  .enum(['auto', 'concise', 'detailed', 'none'])
  .register(z.globalRegistry, {
    id: 'ReasoningSummary',
    description: 'Reasoning summary sent as `reasoning.summary`; `none` leaves it out.',
  });

/** `model_verbosity`: output length on GPT-5 models (Responses API `text.verbosity`). */
export const VerbositySchema = z.enum(['low', 'medium', 'high']).register(z.globalRegistry, {
  id: 'Verbosity',
  description: 'Output verbosity sent as `text.verbosity`.',
});

/** Keys that shape the request body, accepted at the top level and in profiles. */
const requestShapingKeys = {
  model_reasoning_effort: z.optional(ReasoningEffortSchema).register(z.globalRegistry, {
    description: 'Reasoning effort sent as `reasoning.effort`.',
  }),
  model_reasoning_summary: z.optional(ReasoningSummarySchema).register(z.globalRegistry, {
    description: 'Reasoning summary sent as `reasoning.summary` (`none` omits it).',
  }),
  model_verbosity: z.optional(VerbositySchema).register(z.globalRegistry, {
    description: 'Output verbosity sent as `text.verbosity`.',
  }),
  model_supports_reasoning_summaries: z.optional(z.boolean()).register(z.globalRegistry, {
    description: 'Send `reasoning` (summary `auto` unless set) even when no reasoning key is set.',
  }),
  service_tier: z.optional(z.string()).register(z.globalRegistry, {
    description: 'Service tier sent as `service_tier` (`fast` is sent as `priority`).',
  }),
};

/** `[profiles.<name>]`: a named set of overrides; keys other than the provider ones pass through. */
export const ConfigProfileSchema = z
  .looseObject({
    model: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'Model used when this profile is active.' }),
    model_provider: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Provider id from `model_providers` used when this profile is active.',
    }),
    chatgpt_base_url: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'ChatGPT backend base URL for this profile.' }),
    ...requestShapingKeys,
  })
  .register(z.globalRegistry, {
    id: 'ConfigProfile',
    description: 'Named collection of settings selected with `profile` or `--profile`.',
  });

/** A profile's provider settings plus any other keys it holds. */
export type ConfigProfile = z.output<typeof ConfigProfileSchema>;

/**
 * The provider part of `config.toml`. Other upstream keys (`approval_policy`, `mcp_servers`, ...)
 * pass through unchecked, so a full Codex config validates.
 */
export const ConfigTomlSchema = z
  .looseObject({
    model: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'Model to use, e.g. `gpt-5-codex`.' }),
    model_provider: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Provider to use from the `model_providers` map (default `openai`).',
    }),
    model_providers: z
      ._default(z.record(z.string(), ModelProviderInfoSchema), {})
      .register(z.globalRegistry, {
        description:
          'User-defined providers that extend the built-in list. Built-in ids (`openai`, `ollama`, `lmstudio`) cannot be overridden.',
      }),
    openai_base_url: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Base URL override for the built-in `openai` provider.',
    }),
    chatgpt_base_url: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Base URL of the ChatGPT backend used for ChatGPT login features.',
    }),
    oss_provider: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Default local provider for `--oss`: `lmstudio` or `ollama`.',
    }),
    cli_auth_credentials_store: z
      .optional(AuthCredentialsStoreModeSchema)
      .register(z.globalRegistry, {
        description: 'Where CLI credentials are stored (default `file`).',
      }),
    forced_login_method: z.optional(ForcedLoginMethodSchema).register(z.globalRegistry, {
      description: 'Restricts login to ChatGPT (`chatgpt`) or to an API key (`api`).',
    }),
    forced_chatgpt_workspace_id: z
      .optional(
        z.union([z.string(), z.array(z.string())], {
          error: (issue) =>
            `expected a string or an array of strings, got ${describeValue(issue.input)}`,
        }),
      )
      .register(z.globalRegistry, {
        description: 'ChatGPT workspace id (or list of ids) that a ChatGPT login must belong to.',
      }),
    ...requestShapingKeys,
    profile: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'Profile from `profiles` applied by default.' }),
    profiles: z._default(z.record(z.string(), ConfigProfileSchema), {}).register(z.globalRegistry, {
      description: 'Named profiles selectable with `profile` or `--profile`.',
    }),
  })
  .register(z.globalRegistry, {
    title: 'ConfigToml',
    description:
      'Provider and login settings of ~/.codex/config.toml. Other Codex settings are allowed and not described here.',
  });

/** Parsed provider part of `config.toml` (snake_case, as on disk); other keys pass through. */
export type ConfigToml = z.output<typeof ConfigTomlSchema>;
