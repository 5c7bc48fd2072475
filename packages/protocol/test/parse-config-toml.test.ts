import path from 'node:path';
import {
  ConfigError,
  isCodexError,
  isHttpUrl,
  parseConfigToml,
  validateConfigToml,
} from '@codex/protocol';
import { describe, expect, it } from 'vitest';

const configDir = path.resolve('/tmp/codex-home');
const homeDir = path.resolve('/home/user');

function parseError(text: string, strict = false): ConfigError {
  return validationError(() => parseConfigToml(text, { configDir, homeDir, strict }));
}

function validationError(parse: () => unknown): ConfigError {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfigToml', () => {
  it('parses the provider part of a full Codex config', () => {
    const { config, warnings } = parseConfigToml(
      [
        'model = "gpt-5-codex"',
        'model_provider = "corp"',
        'approval_policy = "never"',
        'sandbox_mode = "workspace-write"',
        'openai_base_url = "https://proxy.example.com/v1"',
        'chatgpt_base_url = "https://chatgpt.example.com"',
        'oss_provider = "ollama"',
        'cli_auth_credentials_store = "keyring"',
        'forced_login_method = "api"',
        'forced_chatgpt_workspace_id = ["ws-1", "ws-2"]',
        'profile = "work"',
        '[features]',
        'web_search = true',
        '[mcp_servers.docs]',
        'command = "docs-mcp"',
        '[profiles.work]',
        'model = "o3"',
        'model_provider = "corp"',
        'model_reasoning_effort = "high"',
        '[model_providers.corp]',
        'name = "Corp"',
        'base_url = "https://gateway.example.com/v1"',
      ].join('\n'),
      { configDir, homeDir },
    );

    expect(warnings).toEqual([]);
    expect(config.model).toBe('gpt-5-codex');
    expect(config.model_provider).toBe('corp');
    expect(config.openai_base_url).toBe('https://proxy.example.com/v1');
    expect(config.chatgpt_base_url).toBe('https://chatgpt.example.com');
    expect(config.oss_provider).toBe('ollama');
    expect(config.cli_auth_credentials_store).toBe('keyring');
    expect(config.forced_login_method).toBe('api');
    expect(config.forced_chatgpt_workspace_id).toEqual(['ws-1', 'ws-2']);
    expect(config.profile).toBe('work');
    expect(config.profiles['work']).toMatchObject({ model: 'o3', model_provider: 'corp' });
    expect(config.model_providers['corp']?.base_url).toBe('https://gateway.example.com/v1');
    expect(config['approval_policy']).toBe('never');
  });

  it('defaults model_providers and profiles to empty tables', () => {
    const { config } = parseConfigToml('', { configDir });

    expect(config.model_providers).toEqual({});
    expect(config.profiles).toEqual({});
  });

  it('accepts a single forced workspace id string', () => {
    const { config } = parseConfigToml('forced_chatgpt_workspace_id = "ws-1"', { configDir });

    expect(config.forced_chatgpt_workspace_id).toBe('ws-1');
  });

  it('rejects_provider_auth_with_env_key', () => {
    const error = parseError(
      '[model_providers.corp]\nname = "Corp"\nenv_key = "CORP_KEY"\n[model_providers.corp.auth]\ncommand = "print-token"\n',
    );

    expect(error.message).toContain(
      'model_providers.corp: provider auth cannot be combined with env_key',
    );
    expect(error.message).toBe(
      'model_providers.corp: provider auth cannot be combined with env_key',
    );
    expect(error.keyPath).toBe('model_providers.corp');
  });

  it.each([
    ['experimental_bearer_token = "t"', 'experimental_bearer_token'],
    ['requires_openai_auth = true', 'requires_openai_auth'],
    ['env_key = "K"\nrequires_openai_auth = true', 'env_key, requires_openai_auth'],
    [
      'requires_openai_auth = true\nexperimental_bearer_token = "t"\nenv_key = "K"',
      'env_key, experimental_bearer_token, requires_openai_auth',
    ],
  ])('lists only the present auth conflicts in upstream order (%s)', (lines, list) => {
    const error = parseError(
      `[model_providers.corp]\n${lines}\n[model_providers.corp.auth]\ncommand = "t"\n`,
    );

    expect(error.message).toBe(
      `model_providers.corp: provider auth cannot be combined with ${list}`,
    );
  });

  it('accepts auth with requires_openai_auth = false', () => {
    const { config } = parseConfigToml(
      '[model_providers.corp]\nrequires_openai_auth = false\n[model_providers.corp.auth]\ncommand = "t"\n',
      { configDir },
    );

    expect(config.model_providers['corp']?.auth?.command).toBe('t');
  });

  it.each(['""', '"   "', '"\\t\\n"'])('rejects a blank auth.command %s', (command) => {
    const error = parseError(`[model_providers.corp.auth]\ncommand = ${command}\n`);

    expect(error.message).toBe('model_providers.corp: provider auth.command must not be empty');
  });

  it('rejects reserved built-in provider ids, sorted and backticked', () => {
    const error = parseError(
      '[model_providers.openai]\nname = "x"\n[model_providers.ollama]\n[model_providers.corp]\n',
    );

    expect(error.message).toBe(
      'model_providers contains reserved built-in provider IDs: `ollama`, `openai`. Built-in providers cannot be overridden. Rename your custom provider (for example, `openai-custom`).',
    );
    expect(error.keyPath).toBe('model_providers');
  });

  it('rejects aws on a provider other than amazon-bedrock', () => {
    const error = parseError('[model_providers.corp.aws]\nprofile = "dev"\n');

    expect(error.message).toBe(
      'model_providers.corp: provider aws is only supported for `amazon-bedrock`',
    );
  });

  it('prefixes aws validation texts with the provider id', () => {
    const error = parseError(
      '[model_providers.amazon-bedrock]\nenv_key = "K"\nrequires_openai_auth = true\n[model_providers.amazon-bedrock.aws]\nprofile = "p"\n',
    );

    expect(error.message).toBe(
      'model_providers.amazon-bedrock: provider aws cannot be combined with env_key, requires_openai_auth',
    );
  });

  it.each([
    [
      '[model_providers.amazon-bedrock.aws]\nservice = " "',
      'provider aws.service must not be empty',
    ],
    [
      '[model_providers.amazon-bedrock]\nsupports_websockets = true\n[model_providers.amazon-bedrock.aws]',
      'provider aws cannot be combined with supports_websockets',
    ],
    [
      '[model_providers.amazon-bedrock.aws]\n[model_providers.amazon-bedrock.auth]\ncommand = "t"',
      'provider aws cannot be combined with auth',
    ],
  ])('rejects amazon-bedrock aws settings: %s', (text, message) => {
    expect(parseError(`${text}\n`).message).toBe(`model_providers.amazon-bedrock: ${message}`);
  });

  it('collects every provider problem in issues, the first as the message', () => {
    const error = parseError(
      '[model_providers.a]\nenv_key = "K"\n[model_providers.a.auth]\ncommand = "t"\n[model_providers.b.auth]\ncommand = ""\n',
    );

    expect(error.issues).toEqual([
      'model_providers.a: provider auth cannot be combined with env_key',
      'model_providers.b: provider auth.command must not be empty',
    ]);
  });

  it('names the full key path and the expectation for type errors', () => {
    const error = parseError('[model_providers.corp.auth]\ncommand = "t"\ntimeout_ms = 0\n');

    expect(error.message).toBe(
      'model_providers.corp.auth.timeout_ms: expected an integer >= 1, got 0',
    );
    expect(error.keyPath).toBe('model_providers.corp.auth.timeout_ms');
  });

  it('quotes provider ids that are not bare TOML keys', () => {
    const error = parseError('[model_providers."corp.eu"]\nhttp_headers = { X-A = 1 }\n');

    expect(error.message).toBe(
      'model_providers."corp.eu".http_headers.X-A: expected a string, got 1',
    );
  });

  it.each([
    ['model = 1', 'model: expected a string, got 1'],
    ['model = 1979-05-27T07:32:00Z', 'model: expected a string, got a date-time'],
    ['model_providers = "x"', 'model_providers: expected a table, got a string'],
    ['model_providers = { corp = 1 }', 'model_providers.corp: expected a table, got 1'],
    [
      'cli_auth_credentials_store = "disk"',
      'cli_auth_credentials_store: unknown variant `disk`, expected one of `file`, `keyring`, `auto`, `ephemeral`',
    ],
    [
      'forced_login_method = "sso"',
      'forced_login_method: unknown variant `sso`, expected `chatgpt` or `api`',
    ],
    [
      'forced_chatgpt_workspace_id = 7',
      'forced_chatgpt_workspace_id: expected a string or an array of strings, got 7',
    ],
    ['profiles = { work = [] }', 'profiles.work: expected a table, got an array'],
    [
      '[profiles.work]\nmodel_provider = false',
      'profiles.work.model_provider: expected a string, got false',
    ],
  ])('rejects %s', (text, message) => {
    expect(parseError(text).message).toBe(message);
  });

  it('rejects a date-time where a provider, auth, aws or profile table belongs', () => {
    const error = parseError(
      [
        'profiles.work = 1979-05-27',
        'model_providers.corp = 1979-05-27T07:32:00Z',
        'model_providers.other.auth = 07:32:00',
        'model_providers.amazon-bedrock.aws = 1979-05-27T07:32:00',
      ].join('\n'),
    );

    expect(error.message).toBe('model_providers.corp: expected a table, got a date-time');
    expect(error.keyPath).toBe('model_providers.corp');
    expect(error.issues).toEqual([
      'model_providers.corp: expected a table, got a date-time',
      'model_providers.other.auth: expected a table, got a date-time',
      'model_providers.amazon-bedrock.aws: expected a table, got a date-time',
      'profiles.work: expected a table, got a date-time',
    ]);
  });

  it('reports TOML syntax errors with line and column', () => {
    const error = parseError('model = "x"\n[model_providers.corp]\nname = \n');

    expect(error.line).toBe(3);
    expect(error.column).toBe(8);
    expect(error.message).toBe('TOML parse error at line 3, column 8: invalid value');
    expect(error.keyPath).toBeUndefined();
    expect(isCodexError(error)).toBe(true);
  });

  it('does not echo a secret from a broken line in a syntax error (improvement 9)', () => {
    const error = parseError('experimental_bearer_token = "sk-secret-value\n');

    expect(error.message).not.toContain('sk-secret-value');
  });

  it('does not echo a string value in a type error (improvement 9)', () => {
    const error = parseError('[model_providers.corp]\nrequest_max_retries = "sk-secret-value"\n');

    expect(error.message).not.toContain('sk-secret-value');
  });
});

