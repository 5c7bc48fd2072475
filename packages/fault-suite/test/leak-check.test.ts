import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { CANARY, type CodexHome, type CodexResult, expectNoLeakInHome } from './helpers/cli.ts';

/** A home with one recorded run whose output is `output`, without the checks makeCodexHome adds. */
async function homeWithRun(output: Partial<CodexResult>): Promise<CodexHome & AsyncDisposable> {
  const temp = await makeTempDir('codex-leak-check-');
  const run = { stdout: '', stderr: '', all: '', message: '', ...output } as CodexResult;
  return {
    dir: temp.dir,
    runs: [run],
    pidFile: path.join(temp.dir, 'pids'),
    writeConfig: (toml) => writeFile(path.join(temp.dir, 'config.toml'), toml),
    [Symbol.asyncDispose]: () => temp.dispose(),
  };
}

// The check that runs after every fault test must be able to fail.
describe('expectNoLeakInHome', () => {
  it('passes for clean output next to the inputs that hold the canary on purpose', async () => {
    await using home = await homeWithRun({ stdout: 'ok', stderr: 'warning: nothing secret' });
    await writeFile(path.join(home.dir, 'auth.json'), JSON.stringify({ OPENAI_API_KEY: CANARY }));
    await writeFile(path.join(home.dir, 'token.sh'), `echo ${CANARY}`);

    await expect(expectNoLeakInHome(home)).resolves.toBeUndefined();
  });

  it.each([
    ['stderr', { stderr: `ERROR: bad token ${CANARY}` }],
    ['stdout', { stdout: `{"type":"error","message":"${CANARY}"}` }],
    ['a debug stack in the message', { message: `Command failed\n    at ${CANARY.slice(5, 30)}` }],
  ])('fails on the canary in %s', async (_where, output) => {
    await using home = await homeWithRun(output);

    await expect(expectNoLeakInHome(home)).rejects.toThrow();
  });

  it('fails on the canary in a file codex wrote under $CODEX_HOME', async () => {
    await using home = await homeWithRun({});
    await mkdir(path.join(home.dir, 'log'));
    await writeFile(path.join(home.dir, 'log', 'codex-tui.log'), `token=${CANARY}\n`);

    await expect(expectNoLeakInHome(home)).rejects.toThrow();
  });

  it('fails when codex never ran against the home', async () => {
    await using home = await homeWithRun({});
    home.runs.length = 0;

    await expect(expectNoLeakInHome(home)).rejects.toThrow('codex never ran');
  });
});
