import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CredentialError,
  createCredentialSource,
  createModelClient,
  UnexpectedStatusError,
  userMessage,
} from '@codex/core';
import { AuthCommandError, AuthManager, clearProviderBearerRefreshers } from '@codex/login';
import {
  completedReply,
  makeTempDir,
  startResponsesServer,
  writeScript,
  writeTokenQueueScript,
} from '@codex/test-support';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { loadProviderConfig, recordingSleep, tomlString } from './helpers/provider-config.ts';

const turn = { input: [userMessage('hello')] };

async function tokenDir() {
  const temp = await makeTempDir('codex-token-');
  return temp;
}

function commandProviderToml(
  url: string,
  dir: string,
  { retries = 'request_max_retries = 0\nstream_max_retries = 0', interval = 300000 } = {},
) {
  return [
    `base_url = ${tomlString(url)}`,
    retries,
    'stream_idle_timeout_ms = 30000',
    '[model_providers.corp.auth]',
    'command = "./print-token.sh"',
    `cwd = ${tomlString(dir)}`,
    `refresh_interval_ms = ${interval}`,
  ].join('\n');
}

const bearerOf = (request: { headers: Readonly<Record<string, string>> }) =>
  request.headers['authorization'];

afterEach(() => {
  clearProviderBearerRefreshers();
});

