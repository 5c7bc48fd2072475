import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startResponsesServer } from '@codex/test-support';
import { execaNode } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CANARY,
  type CodexHome,
  type CodexResult,
  codexBin,
  expectFailure,
  expectNoHangNoLeak,
  makeCodexHome,
  RUN_TIMEOUT_MS,
  recordedPids,
  recordRun,
  runExec,
} from './helpers/cli.ts';
import { mockProviderConfig, openAiConfig, writeCanaryTokenScript } from './helpers/config.ts';

// Issue 11: bad input at the edges, end to end through the built CLI, with the canary as the secret
// wherever one is involved: no class may leak it while failing.

async function setup() {
  const server = await startResponsesServer();
  onTestFinished(() => server.close());
  const home = await makeCodexHome();
  return { server, home };
}

/** Runs any `codex` command line against `home`, never inheriting the real environment. */
async function runCodex(
  home: CodexHome,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CodexResult> {
  const result = (await execaNode(codexBin, [...args], {
    cwd: home.dir,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home.dir,
      CODEX_HOME: home.dir,
      ...env,
    },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: RUN_TIMEOUT_MS,
    all: true,
  })) as CodexResult;
  return recordRun(home, result);
}

/** `[model_providers.keyed]`: the key comes from `$CORP_KEY`. */
function envKeyConfig(url: string): string {
  return [
    'model = "gpt-fault"',
    'model_provider = "keyed"',
    '[model_providers.keyed]',
    `base_url = ${JSON.stringify(url)}`,
    'env_key = "CORP_KEY"',
    'request_max_retries = 0',
    '',
  ].join('\n');
}

const truncatedAuthJson = `{"auth_mode":"apikey","OPENAI_API_KEY":"${CANARY.slice(0, 30)}`;

describe('class: -c keys are TOML dotted keys', () => {
  it('sends the command token to the URL a quoted -c key names', async () => {
    const { server, home } = await setup();
    await home.writeConfig(mockProviderConfig('http://127.0.0.1:9/never'));
    await writeCanaryTokenScript(home);

    const result = await runExec(home, {
      args: ['-c', `"model_providers"."mock"."base_url"="${server.url}"`],
    });

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      `Bearer ${CANARY}`,
    ]);
  });

  it('rejects a malformed key without quoting the value (a token)', async () => {
    const { server, home } = await setup();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeCanaryTokenScript(home);

    const result = await runExec(home, {
      args: ['-c', `"model_providers.mock.experimental_bearer_token=${CANARY}`],
    });

    // (not expectFailure: execa's own message repeats the command line, canary included)
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toBe(
      'Error parsing -c overrides: Invalid key in override: "model_providers.mock.experimental_bearer_token: unterminated quoted key',
    );
    expect(String(result.stdout)).toBe('');
    expect(server.requests).toHaveLength(0);
  });
});

describe('class: provider URLs checked at load', () => {
  it.each([
    ['not a url', ['base_url = "not a url"'], 'model_providers.corp.base_url: expected an'],
    ['an https URL typo', ['base_url = "htps://gateway/v1"'], 'model_providers.corp.base_url'],
    [
      'a base_uri typo beside [auth]',
      ['base_uri = "http://127.0.0.1:9/v1"'],
      'base_url is missing',
    ],
  ])('fails on %s before the auth command runs or any request', async (_name, lines, fragment) => {
    const { server, home } = await setup();
    await home.writeConfig(
      [
        'model = "gpt-fault"',
        'model_provider = "corp"',
        '[model_providers.corp]',
        ...lines,
        '[model_providers.corp.auth]',
        'command = "./token.sh"',
        '',
      ].join('\n'),
    );
    await writeCanaryTokenScript(home);

    const result = await runExec(home, { env: { OPENAI_BASE_URL: server.url } });

    expectFailure(result, 'Error loading config.toml: ', fragment);
    expect(server.requests).toHaveLength(0);
    expect(await recordedPids(home)).toEqual([]);
  });
});

