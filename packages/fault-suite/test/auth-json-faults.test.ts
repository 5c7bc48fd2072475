import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CANARY,
  type CodexHome,
  expectFailure,
  expectNoHangNoLeak,
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
