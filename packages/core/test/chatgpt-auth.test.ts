import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createModelClient, userMessage } from '@codex/core';
import { completedReply, fakeJwt, startResponsesServer } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { loadProviderConfig, tempHome, tomlString } from './helpers/provider-config.ts';

const farFuture = Math.floor(Date.now() / 1000) + 24 * 3600;
const idToken = fakeJwt({
  email: 'user@example.com',
  exp: farFuture,
  'https://api.openai.com/auth': {
    chatgpt_user_id: 'user-1',
    chatgpt_plan_type: 'pro',
    chatgpt_account_id: 'account-1',
  },
});
const accessToken = (name: string) => fakeJwt({ sub: name, exp: farFuture });

describe('createModelClient with ChatGPT auth', () => {
  it('sends the ChatGPT account header and recovers from 401 by reload, then refresh', async () => {
    const home = await tempHome();
    await writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({
        auth_mode: 'chatgpt',
        OPENAI_API_KEY: null,
        tokens: {
          id_token: idToken,
          access_token: accessToken('first'),
          refresh_token: 'refresh-1',
          account_id: 'account-1',
        },
        last_refresh: new Date().toISOString(),
      }),
    );
    await using authority = await startResponsesServer();
    authority.respond(() => ({
      kind: 'status',
      status: 200,
      body: { id_token: idToken, access_token: accessToken('second'), refresh_token: 'refresh-2' },
    }));
    await using server = await startResponsesServer();
    server.respond((request) =>
      request.headers['authorization'] === `Bearer ${accessToken('second')}`
        ? completedReply('ok')
        : { kind: 'status', status: 401, body: { error: { message: 'token expired' } } },
    );
    const env = { CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${authority.url}/oauth/token` };
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequires_openai_auth = true\nrequest_max_retries = 0\nstream_max_retries = 0`,
      { home },
    );
    const client = createModelClient({ config, env });

    const result = await client.runTurn({ input: [userMessage('hi')] });

    expect(result.text).toBe('ok');
    // first token, the same token after the reload step, then the refreshed token
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      `Bearer ${accessToken('first')}`,
      `Bearer ${accessToken('first')}`,
      `Bearer ${accessToken('second')}`,
    ]);
    expect(
      server.requests.every((request) => request.headers['chatgpt-account-id'] === 'account-1'),
    ).toBe(true);
    expect(authority.requests).toHaveLength(1);
    expect(authority.requests[0]?.body).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
    });
  });
});
