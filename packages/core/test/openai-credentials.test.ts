import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CredentialError,
  createCredentialSource,
  createModelClient,
  userMessage,
} from '@codex/core';
import { AuthManager } from '@codex/login';
import { completedReply, fakeJwt, startResponsesServer } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { loadProviderConfig, tempHome, tomlString } from './helpers/provider-config.ts';

const farFuture = Math.floor(Date.now() / 1000) + 24 * 3600;

function idToken(fedramp: boolean) {
  return fakeJwt({
    email: 'user@example.com',
    exp: farFuture,
    'https://api.openai.com/auth': {
      chatgpt_user_id: 'user-1',
      chatgpt_plan_type: 'pro',
      chatgpt_account_id: 'account-1',
      chatgpt_account_is_fedramp: fedramp,
    },
  });
}

async function chatgptHome(options: { fedramp?: boolean; accountId?: string | null } = {}) {
  const home = await tempHome();
  await writeFile(
    path.join(home, 'auth.json'),
    JSON.stringify({
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: {
        id_token: idToken(options.fedramp ?? false),
        access_token: fakeJwt({ sub: 'access', exp: farFuture }),
        refresh_token: 'refresh-1',
        account_id: options.accountId === undefined ? 'account-1' : options.accountId,
      },
      last_refresh: new Date().toISOString(),
    }),
  );
  return home;
}

async function openaiSource(home: string) {
  const config = await loadProviderConfig(
    'base_url = "http://127.0.0.1:9/v1"\nrequires_openai_auth = true',
    { home },
  );
  return createCredentialSource({
    providerId: 'corp',
    provider: config.modelProvider,
    env: {},
    authManager: AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false, env: {} }),
  });
}

describe('the OpenAI login as a credential source', () => {
  it('sends a ChatGPT token with its account and the FedRAMP flag', async () => {
    const source = await openaiSource(await chatgptHome({ fedramp: true }));

    const credential = await source.resolve();

    expect(source.kind).toBe('openai');
    expect(credential).toMatchObject({
      chatgpt: true,
      accountId: 'account-1',
      headers: { 'chatgpt-account-id': 'account-1', 'x-openai-fedramp': 'true' },
    });
  });

  it('sends no account or FedRAMP header when the login has neither', async () => {
    const source = await openaiSource(await chatgptHome({ accountId: null }));

    const credential = await source.resolve();

    expect(credential.headers).toEqual({});
    expect(credential.accountId).toBeNull();
  });

  it('uses an API key from auth.json as a plain bearer', async () => {
    const home = await tempHome();
    await writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({
        auth_mode: 'apikey',
        OPENAI_API_KEY: 'sk-file',
        tokens: null,
        last_refresh: null,
      }),
    );
    const source = await openaiSource(home);

    const credential = await source.resolve();

    expect(credential).toMatchObject({ headers: {}, chatgpt: false, accountId: null });
    expect(credential.token?.reveal()).toBe('sk-file');
  });

  it('refuses a blank API key in auth.json, naming where it came from', async () => {
    const home = await tempHome();
    await writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({
        auth_mode: 'apikey',
        OPENAI_API_KEY: ' ',
        tokens: null,
        last_refresh: null,
      }),
    );
    const source = await openaiSource(home);

    const error = await source.resolve().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toBe(
      'the API key in auth.json (OPENAI_API_KEY) is empty; no request was sent without credentials',
    );
  });

  it('does not resend an API key from auth.json after a 401: no recovery step applies', async () => {
    const home = await tempHome();
    await writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({
        auth_mode: 'apikey',
        OPENAI_API_KEY: 'sk-file',
        tokens: null,
        last_refresh: null,
      }),
    );
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 401, body: 'no' }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequires_openai_auth = true\nrequest_max_retries = 0\nstream_max_retries = 0`,
      { home },
    );
    const client = createModelClient({ config, env: {} });

    const error = await client
      .runTurn({ input: [userMessage('hi')] })
      .catch((caught: unknown) => caught);

    expect((error as Error).message).toMatch(/^unexpected status 401 Unauthorized/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('a provider without credentials', () => {
  it('sends no authorization and never recovers', async () => {
    await using server = await startResponsesServer();
    server.enqueue({ kind: 'status', status: 401, body: 'no' }, completedReply('unused'));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequest_max_retries = 0\nstream_max_retries = 0`,
    );
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: {},
    });
    const client = createModelClient({ config, env: {} });

    const credential = await source.resolve();
    const recovered = await source.recover(credential);
    const error = await client
      .runTurn({ input: [userMessage('hi')] })
      .catch((caught: unknown) => caught);

    expect(source.kind).toBe('none');
    expect(credential).toEqual({ token: null, headers: {}, chatgpt: false, accountId: null });
    expect(recovered).toBeNull();
    expect((error as Error).message).toMatch(/^unexpected status 401 Unauthorized/);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers['authorization']).toBeUndefined();
  });

  it('ignores an AuthManager for a provider without requires_openai_auth', async () => {
    const home = await chatgptHome();
    const config = await loadProviderConfig('base_url = "http://127.0.0.1:9/v1"', { home });

    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: {},
      authManager: AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false, env: {} }),
    });

    expect(source.kind).toBe('none');
  });
});

describe('static credentials', () => {
  it('never recover after a 401', async () => {
    const config = await loadProviderConfig(
      'base_url = "http://127.0.0.1:9/v1"\nexperimental_bearer_token = "tok"',
    );
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: {},
    });

    const credential = await source.resolve();

    expect(source.kind).toBe('bearer');
    expect(credential).toMatchObject({ headers: {}, chatgpt: false, accountId: null });
    expect(await source.recover(credential)).toBeNull();
  });

  it('reads env_key again for each request', async () => {
    const config = await loadProviderConfig('base_url = "http://127.0.0.1:9/v1"\nenv_key = "K"');
    const env: Record<string, string> = { K: 'first' };
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env,
    });

    const first = await source.resolve();
    env['K'] = 'second';
    const second = await source.resolve();

    expect(source.kind).toBe('env');
    expect([first.token?.reveal(), second.token?.reveal()]).toEqual(['first', 'second']);
    expect(await source.recover(second)).toBeNull();
  });

  it.each([
    ['tab\tinside', 'contains characters'],
    ['del\u007f', 'contains characters'],
    ['nul\u0000', 'contains characters'],
    ['latin1-\u00ff-ok', null],
  ])('checks the characters of %j', async (value, problem) => {
    const config = await loadProviderConfig('base_url = "http://127.0.0.1:9/v1"\nenv_key = "K"');
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: { K: value },
    });

    const outcome = await source.resolve().then(
      (credential) => credential.token?.reveal(),
      (error: unknown) => error,
    );

    if (problem === null) expect(outcome).toBe(value);
    else expect(String(outcome)).toContain(problem);
  });
});
