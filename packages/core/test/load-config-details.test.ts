import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigLoadError, findCodexHome, loadConfig } from '@codex/core';
import type { ConfigToml } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { requestShaping } from '../src/load-config.ts';
import { tempHome } from './helpers/provider-config.ts';

async function load(
  toml: string,
  options: { env?: Record<string, string>; profile?: string } = {},
) {
  const home = await tempHome();
  await writeFile(path.join(home, 'config.toml'), toml);
  return loadConfig({
    env: { HOME: home, ...options.env },
    cwd: home,
    codexHome: home,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  });
}

async function loadError(toml: string, env: Record<string, string> = {}): Promise<ConfigLoadError> {
  const error = await load(toml, { env }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConfigLoadError);
  return error as ConfigLoadError;
}

describe('findCodexHome', () => {
  it('uses the home directory when HOME is empty and CODEX_HOME is empty', async () => {
    expect(await findCodexHome({ HOME: '', CODEX_HOME: '' })).toBe(
      path.join(os.homedir(), '.codex'),
    );
  });

  it('prefers the option over CODEX_HOME', async () => {
    const home = await tempHome();

    expect(await findCodexHome({ CODEX_HOME: path.join(home, 'missing') }, home)).toBe(home);
  });

  it('keeps the cause of a missing CODEX_HOME', async () => {
    const error = await findCodexHome({ CODEX_HOME: '/nonexistent/codex-home' }).catch(
      (caught: unknown) => caught,
    );

    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
  });
});

describe('reading config.toml', () => {
  it('reports a config.toml it cannot read, with the reason', async () => {
    const home = await tempHome();
    await mkdir(path.join(home, 'config.toml'));

    const error = await loadConfig({ env: { HOME: home }, cwd: home, codexHome: home }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(ConfigLoadError);
    expect((error as ConfigLoadError).detail).toMatch(/^EISDIR: illegal operation on a directory/);
    expect((error as Error).cause).toMatchObject({ code: 'EISDIR' });
  });

  it('names the line and column of a TOML error, on one line, without quoting the source', async () => {
    const error = await loadError('model = "gpt"\napi_key = sk-secret-value\n');

    expect(error.detail).toMatch(/^TOML parse error at line 2, column \d+: /);
    expect(error.detail).not.toContain('\n');
    expect(error.detail).not.toContain('sk-secret-value');
    expect(error.detail).not.toContain('Invalid TOML document');
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('loadConfig results', () => {
  it('keeps the login settings and the credential store', async () => {
    const config = await load(
      'forced_login_method = "chatgpt"\nforced_chatgpt_workspace_id = "ws-1"\ncli_auth_credentials_store = "keyring"\n',
    );

    expect(config).toMatchObject({
      forcedLoginMethod: 'chatgpt',
      forcedChatgptWorkspaceId: 'ws-1',
      cliAuthCredentialsStore: 'keyring',
    });
  });

  it('leaves out what config.toml does not set', async () => {
    const config = await load('');

    expect(config).not.toHaveProperty('profile');
    expect(config).not.toHaveProperty('forcedLoginMethod');
    expect(config).not.toHaveProperty('forcedChatgptWorkspaceId');
    expect(config.warnings).toEqual([]);
    expect(config.requestShaping).toEqual({});
  });

  it('selects a profile given as an option over the profile key, and its provider', async () => {
    const config = await load(
      'profile = "a"\n[profiles.a]\nmodel = "from-a"\n[profiles.b]\nmodel = "from-b"\nmodel_provider = "oss"\n[model_providers.oss]\nname = "OSS"\n',
      { profile: 'b' },
    );

    expect(config).toMatchObject({ profile: 'b', model: 'from-b', modelProviderId: 'oss' });
  });

  it('tells how to replace the removed ollama-chat provider', async () => {
    const error = await loadError('model_provider = "ollama-chat"\n');

    expect(error.detail).toBe(
      '`ollama-chat` is no longer supported.\nHow to fix: replace `ollama-chat` with `ollama` in `model_provider`, `oss_provider`, or `--local-provider`.\nMore info: https://github.com/openai/codex/discussions/7782',
    );
  });

  it('keeps the key path of a validation error', async () => {
    const error = await loadError('model_providers = { corp = { name = "C", base_url = 5 } }\n');

    expect(error.keyPath).toBe('model_providers.corp.base_url');
  });
});

describe('OPENAI_BASE_URL', () => {
  it('is ignored when blank, and when config.toml sets openai_base_url', async () => {
    const blank = await load('', { env: { OPENAI_BASE_URL: '  ' } });
    const configured = await load('openai_base_url = "http://127.0.0.1:1/v1"\n', {
      env: { OPENAI_BASE_URL: 'http://127.0.0.1:2/v1' },
    });

    expect(blank.warnings).toEqual([]);
    expect(blank.modelProvider.base_url).not.toBe('  ');
    expect(configured.modelProvider.base_url).toBe('http://127.0.0.1:1/v1');
    expect(configured.warnings).toEqual([]);
  });

  it('is refused with its key path when it is not an http URL', async () => {
    const error = await loadError('', { OPENAI_BASE_URL: ' file:///etc ' });

    expect(error.keyPath).toBe('OPENAI_BASE_URL');
  });
});

describe('a provider with auth and no base_url', () => {
  it('is named with its key path, quoting an id that is not a bare key', async () => {
    const error = await loadError(
      '[model_providers."my corp"]\nname = "C"\n[model_providers."my corp".auth]\ncommand = "t"\n',
    );

    expect(error.keyPath).toBe('model_providers."my corp".base_url');
    expect(error.detail).toBe(
      'model_providers."my corp".base_url is missing: a provider with `auth` needs its own base_url (its token is never sent to the default OpenAI endpoint)',
    );
  });

  it('is fine once the base_url is there, and a provider without auth needs none', async () => {
    const config = await load(
      'model_provider = "a"\n[model_providers.a]\nname = "A"\nbase_url = "http://127.0.0.1:9/v1"\n[model_providers.a.auth]\ncommand = "t"\n[model_providers.b]\nname = "B"\n',
    );

    expect(config.modelProvider.auth?.command).toBe('t');
  });
});

/** A validated config.toml with only `fields` set. */
const toml = (fields: Partial<ConfigToml>): ConfigToml => ({
  profiles: {},
  model_providers: {},
  ...fields,
});

describe('requestShaping', () => {
  it('sends reasoning when summaries are forced on, not when forced off', () => {
    expect(requestShaping(toml({ model_supports_reasoning_summaries: true }))).toEqual({
      reasoning: { summary: 'auto' },
    });
    expect(requestShaping(toml({ model_supports_reasoning_summaries: false }))).toEqual({});
  });

  it('lets the profile win over the top level for each key', () => {
    expect(
      requestShaping(
        toml({
          model_reasoning_effort: 'low',
          model_reasoning_summary: 'concise',
          model_verbosity: 'low',
          service_tier: 'flex',
        }),
        {
          model_reasoning_effort: 'high',
          model_reasoning_summary: 'detailed',
          model_verbosity: 'high',
          service_tier: ' fast ',
        },
      ),
    ).toEqual({
      reasoning: { effort: 'high', summary: 'detailed' },
      verbosity: 'high',
      serviceTier: 'priority',
    });
  });

  it('sends any other service tier trimmed', () => {
    expect(requestShaping(toml({ service_tier: ' flex ' }))).toEqual({ serviceTier: 'flex' });
    expect(() => requestShaping(toml({ service_tier: '' }))).toThrow(
      'service_tier: must not be empty',
    );
  });
});
