import * as z from 'zod/mini';
import { integerAtLeast, unknownVariantMessage } from '../config/describe.ts';
import { ModelProviderAuthInfoSchema } from './model-provider-auth-info.ts';

/** Upstream's error for the removed Chat Completions wire API (three lines). */
export const CHAT_WIRE_API_REMOVED_ERROR =
  '`wire_api = "chat"` is no longer supported.\nHow to fix: set `wire_api = "responses"` in your provider config.\nMore info: https://github.com/openai/codex/discussions/7782';

/** Wire protocol a provider speaks: only the Responses API. */
export const WireApiSchema = z
  .enum(['responses'], {
    error: (issue) =>
      issue.input === 'chat'
        ? CHAT_WIRE_API_REMOVED_ERROR
        : unknownVariantMessage(issue.input, ['responses']),
  })
  .register(z.globalRegistry, {
    id: 'WireApi',
    description: 'Wire protocol the provider speaks: the Responses API at `/v1/responses`.',
  });

/** The one supported wire protocol. */
export type WireApi = z.output<typeof WireApiSchema>;

/** `[model_providers.<id>.aws]`: AWS SigV4 settings (Amazon Bedrock). */
export const ModelProviderAwsAuthInfoSchema = z
  .strictObject({
    profile: z.optional(z.string()).register(z.globalRegistry, {
      description: 'AWS profile to use; when unset the AWS SDK default chain decides.',
    }),
    region: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'AWS region to sign requests for.' }),
    service: z.optional(z.string()).register(z.globalRegistry, {
      description: 'AWS service name used for signing (upstream default `bedrock`).',
    }),
  })
  .register(z.globalRegistry, {
    id: 'ModelProviderAwsAuthInfo',
    description: 'AWS SigV4 authentication settings for a model provider.',
  });

/** AWS SigV4 settings of a provider. */
export type ModelProviderAwsAuthInfo = z.output<typeof ModelProviderAwsAuthInfoSchema>;

const stringMap = z.record(z.string(), z.string());
const u64 = () =>
  z.int({ error: integerAtLeast(0) }).check(z.minimum(0, { error: integerAtLeast(0) }));

/** `[model_providers.<id>]`: one model provider definition. */
export const ModelProviderInfoSchema = z
  .strictObject({
    name: z._default(z.string(), '').register(z.globalRegistry, {
      description: 'Display name. `OpenAI` and `azure` (any case) also identify those providers.',
    }),
    base_url: z.optional(z.string()).register(z.globalRegistry, {
      description:
        'Base URL of the OpenAI-compatible API, e.g. `https://host/v1`. When unset, the OpenAI API or ChatGPT backend URL is used depending on the login.',
    }),
    env_key: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Name of the environment variable holding the API key for this provider.',
    }),
    env_key_instructions: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Hint shown when the `env_key` variable is missing.',
    }),
    experimental_bearer_token: z.optional(z.string()).register(z.globalRegistry, {
      description:
        'Literal bearer token sent as `Authorization: Bearer <token>`. Prefer `env_key`; this exists for programmatic use.',
    }),
    auth: z.optional(ModelProviderAuthInfoSchema).register(z.globalRegistry, {
      description:
        'Obtain the bearer token by running a command. Cannot be combined with `env_key`, `experimental_bearer_token` or `requires_openai_auth`.',
    }),
    aws: z.optional(ModelProviderAwsAuthInfoSchema).register(z.globalRegistry, {
      description: 'AWS SigV4 authentication settings.',
    }),
    wire_api: z._default(WireApiSchema, 'responses').register(z.globalRegistry, {
      description: 'Wire protocol the provider speaks.',
    }),
    query_params: z.optional(stringMap).register(z.globalRegistry, {
      description: 'Query parameters appended to every request URL.',
    }),
    http_headers: z.optional(stringMap).register(z.globalRegistry, {
      description: 'Extra HTTP headers sent with every request (header name to value).',
    }),
    env_http_headers: z.optional(stringMap).register(z.globalRegistry, {
      description:
        'HTTP headers whose value comes from an environment variable (header name to variable name). A header is sent only when its variable is set and not blank.',
    }),
    request_max_retries: z.optional(u64()).register(z.globalRegistry, {
      description: 'How many times a failed HTTP request is retried (default 4, at most 100).',
    }),
    stream_max_retries: z.optional(u64()).register(z.globalRegistry, {
      description:
        'How many times a dropped streaming response is reconnected (default 5, at most 100).',
    }),
    stream_idle_timeout_ms: z.optional(u64()).register(z.globalRegistry, {
      description:
        'Milliseconds without streaming activity before the connection counts as lost (default 300000).',
    }),
    websocket_connect_timeout_ms: z.optional(u64()).register(z.globalRegistry, {
      description: 'Milliseconds a WebSocket connection attempt may take (default 15000).',
    }),
    requires_openai_auth: z._default(z.boolean(), false).register(z.globalRegistry, {
      description:
        'Whether the provider uses the Codex OpenAI login (auth.json: ChatGPT or API key). When false the key, if any, comes from `env_key`.',
    }),
    supports_websockets: z._default(z.boolean(), false).register(z.globalRegistry, {
      description: 'Whether the provider supports the Responses API over WebSocket.',
    }),
  })
  .register(z.globalRegistry, {
    id: 'ModelProviderInfo',
    description: 'Definition of a model provider.',
  });