describe('provider auth command', () => {
  it('provider_auth_command_supplies_bearer_token', async () => {
    await using temp = await tokenDir();
    const script = await writeTokenQueueScript(temp.dir, ['command-token']);
    await using server = await startResponsesServer();
    server.respond((request) =>
      bearerOf(request) === 'Bearer command-token'
        ? completedReply('hi')
        : { kind: 'status', status: 401, body: { error: { message: 'bad token' } } },
    );
    const config = await loadProviderConfig(commandProviderToml(server.url, temp.dir));
    const client = createModelClient({ config, env: {} });

    const result = await client.runTurn(turn);

    expect(result.text).toBe('hi');
    expect(server.requests).toHaveLength(1);
    expect(bearerOf(server.requests[0] ?? { headers: {} })).toBe('Bearer command-token');
    expect(await script.runs()).toBe(1);
  });

  it('provider_auth_command_refreshes_after_401', async () => {
    await using temp = await tokenDir();
    const script = await writeTokenQueueScript(temp.dir, ['first-token', 'second-token']);
    await using server = await startResponsesServer();
    server.respond((request) =>
      bearerOf(request) === 'Bearer second-token'
        ? completedReply('refreshed')
        : { kind: 'status', status: 401, body: { error: { message: 'expired' } } },
    );
    const config = await loadProviderConfig(commandProviderToml(server.url, temp.dir));
    // the caller's own login is ignored for a command-auth provider
    const authManager = AuthManager.create({
      codexHome: config.codexHome,
      enableCodexApiKeyEnv: true,
      env: { CODEX_API_KEY: 'unused-api-key' },
    });
    const client = createModelClient({ config, env: {}, authManager });

    const result = await client.runTurn(turn);

    expect(result.text).toBe('refreshed');
    expect(server.requests.map(bearerOf)).toEqual(['Bearer first-token', 'Bearer second-token']);
    expect(await script.runs()).toBe(2);
  });

  it('reuses one token across requests until a 401 when refresh_interval_ms = 0', async () => {
    await using temp = await tokenDir();
    const script = await writeTokenQueueScript(temp.dir, ['token-a', 'token-b']);
    await using server = await startResponsesServer();
    let rejectA = false;
    server.respond((request) =>
      rejectA && bearerOf(request) === 'Bearer token-a'
        ? { kind: 'status', status: 401, body: { error: { message: 'revoked' } } }
        : completedReply('ok'),
    );
    const config = await loadProviderConfig(
      commandProviderToml(server.url, temp.dir, { interval: 0 }),
    );
    const client = createModelClient({ config, env: {} });

    for (let index = 0; index < 3; index += 1) await client.runTurn(turn);
    const runsBefore401 = await script.runs();
    rejectA = true;
    await client.runTurn(turn);
    await client.runTurn(turn);

    expect(runsBefore401).toBe(1);
    expect(await script.runs()).toBe(2);
    expect(server.requests.map(bearerOf)).toEqual([
      'Bearer token-a',
      'Bearer token-a',
      'Bearer token-a',
      'Bearer token-a',
      'Bearer token-b',
      'Bearer token-b',
    ]);
  });

  it('ends an always-401 turn after exactly 2 command runs and 2 requests (improvement 3)', async () => {
    await using temp = await tokenDir();
    const script = await writeTokenQueueScript(temp.dir, ['t1', 't2', 't3', 't4', 't5']);
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 401,
      body: { error: { message: 'Invalid bearer token' } },
    }));
    // default retry budgets: a 401 must not consume them
    const config = await loadProviderConfig(
      commandProviderToml(server.url, temp.dir, { retries: '' }),
    );
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UnexpectedStatusError);
    expect((error as Error).message).toBe(
      `unexpected status 401 Unauthorized: Invalid bearer token, url: ${server.url}/responses`,
    );
    expect(await script.runs()).toBe(2);
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it('fails closed: a failing command sends no request and fails the turn (improvement 1)', async () => {
    await using temp = await tokenDir();
    await writeScript(temp.dir, 'print-token.sh', 'echo run >> runs.log\necho boom >&2\nexit 1');
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      commandProviderToml(server.url, temp.dir, { retries: '' }),
    );
    const { sleep } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AuthCommandError);
    expect((error as Error).message).toContain('provider auth command `./print-token.sh`');
    expect((error as Error).message).toContain('boom');
    expect(server.requests).toHaveLength(0);
  });

  it('runs a failing command once per request attempt, not again at turn level (improvement 2)', async () => {
    await using temp = await tokenDir();
    await writeScript(
      temp.dir,
      'print-token.sh',
      'cd "$(dirname "$0")"\necho run >> runs.log\necho boom >&2\nexit 1',
    );
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      commandProviderToml(server.url, temp.dir, { retries: '' }),
    );
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    await expect(client.runTurn(turn)).rejects.toBeInstanceOf(AuthCommandError);

    const runs = (await readFile(path.join(temp.dir, 'runs.log'), 'utf8')).trim().split('\n');
    expect(runs).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('a failing refresh after a 401 ends the turn with the command error', async () => {
    await using temp = await tokenDir();
    // one token, then the queue is empty: the refresh prints nothing
    await writeTokenQueueScript(temp.dir, ['only-token']);
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 401, body: 'nope' }));
    const config = await loadProviderConfig(commandProviderToml(server.url, temp.dir));
    const client = createModelClient({ config, env: {} });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AuthCommandError);
    expect((error as Error).message).toBe(
      'provider auth command `./print-token.sh` produced an empty token',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('100 concurrent 401s for the same token cause one refresh run (improvement 4)', async () => {
    await using temp = await tokenDir();
    const script = await writeTokenQueueScript(temp.dir, ['stale', 'fresh', 'spare-1', 'spare-2']);
    await using server = await startResponsesServer();
    server.respond((request) =>
      bearerOf(request) === 'Bearer fresh'
        ? completedReply('ok')
        : { kind: 'status', status: 401, body: { error: { message: 'stale' } } },
    );
    const config = await loadProviderConfig(commandProviderToml(server.url, temp.dir));
    const client = createModelClient({ config, env: {} });

    const results = await Promise.all(Array.from({ length: 100 }, () => client.runTurn(turn)));

    expect(results.every((result) => result.text === 'ok')).toBe(true);
    // one run for the first token, one for the refresh
    expect(await script.runs()).toBe(2);
  });

  it('shares one token cache per provider across clients in a process (improvement 5)', async () => {
    await using temp = await tokenDir();
    const script = await writeTokenQueueScript(temp.dir, ['shared', 'second']);
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(commandProviderToml(server.url, temp.dir));

    for (let conversation = 0; conversation < 3; conversation += 1) {
      const client = createModelClient({ config, env: {} });
      await client.runTurn(turn);
    }

    expect(await script.runs()).toBe(1);
    expect(new Set(server.requests.map(bearerOf))).toEqual(new Set(['Bearer shared']));
  });
});

