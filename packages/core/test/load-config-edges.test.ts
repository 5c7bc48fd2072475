import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigLoadError, loadConfig } from '@codex/core';
import { describe, expect, it } from 'vitest';
import { tempHome } from './helpers/provider-config.ts';

async function load(toml: string, env: Record<string, string> = {}) {
  const home = await tempHome();
  await writeFile(path.join(home, 'config.toml'), toml);
  return {
    home,
    config: await loadConfig({ env: { HOME: home, ...env }, cwd: home, codexHome: home }),
  };
}

async function loadError(toml: string, env: Record<string, string> = {}): Promise<ConfigLoadError> {
  const error = await load(toml, env).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConfigLoadError);
  return error as ConfigLoadError;
}

describe('loadConfig edge cases', () => {
  it('gives the exact TOML error: the first line of the reason, the line and the column', async () => {
    const error = await loadError('model = "gpt"\napi_key = sk-secret-value\n');

    expect(error.detail).toBe('TOML parse error at line 2, column 11: invalid value');
  });

  it('warns about unknown keys by default rather than failing', async () => {
    const { config } = await load('unknown_key = 1\n');

    expect(config.warnings).toEqual(['unknown configuration field `unknown_key` is ignored']);
  });

  it('expands ~ in config paths to HOME', async () => {
    const { home, config } = await load(
      'model_provider = "corp"\n[model_providers.corp]\nname = "C"\nbase_url = "http://127.0.0.1:9/v1"\n[model_providers.corp.auth]\ncommand = "t"\ncwd = "~/tokens"\n',
    );

    expect(config.modelProvider.auth?.cwd).toBe(path.join(home, 'tokens'));
  });

  it('uses an OPENAI_BASE_URL with spaces around it trimmed, as it was checked', async () => {
    const { config } = await load('', { OPENAI_BASE_URL: ' http://127.0.0.1:2/v1 ' });

    expect(config.modelProvider.base_url).toBe('http://127.0.0.1:2/v1');
    expect(config.warnings).toHaveLength(1);
  });

  it('names the top-level model as the empty one when the profile sets none', async () => {
    const error = await loadError(
      'model = ""\nprofile = "p"\n[profiles.p]\nmodel_verbosity = "low"\n',
    );

    expect(error.detail).toBe('model: the model must not be empty');
    expect(error.keyPath).toBe('model');
  });

  it('names the profile model as the empty one, with its key path', async () => {
    const error = await loadError('profile = "p"\n[profiles.p]\nmodel = " "\n');

    expect(error.keyPath).toBe('profiles.p.model');
  });
});
