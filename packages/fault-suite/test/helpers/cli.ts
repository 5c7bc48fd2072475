import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@codex/test-support';
import { execaNode, type Result } from 'execa';
import { expect, onTestFinished } from 'vitest';

/**
 * The bundled CLI, built by `@codex/cli#build` before this suite runs (see turbo.json). Found by its
 * path in the workspace rather than as a dependency: a dependency on `@codex/cli` makes pnpm link its
 * `codex` bin before any build and warn on every fresh install that `dist/bin.cjs` is missing.
 */
export const codexBin = fileURLToPath(
  new URL('../../../../apps/cli/dist/bin.cjs', import.meta.url),
);

/**
 * The secret canary: a recognisable token value fed through every fault (as the command's token, the
 * auth.json API key, a literal bearer token). No output or error message may ever contain it.
 */
export const CANARY = 'sk-canary-9f8e7d6c5b4a3928170655aa44bb33cc';

/** A middle slice of the canary: a cut-off quote of it (a JSON parse error's snippet) still leaks. */
const CANARY_MIDDLE = '9f8e7d6c5b4a';

/** How long one CLI run may take before the test calls it a hang. */
export const RUN_TIMEOUT_MS = 20_000;

export interface CodexHome {
  /** `$CODEX_HOME` (also used as `$HOME`, so nothing under the real home is read). */
  readonly dir: string;
  /** Every `codex` run against this home, in order (checked for the canary when the test ends). */
  readonly runs: RunOutput[];
  /** Where scripts append the pids of every process they start. */
  readonly pidFile: string;
  writeConfig(toml: string): Promise<void>;
}

/**
 * A temp `CODEX_HOME`. When the test finishes, the output of every run and every file codex wrote there
 * are checked for the canary, and the directory is removed.
 */
export async function makeCodexHome(): Promise<CodexHome> {
  const temp = await makeTempDir('codex-fault-');
  const home: CodexHome = {
    dir: temp.dir,
    runs: [],
    pidFile: path.join(temp.dir, 'pids'),
    writeConfig: (toml) => writeFile(path.join(temp.dir, 'config.toml'), toml),
  };
  onTestFinished(async () => {
    try {
      await expectNoLeakInHome(home);
    } finally {
      await temp.dispose();
    }
  });
  return home;
}

export type CodexResult = Result<{ reject: false; timeout: number; all: true }>;

/** What a run left to check for the canary: its output streams, execa's message and the command line. */
export type RunOutput = {
  readonly stdout?: unknown;
  readonly stderr?: unknown;
  readonly all?: unknown;
  readonly message?: unknown;
  /** The command line (plain and shell-escaped, as execa's message shows it): the test's own input. */
  readonly command?: string;
  readonly escapedCommand?: string;
};

/** Records a run a test started itself, so the canary check at the end covers it. */
export function recordRun<T extends RunOutput>(home: CodexHome, run: T): T {
  home.runs.push(run);
  return run;
}

/** Runs `codex exec <prompt>` against `home`, never inheriting the real environment. */
export async function runExec(
  home: CodexHome,
  options: { readonly args?: readonly string[]; readonly env?: Record<string, string> } = {},
): Promise<CodexResult> {
  const result = (await execaNode(codexBin, ['exec', ...(options.args ?? []), 'say ok'], {
    cwd: home.dir,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home.dir,
      CODEX_HOME: home.dir,
      // not read by exec (upstream-core §5.1.5), but an env dump in an error would leak it
      OPENAI_API_KEY: CANARY,
      ...options.env,
    },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: RUN_TIMEOUT_MS,
    all: true,
  })) as CodexResult;
  home.runs.push(result);
  return result;
}

/** Every line of a run's output, stdout and stderr together. */
function outputOf(result: CodexResult): string {
  return `${String(result.stdout)}\n${String(result.stderr)}`;
}

/** Asserts the run ended by itself (no hang) and the canary never appeared. */
export function expectNoHangNoLeak(result: CodexResult): void {
  expect(result.timedOut, `codex hung:\n${outputOf(result)}`).toBe(false);
  expect(outputOf(result)).not.toContain(CANARY_MIDDLE);
  expect(String(result.message ?? '')).not.toContain(CANARY_MIDDLE);
}

/** Files a test puts in `$CODEX_HOME` itself, several of which hold the canary on purpose. */
const TEST_INPUTS = /^(auth\.json(\..*)?|config\.toml|token\.sh|pids|.*\.(sh|json|txt))$/;

/**
 * Asserts the canary is in no output of any run against `home` (stdout, stderr, the interleaved
 * stream, execa's message, which also covers `CODEX_DEBUG` stack traces) and in no file codex created
 * under `$CODEX_HOME` (logs, sessions, history: anything but the test's own inputs). Fails when the
 * test ran codex zero times, so a home that was never used cannot pass for a clean one.
 */
export async function expectNoLeakInHome(home: CodexHome): Promise<void> {
  expect(home.runs.length, 'codex never ran against this home').toBeGreaterThan(0);
  for (const [index, run] of home.runs.entries()) {
    // execa's message starts with the command line, which holds the test's own arguments
    let message = String(run.message ?? '');
    for (const line of [run.escapedCommand, run.command]) {
      if (line) message = message.split(line).join('');
    }
    for (const text of [run.stdout, run.stderr, run.all, message]) {
      expect(String(text ?? ''), `run ${index}`).not.toContain(CANARY_MIDDLE);
    }
  }
  for (const name of await readdir(home.dir, { recursive: true })) {
    const file = path.join(home.dir, name);
    if (TEST_INPUTS.test(path.basename(name)) && !name.includes(path.sep)) continue;
    if (!(await stat(file).catch(() => null))?.isFile()) continue;
    expect(await readFile(file, 'utf8'), file).not.toContain(CANARY_MIDDLE);
  }
}

/**
 * Asserts a clean failure: exit 1, no hang, no canary, and one stderr line that contains every `fragment`
 * (a clear one-line error naming the key or command).
 */
export function expectFailure(
  result: CodexResult,
  ...fragments: readonly (string | RegExp)[]
): void {
  expectNoHangNoLeak(result);
  expect(result.exitCode, outputOf(result)).toBe(1);
  const lines = String(result.stderr).split('\n');
  const line = lines.find((candidate) =>
    fragments.every((fragment) =>
      typeof fragment === 'string' ? candidate.includes(fragment) : fragment.test(candidate),
    ),
  );
  expect(
    line,
    `no stderr line has ${fragments.join(' + ')}:\n${String(result.stderr)}`,
  ).toBeDefined();
}

/** Pids written by the test's scripts (one per line). */
export async function recordedPids(home: CodexHome): Promise<number[]> {
  let text = '';
  try {
    text = await readFile(home.pidFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** True while `pid` runs (a zombie waiting to be reaped counts as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // state is the field after the parenthesised command name
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Asserts that no process the scripts started is still running. A SIGKILLed process can take a moment
 * to be reaped, so this polls for up to 5 s before failing; processes still alive then are killed so
 * that a failing test does not leak them either.
 */
export async function expectNoProcessLeft(home: CodexHome, expectedCount?: number): Promise<void> {
  const pids = await recordedPids(home);
  if (expectedCount !== undefined) expect(pids).toHaveLength(expectedCount);
  const deadline = Date.now() + 5000;
  let alive = pids;
  while (alive.length > 0 && Date.now() < deadline) {
    alive = (await Promise.all(pids.map(async (pid) => ((await isRunning(pid)) ? pid : 0)))).filter(
      Boolean,
    );
    if (alive.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  expect(alive, 'processes left running after codex exited').toEqual([]);
}