describe('class: the credential store is read only when needed', () => {
  it('runs an env_key provider beside a truncated auth.json holding the canary', async () => {
    const { server, home } = await setup();
    await home.writeConfig(envKeyConfig(server.url));
    await writeFile(path.join(home.dir, 'auth.json'), truncatedAuthJson);

    const result = await runExec(home, { env: { CORP_KEY: 'corp-key' } });

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toBe('');
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['exec', ['exec', 'say ok']],
    ['login status', ['login', 'status']],
  ])('%s: a truncated auth.json it needs is one line, without the canary', async (_name, args) => {
    const { server, home } = await setup();
    await home.writeConfig(openAiConfig(server.url));
    await writeFile(path.join(home.dir, 'auth.json'), `${truncatedAuthJson}\u001b]0;x\u0007`);

    const result = await runCodex(home, args);

    expectFailure(result, path.join(home.dir, 'auth.json'), '`codex logout`', '`codex login`');
    expect(String(result.stderr).trim().split('\n')).toHaveLength(1);
    expect(String(result.stderr)).not.toContain('\u001b');
    expect(server.requests).toHaveLength(0);
  });
});

describe('class: output failures', () => {
  it('fails before the auth command runs when -o cannot be written', async () => {
    const { server, home } = await setup();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeCanaryTokenScript(home);
    await writeFile(path.join(home.dir, 'blocker'), '');

    const result = await runExec(home, { args: ['-o', 'blocker/out.md'] });

    expectFailure(result, `Failed to write last message file ${path.join(home.dir, 'blocker')}`);
    expect(server.requests).toHaveLength(0);
    expect(await recordedPids(home)).toEqual([]);
  });

  it('creates missing parents of -o and writes the answer', async () => {
    const { server, home } = await setup();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeCanaryTokenScript(home);
    await mkdir(path.join(home.dir, 'present'));

    const result = await runExec(home, { args: ['--json', '-o', 'present/a/b/out.md'] });

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(await readFile(path.join(home.dir, 'present/a/b/out.md'), 'utf8')).toBe('ok');
  });
});

describe('class: machine-readable errors', () => {
  it('ends a turn whose auth command fails with codexErrorInfo "unauthorized"', async () => {
    const { server, home } = await setup();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeFile(
      path.join(home.dir, 'token.sh'),
      `#!/bin/sh\necho "no token for ${CANARY.slice(0, 3)}" >&2\nexit 7\n`,
      { mode: 0o755 },
    );

    const result = await runExec(home, { args: ['--json'] });

    expectNoHangNoLeak(result);
    expect(result.exitCode).toBe(1);
    const last = JSON.parse(String(result.stdout).trim().split('\n').at(-1) ?? '{}');
    expect(last).toMatchObject({ type: 'turn.failed', error: { codexErrorInfo: 'unauthorized' } });
    expect(server.requests).toHaveLength(0);
  });

  it('ends a turn the provider rejects with codexErrorInfo "unauthorized", no canary', async () => {
    const { server, home } = await setup();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeCanaryTokenScript(home);
    server.respond(() => ({
      kind: 'status',
      status: 401,
      body: { error: { message: `token ${CANARY} rejected` } },
    }));

    const result = await runExec(home, { args: ['--json'] });

    expectNoHangNoLeak(result);
    expect(result.exitCode).toBe(1);
    const last = JSON.parse(String(result.stdout).trim().split('\n').at(-1) ?? '{}');
    expect(last).toMatchObject({ type: 'turn.failed', error: { codexErrorInfo: 'unauthorized' } });
  });
});

describe('class: login status names the credential source, never the secret', () => {
  it.each([
    ['env_key', { CORP_KEY: CANARY }, 'Using the API key in `CORP_KEY`'],
    ['CODEX_API_KEY', { CODEX_API_KEY: CANARY }, 'Logged in using an API key from `CODEX_API_KEY`'],
  ])('%s', async (name, env, line) => {
    const { server, home } = await setup();
    await home.writeConfig(
      name === 'env_key' ? envKeyConfig(server.url) : openAiConfig(server.url),
    );

    const result = await runCodex(home, ['login', 'status'], env);

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toContain(line);
  });

  it('experimental_bearer_token', async () => {
    const { server, home } = await setup();
    await home.writeConfig(
      envKeyConfig(server.url).replace(
        'env_key = "CORP_KEY"',
        `experimental_bearer_token = "${CANARY}"`,
      ),
    );

    const result = await runCodex(home, ['login', 'status']);

    expectNoHangNoLeak(result);
    expect(result.exitCode).toBe(0);
    expect(String(result.stderr)).toContain('experimental_bearer_token of model provider');
  });
});
