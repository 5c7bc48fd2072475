import path from 'node:path';
import {
  CHAT_WIRE_API_REMOVED_ERROR,
  ConfigError,
  hasCommandAuth,
  isAzureProvider,
  isOpenAiProvider,
  type ModelProviderInfo,
  ModelProviderInfoSchema,
  parseConfigToml,
  refreshIntervalMs,
  requestMaxRetries,
  streamIdleTimeoutMs,
  streamMaxRetries,
  supportsRemoteCompaction,
  validateModelProviderInfo,
  websocketConnectTimeoutMs,
} from '@codex/protocol';
import { describe, expect, it } from 'vitest';

const configDir = path.resolve('/tmp/codex-home');

/** Parses one `[model_providers.p]` table the way upstream's provider tests deserialize a provider. */
function provider(toml: string): ModelProviderInfo {
  const text = toml.replace(/^\[auth\]/m, '[model_providers.p.auth]');
  const { config } = parseConfigToml(`[model_providers.p]\n${text}`, { configDir });
  const parsed = config.model_providers['p'];
  if (parsed === undefined) throw new Error('provider p missing');
  return parsed;
}

function providerError(toml: string): ConfigError {
  try {
    provider(toml);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('ModelProviderAuthInfoSchema', () => {
  it('test_deserialize_provider_auth_config_defaults', () => {
    const parsed = provider(
      'name = "Corp"\n[auth]\ncommand = "./scripts/print-token"\nargs = ["--format=text"]\n',
    );

    expect(parsed.auth).toEqual({
      command: './scripts/print-token',
      args: ['--format=text'],
      timeout_ms: 5000,
      refresh_interval_ms: 300000,
      cwd: configDir,
    });
    expect(hasCommandAuth(parsed)).toBe(true);
  });

  it('test_deserialize_provider_auth_config_allows_zero_refresh_interval', () => {
    const parsed = provider('name = "Corp"\n[auth]\ncommand = "t"\nrefresh_interval_ms = 0\n');

    expect(parsed.auth?.refresh_interval_ms).toBe(0);
    expect(parsed.auth && refreshIntervalMs(parsed.auth)).toBeNull();
  });

  it('keeps a non-zero refresh interval as the maximum token age', () => {
    const parsed = provider('[auth]\ncommand = "t"\nrefresh_interval_ms = 1000\n');

    expect(parsed.auth && refreshIntervalMs(parsed.auth)).toBe(1000);
  });

  it.each([
    ['timeout_ms = 0', 'model_providers.p.auth.timeout_ms: expected an integer >= 1, got 0'],
    ['timeout_ms = -5', 'model_providers.p.auth.timeout_ms: expected an integer >= 1, got -5'],
    [
      'timeout_ms = 2147483648',
      'model_providers.p.auth.timeout_ms: expected an integer <= 2147483647, got 2147483648',
    ],
    ['timeout_ms = 2.5', 'model_providers.p.auth.timeout_ms: expected an integer >= 1, got 2.5'],
    [
      'timeout_ms = 3000000000.5',
      'model_providers.p.auth.timeout_ms: expected an integer <= 2147483647, got 3000000000.5',
    ],
    [
      'timeout_ms = "9999999999"',
      'model_providers.p.auth.timeout_ms: expected an integer >= 1, got a string',
    ],
    [
      'timeout_ms = "5000"',
      'model_providers.p.auth.timeout_ms: expected an integer >= 1, got a string',
    ],
    [
      'refresh_interval_ms = -1',
      'model_providers.p.auth.refresh_interval_ms: expected an integer >= 0, got -1',
    ],
    ['args = "--x"', 'model_providers.p.auth.args: expected an array, got a string'],
    ['args = ["a", 1]', 'model_providers.p.auth.args[1]: expected a string, got 1'],
    ['cwd = 1', 'model_providers.p.auth.cwd: expected a string, got 1'],
  ])('rejects %s naming the full key path', (line, message) => {
    const error = providerError(`[auth]\ncommand = "t"\n${line}\n`);

    expect(error.message).toBe(message);
    expect(error.code).toBe('CONFIG_INVALID');
  });

  it('reports a missing command on the auth table', () => {
    const error = providerError('[auth]\nargs = []\n');

    expect(error.message).toBe('model_providers.p.auth: missing field `command`');
    expect(error.keyPath).toBe('model_providers.p.auth');
  });

  it('resolves cwd against the process directory when parsed outside a config file', () => {
    const parsed = ModelProviderInfoSchema.parse({ auth: { command: 't', cwd: 'sub' } });

    expect(parsed.auth?.cwd).toBe(path.resolve(process.cwd(), 'sub'));
  });
});

describe('ModelProviderInfoSchema', () => {
  it('test_deserialize_ollama_model_provider_toml', () => {
    const parsed = provider('name = "Ollama"\nbase_url = "http://localhost:11434/v1"\n');

    expect(parsed).toEqual({
      name: 'Ollama',
      base_url: 'http://localhost:11434/v1',
      wire_api: 'responses',
      requires_openai_auth: false,
      supports_websockets: false,
    });
  });

  it('test_deserialize_azure_model_provider_toml', () => {
    const parsed = provider(
      'name = "Azure"\nbase_url = "https://xxxxx.openai.azure.com/openai"\nenv_key = "AZURE_OPENAI_API_KEY"\nquery_params = { api-version = "2025-04-01-preview" }\n',
    );

    expect(parsed).toEqual({
      name: 'Azure',
      base_url: 'https://xxxxx.openai.azure.com/openai',
      env_key: 'AZURE_OPENAI_API_KEY',
      query_params: { 'api-version': '2025-04-01-preview' },
      wire_api: 'responses',
      requires_openai_auth: false,
      supports_websockets: false,
    });
  });

  it('test_deserialize_example_model_provider_toml', () => {
    const parsed = provider(
      'name = "Example"\nbase_url = "https://example.com"\nenv_key = "API_KEY"\nhttp_headers = { "X-Example-Header" = "example-value" }\nenv_http_headers = { "X-Example-Env-Header" = "EXAMPLE_ENV_VAR" }\n',
    );

    expect(parsed.http_headers).toEqual({ 'X-Example-Header': 'example-value' });
    expect(parsed.env_http_headers).toEqual({ 'X-Example-Env-Header': 'EXAMPLE_ENV_VAR' });
    expect(parsed.env_key).toBe('API_KEY');
  });

  it('test_deserialize_chat_wire_api_shows_helpful_error', () => {
    const error = providerError('name = "OpenAI using Chat Completions"\nwire_api = "chat"\n');

    expect(error.message).toContain(CHAT_WIRE_API_REMOVED_ERROR);
    expect(error.message).toBe(`model_providers.p.wire_api: ${CHAT_WIRE_API_REMOVED_ERROR}`);
    expect(CHAT_WIRE_API_REMOVED_ERROR.split('\n')).toEqual([
      '`wire_api = "chat"` is no longer supported.',
      'How to fix: set `wire_api = "responses"` in your provider config.',
      'More info: https://github.com/openai/codex/discussions/7782',
    ]);
  });

  it('rejects other wire APIs with serde unknown-variant wording', () => {
    const error = providerError('wire_api = "grpc"\n');

    expect(error.message).toBe(
      'model_providers.p.wire_api: unknown variant `grpc`, expected `responses`',
    );
  });

  it('test_deserialize_websocket_connect_timeout', () => {
    const parsed = provider(
      'name = "OpenAI"\nwebsocket_connect_timeout_ms = 15000\nsupports_websockets = true\n',
    );

    expect(parsed.websocket_connect_timeout_ms).toBe(15000);
    expect(websocketConnectTimeoutMs(parsed)).toBe(15000);
    expect(websocketConnectTimeoutMs({})).toBe(15000);
    expect(parsed.supports_websockets).toBe(true);
  });

  it.each([
    [
      'request_max_retries = -1',
      'model_providers.p.request_max_retries: expected an integer >= 0, got -1',
    ],
    [
      'stream_max_retries = true',
      'model_providers.p.stream_max_retries: expected an integer >= 0, got true',
    ],
    [
      'requires_openai_auth = "yes"',
      'model_providers.p.requires_openai_auth: expected a boolean, got a string',
    ],
    ['name = 3', 'model_providers.p.name: expected a string, got 3'],
    ['query_params = ["a"]', 'model_providers.p.query_params: expected a table, got an array'],
  ])('rejects %s', (line, message) => {
    expect(providerError(`${line}\n`).message).toBe(message);
  });
});

describe('derived values', () => {
  it('applies defaults and caps retries at 100', () => {
    expect(requestMaxRetries({})).toBe(4);
    expect(streamMaxRetries({})).toBe(5);
    expect(requestMaxRetries({ request_max_retries: 1000 })).toBe(100);
    expect(streamMaxRetries({ stream_max_retries: 101 })).toBe(100);
    expect(requestMaxRetries({ request_max_retries: 0 })).toBe(0);
    expect(streamIdleTimeoutMs({})).toBe(300000);
    expect(streamIdleTimeoutMs({ stream_idle_timeout_ms: 0 })).toBe(0);
  });

  it('test_supports_remote_compaction_for_openai', () => {
    expect(supportsRemoteCompaction({ name: 'OpenAI' })).toBe(true);
    expect(isOpenAiProvider({ name: 'OpenAI' })).toBe(true);
    expect(isOpenAiProvider({ name: 'openai' })).toBe(false);
  });

  it('test_supports_remote_compaction_for_azure_name', () => {
    expect(
      supportsRemoteCompaction({ name: 'Azure', base_url: 'https://example.com/openai' }),
    ).toBe(true);
    expect(isAzureProvider({ name: 'AZURE' })).toBe(true);
  });

  it('detects Azure from the base URL', () => {
    expect(
      isAzureProvider({
        name: 'x',
        base_url: 'https://foo.openai.azure.us/openai/deployments/bar',
      }),
    ).toBe(true);
    expect(isAzureProvider({ name: 'x', base_url: 'https://foo.WINDOWS.net/openai' })).toBe(true);
    expect(isAzureProvider({ name: 'x', base_url: 'https://api.openai.com/v1' })).toBe(false);
  });

  it('test_supports_remote_compaction_for_non_openai_non_azure_provider', () => {
    expect(supportsRemoteCompaction({ name: 'Example', base_url: 'https://example.com/v1' })).toBe(
      false,
    );
  });
});

describe('validateModelProviderInfo', () => {
  const base = ModelProviderInfoSchema.parse({});

  it('accepts env_key together with experimental_bearer_token', () => {
    expect(
      validateModelProviderInfo({ ...base, env_key: 'K', experimental_bearer_token: 't' }),
    ).toBeUndefined();
  });

  it('test_validate_provider_aws_rejects_conflicting_auth', () => {
    expect(
      validateModelProviderInfo({ ...base, aws: {}, env_key: 'K', requires_openai_auth: true }),
    ).toBe('provider aws cannot be combined with env_key, requires_openai_auth');
  });

  it('test_validate_provider_aws_rejects_websockets', () => {
    expect(validateModelProviderInfo({ ...base, aws: {}, supports_websockets: true })).toBe(
      'provider aws cannot be combined with supports_websockets',
    );
  });

  it('test_validate_provider_aws_rejects_empty_service', () => {
    expect(validateModelProviderInfo({ ...base, aws: { service: ' ' } })).toBe(
      'provider aws.service must not be empty',
    );
  });
});
