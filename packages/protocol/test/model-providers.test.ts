import path from 'node:path';
import {
  builtInModelProviders,
  ConfigError,
  LEGACY_OLLAMA_CHAT_PROVIDER_ID,
  type ModelProviderInfo,
  mergeModelProviders,
  OLLAMA_CHAT_PROVIDER_REMOVED_ERROR,
  parseConfigToml,
} from '@codex/protocol';
import { describe, expect, it } from 'vitest';

describe('builtInModelProviders', () => {
  it('ships openai, ollama and lmstudio', () => {
    const providers = builtInModelProviders({ env: {}, version: '1.2.3' });

    expect(Object.keys(providers)).toEqual(['openai', 'ollama', 'lmstudio']);
    expect(providers['openai']).toEqual({
      name: 'OpenAI',
      wire_api: 'responses',
      http_headers: { version: '1.2.3' },
      env_http_headers: {
        'OpenAI-Organization': 'OPENAI_ORGANIZATION',
        'OpenAI-Project': 'OPENAI_PROJECT',
      },
      requires_openai_auth: true,
      supports_websockets: true,
    });
    expect(providers['ollama']).toEqual({
      name: 'gpt-oss',
      base_url: 'http://localhost:11434/v1',
      wire_api: 'responses',
      requires_openai_auth: false,
      supports_websockets: false,
    });
    expect(providers['lmstudio']?.base_url).toBe('http://localhost:1234/v1');
  });

  it('uses openai_base_url for the openai provider only', () => {
    const providers = builtInModelProviders({
      env: {},
      openaiBaseUrl: 'https://proxy.example.com/v1',
    });

    expect(providers['openai']?.base_url).toBe('https://proxy.example.com/v1');
    expect(providers['ollama']?.base_url).toBe('http://localhost:11434/v1');
  });

  it('leaves openai base_url unset without openai_base_url, ignoring OPENAI_BASE_URL', () => {
    const providers = builtInModelProviders({
      env: { OPENAI_BASE_URL: 'https://env.example.com' },
    });

    expect(providers['openai']).not.toHaveProperty('base_url');
  });

  it('takes CODEX_OSS_BASE_URL as is when it is not blank', () => {
    const providers = builtInModelProviders({
      env: { CODEX_OSS_BASE_URL: 'http://gpu-box:9000/v1', CODEX_OSS_PORT: '1' },
    });

    expect(providers['ollama']?.base_url).toBe('http://gpu-box:9000/v1');
    expect(providers['lmstudio']?.base_url).toBe('http://gpu-box:9000/v1');
  });

  it('sends version 0.0.0 from the openai provider when no version is given', () => {
    expect(builtInModelProviders({ env: {} })['openai']?.http_headers).toEqual({
      version: '0.0.0',
    });
  });

  it.each([
    ['65535', 'http://localhost:65535/v1', 'http://localhost:65535/v1'],
    ['8080x', 'http://localhost:11434/v1', 'http://localhost:1234/v1'],
    ['8080', 'http://localhost:8080/v1', 'http://localhost:8080/v1'],
    ['+81', 'http://localhost:81/v1', 'http://localhost:81/v1'],
    ['65536', 'http://localhost:11434/v1', 'http://localhost:1234/v1'],
    ['-1', 'http://localhost:11434/v1', 'http://localhost:1234/v1'],
    [' 8080', 'http://localhost:11434/v1', 'http://localhost:1234/v1'],
    ['abc', 'http://localhost:11434/v1', 'http://localhost:1234/v1'],
    ['   ', 'http://localhost:11434/v1', 'http://localhost:1234/v1'],
  ])('reads CODEX_OSS_PORT=%j as a u16 or falls back', (port, ollama, lmstudio) => {
    const providers = builtInModelProviders({
      env: { CODEX_OSS_PORT: port, CODEX_OSS_BASE_URL: ' ' },
    });

    expect(providers['ollama']?.base_url).toBe(ollama);
    expect(providers['lmstudio']?.base_url).toBe(lmstudio);
  });
});

describe('mergeModelProviders', () => {
  const builtIns = builtInModelProviders({ env: {} });

  it('test_merge_configured_model_providers_adds_custom_provider', () => {
    const { config } = parseConfigToml('[model_providers.corp]\nname = "Corp"\n', {
      configDir: path.resolve('/tmp'),
    });

    const merged = mergeModelProviders(builtIns, config.model_providers);

    expect(Object.keys(merged)).toEqual(['openai', 'ollama', 'lmstudio', 'corp']);
    expect(merged['corp']?.name).toBe('Corp');
    expect(merged['openai']).toBe(builtIns['openai']);
  });

  it('also rejects an id that only the given built-ins use, on the model_providers key', () => {
    const extra = { ...builtIns, 'corp-builtin': builtIns['openai'] as ModelProviderInfo };
    const user = { 'corp-builtin': builtIns['ollama'] as ModelProviderInfo };

    expect(() => mergeModelProviders(extra, user)).toThrow(
      expect.objectContaining({ keyPath: 'model_providers' }),
    );
  });

  it('returns providers that can be replaced and listed', () => {
    const merged = mergeModelProviders(builtIns, {});

    merged['openai'] = builtIns['ollama'] as ModelProviderInfo;
    expect(merged['openai']).toBe(builtIns['ollama']);
    expect(Object.keys(merged)).toEqual(['openai', 'ollama', 'lmstudio']);
  });

  it('rejects a user provider with a built-in id', () => {
    const user: Record<string, ModelProviderInfo> = {
      openai: {
        name: 'Mine',
        wire_api: 'responses',
        requires_openai_auth: false,
        supports_websockets: false,
      },
    };

    expect(() => mergeModelProviders(builtIns, user)).toThrow(ConfigError);
    expect(() => mergeModelProviders(builtIns, user)).toThrow(
      'model_providers contains reserved built-in provider IDs: `openai`.',
    );
  });
});

describe('OLLAMA_CHAT_PROVIDER_REMOVED_ERROR', () => {
  it('is upstream three-line migration text', () => {
    expect(LEGACY_OLLAMA_CHAT_PROVIDER_ID).toBe('ollama-chat');
    expect(OLLAMA_CHAT_PROVIDER_REMOVED_ERROR.split('\n')).toEqual([
      '`ollama-chat` is no longer supported.',
      'How to fix: replace `ollama-chat` with `ollama` in `model_provider`, `oss_provider`, or `--local-provider`.',
      'More info: https://github.com/openai/codex/discussions/7782',
    ]);
  });
});