/** A provider with defaults applied (`name ""`, `wire_api "responses"`, both booleans false). */
export type ModelProviderInfo = z.output<typeof ModelProviderInfoSchema>;

const DEFAULT_REQUEST_MAX_RETRIES = 4;
const DEFAULT_STREAM_MAX_RETRIES = 5;
const MAX_RETRIES_CAP = 100;
/** Default idle time allowed between SSE events. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
/** Default time allowed for a WebSocket connect. */
export const DEFAULT_WEBSOCKET_CONNECT_TIMEOUT_MS = 15_000;

/** Transport-level retries: `request_max_retries ?? 4`, capped at 100. */
export function requestMaxRetries(
  provider: Pick<ModelProviderInfo, 'request_max_retries'>,
): number {
  return Math.min(provider.request_max_retries ?? DEFAULT_REQUEST_MAX_RETRIES, MAX_RETRIES_CAP);
}

/** Turn-level reconnect retries: `stream_max_retries ?? 5`, capped at 100. */
export function streamMaxRetries(provider: Pick<ModelProviderInfo, 'stream_max_retries'>): number {
  return Math.min(provider.stream_max_retries ?? DEFAULT_STREAM_MAX_RETRIES, MAX_RETRIES_CAP);
}

/** Idle time allowed between SSE events: `stream_idle_timeout_ms ?? 300000`, uncapped, 0 allowed. */
export function streamIdleTimeoutMs(
  provider: Pick<ModelProviderInfo, 'stream_idle_timeout_ms'>,
): number {
  return provider.stream_idle_timeout_ms ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
}

/** WebSocket connect timeout: `websocket_connect_timeout_ms ?? 15000`. */
export function websocketConnectTimeoutMs(
  provider: Pick<ModelProviderInfo, 'websocket_connect_timeout_ms'>,
): number {
  return provider.websocket_connect_timeout_ms ?? DEFAULT_WEBSOCKET_CONNECT_TIMEOUT_MS;
}

/** True for the OpenAI provider, identified by its name `OpenAI`. */
export function isOpenAiProvider(provider: Pick<ModelProviderInfo, 'name'>): boolean {
  return provider.name === 'OpenAI';
}

const AZURE_BASE_URL_MARKERS = [
  'openai.azure.',
  'cognitiveservices.azure.',
  'aoai.azure.',
  'azure-api.',
  'azurefd.',
  'windows.net/openai',
];

/** True when the name is `azure` (any case) or the base URL points at an Azure OpenAI endpoint. */
export function isAzureProvider(provider: Pick<ModelProviderInfo, 'name' | 'base_url'>): boolean {
  if (provider.name.toLowerCase() === 'azure') return true;
  const baseUrl = provider.base_url?.toLowerCase();
  return baseUrl !== undefined && AZURE_BASE_URL_MARKERS.some((marker) => baseUrl.includes(marker));
}

/** True when the provider can compact conversations server-side (OpenAI or Azure). */
export function supportsRemoteCompaction(
  provider: Pick<ModelProviderInfo, 'name' | 'base_url'>,
): boolean {
  return isOpenAiProvider(provider) || isAzureProvider(provider);
}

/** True when the provider gets its bearer token from an `auth` command. */
export function hasCommandAuth(provider: Pick<ModelProviderInfo, 'auth'>): boolean {
  return provider.auth !== undefined;
}

/**
 * Upstream's per-provider cross-field rules; returns the error text without the
 * `model_providers.<id>: ` prefix, or `undefined` when the provider is valid.
 */
export function validateModelProviderInfo(provider: ModelProviderInfo): string | undefined {
  if (provider.aws !== undefined) {
    if (provider.aws.service !== undefined && provider.aws.service.trim() === '') {
      return 'provider aws.service must not be empty';
    }
    if (provider.supports_websockets) {
      return 'provider aws cannot be combined with supports_websockets';
    }
    const conflicts: string[] = [];
    if (provider.env_key !== undefined) conflicts.push('env_key');
    if (provider.experimental_bearer_token !== undefined)
      conflicts.push('experimental_bearer_token');
    if (provider.auth !== undefined) conflicts.push('auth');
    if (provider.requires_openai_auth) conflicts.push('requires_openai_auth');
    if (conflicts.length > 0) return `provider aws cannot be combined with ${conflicts.join(', ')}`;
  }
  if (provider.auth === undefined) return undefined;
  if (provider.auth.command.trim() === '') return 'provider auth.command must not be empty';
  const conflicts: string[] = [];
  if (provider.env_key !== undefined) conflicts.push('env_key');
  if (provider.experimental_bearer_token !== undefined) conflicts.push('experimental_bearer_token');
  if (provider.requires_openai_auth) conflicts.push('requires_openai_auth');
  return conflicts.length > 0
    ? `provider auth cannot be combined with ${conflicts.join(', ')}`
    : undefined;
}