describe('createCredentialSource', () => {
  async function commandSource(tokens: readonly string[], toml = '') {
    const temp = await makeTempDir('codex-source-');
    onTestFinished(() => temp.dispose());
    const script = await writeTokenQueueScript(temp.dir, tokens);
    const config = await loadProviderConfig(
      `base_url = "http://127.0.0.1:9/v1"\n[model_providers.corp.auth]\ncommand = "./print-token.sh"\ncwd = ${tomlString(temp.dir)}\nrefresh_interval_ms = 0\n${toml}`,
    );
    const source = createCredentialSource({
      providerId: config.modelProviderId,
      provider: config.modelProvider,
      env: {},
    });
    return { source, script };
  }

  it('command auth recovers with the token the refresher returns, once per request (improvement 3)', async () => {
    const { source, script } = await commandSource(['first', 'second', 'third']);

    const first = await source.resolve();
    const recovered = await source.recover(first);
    const exhausted = recovered === null ? null : await source.recover(recovered);

    expect(source.kind).toBe('command');
    expect(first.token?.reveal()).toBe('first');
    expect(recovered?.token?.reveal()).toBe('second');
    expect(exhausted).toBeNull();
    expect(await script.runs()).toBe(2);
  });

  it('a 401 for a token the cache already replaced gets the newer token without a run (improvement 4)', async () => {
    const { source, script } = await commandSource(['first', 'second', 'third']);
    const stale = await source.resolve();
    const fresh = await source.recover(stale);

    const again = await source.recover(stale);

    expect(fresh?.token?.reveal()).toBe('second');
    expect(again?.token?.reveal()).toBe('second');
    expect(await script.runs()).toBe(2);
  });

  it('fails closed when the command fails: no credential, its error (improvement 1)', async () => {
    const temp = await makeTempDir('codex-source-');
    onTestFinished(() => temp.dispose());
    await writeScript(temp.dir, 'fail.sh', 'exit 3');
    const config = await loadProviderConfig(
      `base_url = "http://127.0.0.1:9/v1"\n[model_providers.corp.auth]\ncommand = "./fail.sh"\ncwd = ${tomlString(temp.dir)}`,
    );
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: {},
    });

    await expect(source.resolve()).rejects.toBeInstanceOf(AuthCommandError);
  });

  it.each([
    [
      'experimental_bearer_token = ""',
      {},
      'model_providers.corp.experimental_bearer_token is empty',
    ],
    [
      'experimental_bearer_token = "   "',
      {},
      'model_providers.corp.experimental_bearer_token is empty',
    ],
    [
      'experimental_bearer_token = "tok\\u00e9\\u20ac"',
      {},
      'model_providers.corp.experimental_bearer_token contains characters that cannot be sent in an HTTP header',
    ],
    [
      'env_key = "K"',
      { K: 'tok\nX-Injected: 1' },
      'environment variable `K` (model_providers.corp.env_key) contains characters that cannot be sent',
    ],
  ] as const)(
    'rejects a blank or unsendable credential, naming its source: %s',
    async (toml, env, text) => {
      const config = await loadProviderConfig(`base_url = "http://127.0.0.1:9/v1"\n${toml}`);

      const attempt = async () =>
        createCredentialSource({
          providerId: 'corp',
          provider: config.modelProvider,
          env,
        }).resolve();

      await expect(attempt()).rejects.toBeInstanceOf(CredentialError);
      await expect(attempt()).rejects.toThrow(text);
    },
  );

  it('trims an env_key value like CODEX_API_KEY', async () => {
    const config = await loadProviderConfig('base_url = "http://127.0.0.1:9/v1"\nenv_key = "K"');
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: { K: '  key-with-crlf\r\n' },
    });

    const credential = await source.resolve();

    expect(credential.token?.reveal()).toBe('key-with-crlf');
  });

  it('fails at once with how to sign in when the OpenAI login has no credentials', async () => {
    const home = await makeTempDir('codex-source-');
    onTestFinished(() => home.dispose());
    const config = await loadProviderConfig(
      'base_url = "http://127.0.0.1:9/v1"\nrequires_openai_auth = true',
      {
        home: home.dir,
      },
    );
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: {},
      authManager: AuthManager.create({ codexHome: home.dir, enableCodexApiKeyEnv: true, env: {} }),
    });

    const error = await source.resolve().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toContain('codex login');
    expect((error as Error).message).toContain('OPENAI_API_KEY');
  });
});
