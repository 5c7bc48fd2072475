import { watch } from 'node:fs';
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
    const first = chatgptAuthJson('first');
    const rotated = chatgptAuthJson('rotated');
    const firstBearer = `Bearer ${JSON.parse(first).tokens.access_token}`;
    const rotatedBearer = `Bearer ${JSON.parse(rotated).tokens.access_token}`;
    await writeFile(authFile, first, { mode: 0o600 });
    // This test process is the other process: it holds the lock (proper-lockfile's directory) from
    // before codex starts, and every create or remove of that directory is recorded in order.
    await mkdir(lockDir);
    const lockEvents = watchLockDirectory(home.dir, path.basename(lockDir));
    let releasedAt: number | undefined;
    server.respond(async (request) => {
      if (request.headers['authorization'] === rotatedBearer) return completedReply('ok');
      // The second 401 for the same token means codex re-read auth.json without the lock and found it
      // unchanged ("reload"); its next step is the locked refresh. Only now does the other process
      // rotate the tokens, and it keeps holding the lock while codex answers the 401.
      if (request.index === 1) {
        await writeFile(`${authFile}.next`, rotated, { mode: 0o600 });
        await rename(`${authFile}.next`, authFile);
        setTimeout(() => {
          lockEvents.markRelease();
          releasedAt = performance.now();
          void rmdir(lockDir);
        }, 300);
      }
      return { kind: 'status', status: 401, body: { error: { message: 'token expired' } } };
    });

    const result = await runExec(home, {
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: `${authority.url}/oauth/token` },
    });
    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toBe('ok');
    expect(authority.requests).toHaveLength(0);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      firstBearer,
      firstBearer,
      rotatedBearer,
    ]);
    // codex left the held lock alone, took it only after the release, and resent only after that
    expect(lockEvents.beforeRelease()).toBe(0);
    expect(releasedAt).toBeDefined();
    expect(server.requests[2]?.receivedAtMs).toBeGreaterThan(
      releasedAt ?? Number.POSITIVE_INFINITY,
    );
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

/** Counts create/remove events of `name` in `dir`, and how many came before {@link markRelease}. */
function watchLockDirectory(dir: string, name: string) {
  let count = 0;
  let beforeRelease: number | undefined;
  const waiters: { count: number; resolve: () => void }[] = [];
  const watcher = watch(dir, (event, file) => {
    if (event !== 'rename' || file !== name) return;
    count += 1;
    for (const waiter of waiters.filter((w) => count >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  onTestFinished(() => watcher.close());
  return {
    markRelease: () => {
      beforeRelease = count;
    },
    beforeRelease: () => beforeRelease,
    waitForCount: (target: number) =>
      count >= target
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count: target, resolve })),
  };
}
