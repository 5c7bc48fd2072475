import { mkdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CodexHomeError,
  ConfigLoadError,
  ConfigOverrideError,
  DEFAULT_MODEL,
  loadConfig,
} from '@codex/core';
import { describe, expect, it } from 'vitest';
import { parseConfigOverrides } from '../src/config-overrides.ts';
import { tempHome } from './helpers/provider-config.ts';

async function homeWith(toml: string): Promise<string> {
  const home = await tempHome();
  await writeFile(path.join(home, 'config.toml'), toml);
  return home;
}

describe('loadConfig', () => {
  it('defaults to the openai provider when config.toml is absent', async () => {
    const home = await tempHome();

    const config = await loadConfig({ env: { CODEX_HOME: home }, cwd: home });

    expect(config.codexHome).toBe(await realpath(home));
    expect(config.modelProviderId).toBe('openai');
    expect(config.modelProvider.name).toBe('OpenAI');
    expect(config.model).toBe(DEFAULT_MODEL);
    expect(config.cliAuthCredentialsStore).toBe('file');
  });

  it('uses ~/.codex when CODEX_HOME is unset, without requiring it to exist', async () => {
    const home = await tempHome();

    const config = await loadConfig({ env: { HOME: home }, cwd: home });

    expect(config.codexHome).toBe(path.join(home, '.codex'));
  });

  it('rejects a CODEX_HOME that does not exist or is not a directory', async () => {
    const home = await tempHome();
    const file = path.join(home, 'file');
    await writeFile(file, '');
    const missing = path.join(home, 'missing');

    const notDir = await loadConfig({ env: { CODEX_HOME: file }, cwd: home }).catch((e) => e);
    const absent = await loadConfig({ env: { CODEX_HOME: missing }, cwd: home }).catch((e) => e);

    expect(notDir).toBeInstanceOf(CodexHomeError);
    expect(notDir.message).toBe(
      `Error finding codex home: CODEX_HOME points to "${file}", but that path is not a directory`,
    );
    expect(absent.message).toBe(
      `Error finding codex home: CODEX_HOME points to "${missing}", but that path does not exist`,
    );
  });

  it('selects the provider and model, with -m winning over the profile', async () => {
    const home = await homeWith(
      [
        'model = "base-model"',
        'profile = "work"',
        '[profiles.work]',
        'model = "profile-model"',
        'model_provider = "corp"',
        '[model_providers.corp]',
        'name = "Corp"',
        'base_url = "https://corp.example/v1"',
      ].join('\n'),
    );

    const fromProfile = await loadConfig({ env: {}, cwd: home, codexHome: home });
    const fromFlag = await loadConfig({ env: {}, cwd: home, codexHome: home, model: 'flag-model' });

    expect(fromProfile).toMatchObject({
      model: 'profile-model',
      modelProviderId: 'corp',
      profile: 'work',
    });
    expect(fromProfile.modelProvider.base_url).toBe('https://corp.example/v1');
    expect(fromProfile.modelProviders).toHaveProperty('openai');
    expect(fromFlag.model).toBe('flag-model');
  });

  it('reports an unknown profile and an unknown provider with upstream text', async () => {
    const home = await homeWith('model_provider = "nope"\n');

    const profile = await loadConfig({ env: {}, cwd: home, codexHome: home, profile: 'x' }).catch(
      (e) => e,
    );
    const provider = await loadConfig({ env: {}, cwd: home, codexHome: home }).catch((e) => e);

    expect(profile).toBeInstanceOf(ConfigLoadError);
    expect(profile.message).toBe('Error loading config.toml: config profile `x` not found');
    expect(provider.message).toBe('Error loading config.toml: Model provider `nope` not found');
  });

  it('prefixes validation errors from @codex/protocol', async () => {
    const home = await homeWith(
      [
        'model_provider = "corp"',
        '[model_providers.corp]',
        'name = "Corp"',
        'env_key = "CORP_KEY"',
        '[model_providers.corp.auth]',
        'command = "print-token"',
      ].join('\n'),
    );

    const error = await loadConfig({ env: {}, cwd: home, codexHome: home }).catch((e) => e);

    expect(error).toBeInstanceOf(ConfigLoadError);
    expect(error.message).toBe(
      'Error loading config.toml: model_providers.corp: provider auth cannot be combined with env_key',
    );
  });

  it('reports TOML syntax errors as config load errors', async () => {
    const home = await homeWith('model = \n');

    const error = await loadConfig({ env: {}, cwd: home, codexHome: home }).catch((e) => e);

    expect(error).toBeInstanceOf(ConfigLoadError);
    expect(error.message).toMatch(/^Error loading config.toml: /);
  });

  it('applies -c overrides to the table before validation', async () => {
    const home = await homeWith('model = "file-model"\n');

    const config = await loadConfig({
      env: {},
      cwd: home,
      codexHome: home,
      overrides: [
        'model=o3',
        'model_provider = "corp"',
        'model_providers.corp.name="Corp"',
        'model_providers.corp.base_url="http://127.0.0.1:9/v1"',
        'model_providers.corp.request_max_retries=1',
        'model_providers.corp.auth.command="./token.sh"',
      ],
    });

    expect(config.model).toBe('o3');
    expect(config.modelProvider.request_max_retries).toBe(1);
    expect(config.modelProvider.auth?.command).toBe('./token.sh');
    // relative auth.cwd defaults to the config directory
    expect(config.modelProvider.auth?.cwd).toBe(config.codexHome);
  });

  it('validates overridden values too', async () => {
    const home = await tempHome();

    const error = await loadConfig({
      env: {},
      cwd: home,
      codexHome: home,
      overrides: ['model_providers.corp.wire_api="chat"'],
    }).catch((e) => e);

    expect(error).toBeInstanceOf(ConfigLoadError);
    expect(error.message).toContain('`wire_api = "chat"` is no longer supported.');
  });

  it('warns that OPENAI_BASE_URL is deprecated and applies it to the openai provider', async () => {
    const home = await tempHome();

    const config = await loadConfig({
      env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
      cwd: home,
      codexHome: home,
    });

    expect(config.modelProvider.base_url).toBe('http://127.0.0.1:9/v1');
    expect(config.warnings).toContain(
      '`OPENAI_BASE_URL` is deprecated. Set `openai_base_url` in config.toml instead.',
    );
  });

  it('reads a nested CODEX_HOME given as an option', async () => {
    const root = await tempHome();
    const home = path.join(root, 'nested');
    await mkdir(home);
    await writeFile(path.join(home, 'config.toml'), 'model = "nested"\n');

    const config = await loadConfig({ env: {}, cwd: root, codexHome: home });

    expect(config.model).toBe('nested');
  });
});

describe('parseConfigOverrides', () => {
  it('parses values as TOML and falls back to a string', () => {
    const overrides = parseConfigOverrides([
      'a=42',
      'b = [1, 2]',
      'c={x = 1}',
      'd=hello world',
      "e='quoted'",
      'f=true',
      'g=a=b',
    ]);

    expect(overrides.map(({ path, value }) => ({ path, value }))).toEqual([
      { path: 'a', value: 42 },
      { path: 'b', value: [1, 2] },
      { path: 'c', value: { x: 1 } },
      { path: 'd', value: 'hello world' },
      { path: 'e', value: 'quoted' },
      { path: 'f', value: true },
      { path: 'g', value: 'a=b' },
    ]);
  });

  it('rejects an override without = or without a key, with upstream text', () => {
    expect(() => parseConfigOverrides(['model'])).toThrow(
      new ConfigOverrideError("Invalid override (missing '='): model"),
    );
    expect(() => parseConfigOverrides([' =x'])).toThrow('Empty key in override:  =x');
    expect(() => parseConfigOverrides(['model'])).toThrow(
      "Error parsing -c overrides: Invalid override (missing '='): model",
    );
  });
});