describe('unknown keys', () => {
  const text = [
    'approval_policy = "never"',
    'totally_unknown_top_level = 1',
    '[model_providers.corp]',
    'name = "Corp"',
    'base_uri = "https://typo.example.com"',
    '[model_providers.corp.auth]',
    'command = "t"',
    'refresh_interval = 0',
  ].join('\n');

  it('warns about unknown top-level keys and unknown keys in provider and auth tables, dropping those', () => {
    const { config, warnings } = parseConfigToml(text, { configDir });

    expect(warnings).toEqual([
      'unknown configuration field `totally_unknown_top_level` is ignored',
      'unknown configuration field `model_providers.corp.base_uri` is ignored',
      'unknown configuration field `model_providers.corp.auth.refresh_interval` is ignored',
    ]);
    expect(config.model_providers['corp']).not.toHaveProperty('base_uri');
    expect(config.model_providers['corp']?.auth).not.toHaveProperty('refresh_interval');
  });

  it('rejects them in strict mode with upstream text', () => {
    const error = parseError(text, true);

    expect(error.message).toBe('unknown configuration field `totally_unknown_top_level`');
    expect(error.keyPath).toBe('totally_unknown_top_level');
    expect(error.issues).toEqual([
      'unknown configuration field `totally_unknown_top_level`',
      'unknown configuration field `model_providers.corp.base_uri`',
      'unknown configuration field `model_providers.corp.auth.refresh_interval`',
    ]);
  });

  it('reports a misspelt top-level key (`modle`) and a profile key no Codex knows', () => {
    const toml = 'modle = "gpt-5.1"\n[profiles.p]\nmodel = "o3"\nmodel_reasoning_efort = "high"\n';

    const { warnings } = parseConfigToml(toml, { configDir });

    expect(warnings).toEqual([
      'unknown configuration field `modle` is ignored',
      'unknown configuration field `profiles.p.model_reasoning_efort` is ignored',
    ]);
    expect(() => parseConfigToml(toml, { configDir, strict: true })).toThrow(
      'unknown configuration field `modle`',
    );
  });

  it('never warns about known top-level, nested or profile keys of the wider Codex config', () => {
    const { warnings } = parseConfigToml(
      'sandbox_mode = "read-only"\n[tui]\nx = 1\n[profiles.p]\napproval_policy = "never"\n',
      { configDir, strict: true },
    );

    expect(warnings).toEqual([]);
  });
});

