import { chmod, mkdir, readFile, rename, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { completedReply, fakeJwt, startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CANARY,
  type CodexHome,
  expectFailure,
  expectNoHangNoLeak,
  expectNoProcessLeft,
  makeCodexHome,
  runExec,
} from './helpers/cli.ts';
import { openAiConfig } from './helpers/config.ts';

const validAuthJson = `${JSON.stringify(
  { auth_mode: 'apikey', OPENAI_API_KEY: CANARY, tokens: null, last_refresh: null },
  null,
  2,
)}\n`;

/** A home for the built-in `openai` provider pointed at a local server; credentials from auth.json. */
async function setup(): Promise<{
  home: CodexHome;
  authFile: string;
  authorizations: () => string[];
}> {
  const server = await startResponsesServer();
  onTestFinished(() => server.close());
  const home = await makeCodexHome();
  await home.writeConfig(openAiConfig(server.url));
  return {
    home,
    authFile: path.join(home.dir, 'auth.json'),
    authorizations: () => server.requests.map((request) => request.headers['authorization'] ?? ''),
  };
}

describe('codex exec with a broken auth.json', () => {
  it.each([
    ['truncated', validAuthJson.slice(0, validAuthJson.indexOf(CANARY) + CANARY.length + 3)],
    ['not JSON', `OPENAI_API_KEY=${CANARY}\n`],
    ['JSON of the wrong shape', JSON.stringify({ OPENAI_API_KEY: [CANARY], tokens: CANARY })],
    ['binary', `\u0000\u00ff${CANARY}\u0000`],
  ])('fails clearly on an auth.json that is %s and leaves it untouched', async (_name, text) => {
    const { home, authFile, authorizations } = await setup();
    await writeFile(authFile, text, { mode: 0o600 });

    const result = await runExec(home);

    expectFailure(result, 'auth.json');
    expect(authorizations()).toEqual([]);
    expect(await readFile(authFile, 'utf8')).toBe(text);
  });

  it('fails clearly when auth.json is a directory', async () => {
    const { home, authFile, authorizations } = await setup();
    await mkdir(authFile);

    const result = await runExec(home);

    expectFailure(result, 'auth.json');
    expect(authorizations()).toEqual([]);
    expect((await stat(authFile)).isDirectory()).toBe(true);
  });

  it('still works with a world-readable auth.json and keeps its content', async () => {
    const { home, authFile, authorizations } = await setup();
    await writeFile(authFile, validAuthJson);
    await chmod(authFile, 0o644);

    const result = await runExec(home);

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(authorizations()).toEqual([`Bearer ${CANARY}`]);
    expect(await readFile(authFile, 'utf8')).toBe(validAuthJson);
  });
});

/** A ChatGPT login as `codex login` writes it; the refresh token is the canary. */
function chatgptAuthJson(accessToken: string): string {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const auth = { chatgpt_account_id: 'acct-fault', chatgpt_plan_type: 'plus' };
  return `${JSON.stringify(
    {
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: {
        id_token: fakeJwt({ email: 'fault@example.com', 'https://api.openai.com/auth': auth }),
        access_token: fakeJwt({ exp, tag: accessToken }),
        refresh_token: CANARY,
        account_id: 'acct-fault',
      },
      last_refresh: new Date().toISOString(),
    },
    null,
    2,
  )}\n`;
}

describe('codex exec with auth.json locked by another process', () => {
  it('waits for the lock and adopts the tokens the other process rotated, without refreshing twice', async () => {
    const authority = await startResponsesServer({
      responder: () => ({ kind: 'status', status: 500, body: { error: 'must not be called' } }),
    });
    onTestFinished(() => authority.close());
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(openAiConfig(server.url));
    const authFile = path.join(home.dir, 'auth.json');
    const lockDir = `${authFile}.lock`;
    const rotated = chatgptAuthJson('rotated');
    const rotatedBearer = `Bearer ${JSON.parse(rotated).tokens.access_token}`;
    await writeFile(authFile, chatgptAuthJson('first'), { mode: 0o600 });
    // this test process is the other process: it holds the lock (proper-lockfile's directory)
    await mkdir(lockDir);
    let rotation: Promise<void> | undefined;
    server.respond((request) => {
      if (request.headers['authorization'] === rotatedBearer) return completedReply('ok');
      // like another codex refreshing: rotate the file under the lock a little later, then release it
      rotation ??= new Promise<void>((resolve) => setTimeout(resolve, 500)).then(async () => {
        await writeFile(`${authFile}.next`, rotated, { mode: 0o600 });
        await rename(`${authFile}.next`, authFile);
        await rmdir(lockDir);
      });
      return { kind: 'status', status: 401, body: { error: { message: 'token expired' } } };
    });

    const result = await runExec(home, {
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${authority.url}/oauth/token` },
    });
    await rotation;

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toBe('ok');
    expect(authority.requests).toHaveLength(0);
    expect(server.requests.at(-1)?.headers['authorization']).toBe(rotatedBearer);
    expect(JSON.parse(await readFile(authFile, 'utf8'))).toEqual(JSON.parse(rotated));
    await expectNoProcessLeft(home);
  });
});

describe('codex exec when the token endpoint refuses the refresh token (OAuth error code, any status)', () => {
  it.each([
    [400, 'refresh_token_reused', 'your refresh token was already used'],
    [401, 'refresh_token_reused', 'your refresh token was already used'],
    [400, 'refresh_token_expired', 'your refresh token has expired'],
    [403, 'refresh_token_invalidated', 'your refresh token was revoked'],
    [
      400,
      'invalid_grant',
      'Your access token could not be refreshed. Please log out and sign in again.',
    ],
  ])(
    'a %i with %s calls the endpoint once and says to sign in again',
    async (status, code, text) => {
      const authority = await startResponsesServer({
        responder: () => ({
          kind: 'status',
          status,
          body: { error: { code, message: `quoting ${CANARY}` } },
        }),
      });
      onTestFinished(() => authority.close());
      const server = await startResponsesServer({
        responder: () => ({
          kind: 'status',
          status: 401,
          body: { error: { message: 'token expired' } },
        }),
      });
      onTestFinished(() => server.close());
      const home = await makeCodexHome();
      await home.writeConfig(openAiConfig(server.url));
      await writeFile(path.join(home.dir, 'auth.json'), chatgptAuthJson('stale'), { mode: 0o600 });

      const result = await runExec(home, {
        env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${authority.url}/oauth/token` },
      });

      expectFailure(result, text);
      expect(authority.requests).toHaveLength(1);
      expect(String(result.stderr)).not.toMatch(
        /Failed to refresh token:.*Failed to refresh token:/,
      );
    },
  );
});
