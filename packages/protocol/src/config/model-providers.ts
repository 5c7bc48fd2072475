import { ConfigError } from '../errors/config-error.ts';
import type { ModelProviderInfo } from '../schemas/model-provider-info.ts';
import { RESERVED_MODEL_PROVIDER_IDS, reservedProviderIdsError } from './reserved-ids.ts';

/** Id of the built-in OpenAI provider, the default `model_provider`. */
export const OPENAI_PROVIDER_ID = 'openai';
/** Id of the built-in Ollama provider. */
export const OLLAMA_OSS_PROVIDER_ID = 'ollama';
/** Id of the built-in LM Studio provider. */
export const LMSTUDIO_OSS_PROVIDER_ID = 'lmstudio';
/** The removed `ollama-chat` provider id. */
export const LEGACY_OLLAMA_CHAT_PROVIDER_ID = 'ollama-chat';
/** Upstream's text when `ollama-chat` is selected (three lines). */
export const OLLAMA_CHAT_PROVIDER_REMOVED_ERROR =
  '`ollama-chat` is no longer supported.\nHow to fix: replace `ollama-chat` with `ollama` in `model_provider`, `oss_provider`, or `--local-provider`.\nMore info: https://github.com/openai/codex/discussions/7782';
/** Default port of a local Ollama server. */
export const DEFAULT_OLLAMA_PORT = 11434;
/** Default port of a local LM Studio server. */
export const DEFAULT_LMSTUDIO_PORT = 1234;

/** Inputs of {@link builtInModelProviders}. */
export type BuiltInModelProvidersOptions = {
  /** The `openai_base_url` config key, when set. */
  openaiBaseUrl?: string | undefined;
  /** Environment read for `CODEX_OSS_BASE_URL` and `CODEX_OSS_PORT`. */
  env: Record<string, string | undefined>;
  /** Sent as the `version` header by the `openai` provider; defaults to `0.0.0`. */
  version?: string | undefined;
};

function isBlank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

// Rust's `str::parse::<u16>`: ASCII digits with an optional leading `+`, no spaces, 0..=65535.
function parseU16(value: string): number | undefined {
  if (!/^\+?[0-9]+$/.test(value)) return undefined;
  const port = Number(value);
  return port <= 65_535 ? port : undefined;
}

function ossProvider(
  defaultPort: number,
  env: Record<string, string | undefined>,
): ModelProviderInfo {
  const portValue = env['CODEX_OSS_PORT'];
  const port = isBlank(portValue) ? defaultPort : (parseU16(portValue) ?? defaultPort);
  const baseUrlValue = env['CODEX_OSS_BASE_URL'];
  return {
    name: 'gpt-oss',
    base_url: isBlank(baseUrlValue) ? `http://localhost:${port}/v1` : baseUrlValue,
    wire_api: 'responses',
    requires_openai_auth: false,
    supports_websockets: false,
  };
}

/** The providers Codex ships: `openai`, `ollama` and `lmstudio`. */
export function builtInModelProviders(
  options: BuiltInModelProvidersOptions,
): Record<string, ModelProviderInfo> {
  const openai: ModelProviderInfo = {
    name: 'OpenAI',
    wire_api: 'responses',
    http_headers: { version: options.version ?? '0.0.0' },
    env_http_headers: {
      'OpenAI-Organization': 'OPENAI_ORGANIZATION',
      'OpenAI-Project': 'OPENAI_PROJECT',
    },
    requires_openai_auth: true,
    supports_websockets: true,
  };
  if (options.openaiBaseUrl !== undefined) openai.base_url = options.openaiBaseUrl;
  return {
    [OPENAI_PROVIDER_ID]: openai,
    [OLLAMA_OSS_PROVIDER_ID]: ossProvider(DEFAULT_OLLAMA_PORT, options.env),
    [LMSTUDIO_OSS_PROVIDER_ID]: ossProvider(DEFAULT_LMSTUDIO_PORT, options.env),
  };
}

/**
 * Built-ins first, then user providers with other ids.
 * @throws {ConfigError} when a user provider reuses a built-in id.
 */
export function mergeModelProviders(
  builtIns: Record<string, ModelProviderInfo>,
  user: Record<string, ModelProviderInfo>,
): Record<string, ModelProviderInfo> {
  const reserved = Object.keys(user).filter(
    (id) =>
      (RESERVED_MODEL_PROVIDER_IDS as readonly string[]).includes(id) ||
      Object.hasOwn(builtIns, id),
  );
  if (reserved.length > 0) {
    throw new ConfigError(reservedProviderIdsError(reserved), { keyPath: 'model_providers' });
  }
  const merged: Record<string, ModelProviderInfo> = {};
  for (const [id, provider] of [...Object.entries(builtIns), ...Object.entries(user)]) {
    Object.defineProperty(merged, id, { value: provider, enumerable: true, writable: true });
  }
  return merged;
}