describe('auth.cwd resolution', () => {
  function cwdOf(value: string | undefined): string | undefined {
    const line = value === undefined ? '' : `cwd = ${JSON.stringify(value)}\n`;
    const { config } = parseConfigToml(`[model_providers.corp.auth]\ncommand = "t"\n${line}`, {
      configDir,
      homeDir,
    });
    return config.model_providers['corp']?.auth?.cwd;
  }

  it.each([
    [undefined, configDir],
    ['.', configDir],
    ['scripts', path.join(configDir, 'scripts')],
    ['./scripts/../bin/.', path.join(configDir, 'bin')],
    ['..', path.dirname(configDir)],
    ['~', homeDir],
    ['~/tokens', path.join(homeDir, 'tokens')],
    ['~/a/../b', path.join(homeDir, 'b')],
    ['~other', path.join(configDir, '~other')],
    [path.resolve('/opt/tokens/../bin'), path.resolve('/opt/bin')],
  ])('resolves %s to %s', (value, expected) => {
    expect(cwdOf(value)).toBe(expected);
  });

  it('defaults homeDir to the OS home directory', async () => {
    const { homedir } = await import('node:os');

    const { config } = parseConfigToml('[model_providers.c.auth]\ncommand = "t"\ncwd = "~/x"\n', {
      configDir,
    });

    expect(config.model_providers['c']?.auth?.cwd).toBe(path.join(homedir(), 'x'));
  });
});

describe('validateConfigToml', () => {
  it('validates an already-parsed table such as one with -c overrides applied', () => {
    const { config } = validateConfigToml(
      { model_providers: { corp: { auth: { command: 'print-token', cwd: 'bin' } } } },
      { configDir },
    );

    expect(config.model_providers['corp']?.auth?.cwd).toBe(path.join(configDir, 'bin'));
  });

  it.each([
    [null, 'null'],
    ['x', 'a string'],
    [1, '1'],
    [[], 'an array'],
    [undefined, 'nothing'],
  ])('rejects a root that is not a table (%j)', (value, got) => {
    const error = validationError(() => validateConfigToml(value, { configDir }));

    expect(error.message).toBe(`config: expected a table, got ${got}`);
    expect(error.keyPath).toBeUndefined();
  });

  it.each([
    [{ model_providers: [] }, 'model_providers', 'an array'],
    [{ model_providers: new Date(0) }, 'model_providers', 'a date-time'],
    [{ profiles: new Date(0) }, 'profiles', 'a date-time'],
    [{ model_providers: { p: { aws: [] } } }, 'model_providers.p.aws', 'an array'],
  ])('rejects an array or a date where a table belongs (%j)', (value, keyPath, got) => {
    const error = validationError(() => validateConfigToml(value, { configDir }));

    expect(error.message).toBe(`${keyPath}: expected a table, got ${got}`);
    expect(error.keyPath).toBe(keyPath);
  });
});

describe('base URL checks', () => {
  it('names every base URL that is not http(s) with a host, the first as the message', () => {
    const error = parseError(
      [
        'openai_base_url = "ftp://files.example.com/v1"',
        'chatgpt_base_url = "not a url"',
        '[profiles.work]',
        'chatgpt_base_url = "https://"',
        '[model_providers."corp.eu"]',
        'base_url = "file:///v1"',
      ].join('\n'),
    );

    expect(error.message).toBe('openai_base_url: expected an http:// or https:// URL');
    expect(error.keyPath).toBe('openai_base_url');
    expect(error.issues).toEqual([
      'openai_base_url: expected an http:// or https:// URL',
      'chatgpt_base_url: expected an http:// or https:// URL',
      'profiles.work.chatgpt_base_url: expected an http:// or https:// URL',
      'model_providers."corp.eu".base_url: expected an http:// or https:// URL',
    ]);
  });

  it('accepts http and https URLs with surrounding spaces', () => {
    const { config } = parseConfigToml(
      'openai_base_url = " http://127.0.0.1:1/v1 "\n[model_providers.corp]\nbase_url = "https://h/v1"\n',
      { configDir },
    );

    expect(config.openai_base_url).toBe(' http://127.0.0.1:1/v1 ');
    expect(config.model_providers['corp']?.base_url).toBe('https://h/v1');
  });

  it.each([
    ['https://h', true],
    ['HTTP://h:8080/x', true],
    ['ws://h', false],
    ['h/v1', false],
    ['', false],
  ])('isHttpUrl(%j) is %s', (text, expected) => {
    expect(isHttpUrl(text)).toBe(expected);
  });
});
