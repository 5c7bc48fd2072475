import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Creates a temp directory removed by the returned `dispose`. */
export async function makeTempDir(prefix = 'codex-test-'): Promise<{
  readonly dir: string;
  readonly dispose: () => Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const dispose = () => rm(dir, { recursive: true, force: true });
  return { dir, dispose, [Symbol.asyncDispose]: dispose };
}

/** Writes an executable `/bin/sh` script and returns its absolute path. */
export async function writeScript(dir: string, name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

/** A token command like upstream's `print-token.sh` fixture, counting its runs. */
export interface TokenQueueScript {
  /** Absolute path of the script. */
  readonly command: string;
  /** Relative name (`./print-token.sh`), to be resolved against `dir` as the command's cwd. */
  readonly relativeCommand: string;
  readonly dir: string;
  /** How many times the command has run so far. */
  runs(): Promise<number>;
}

/**
 * Writes `print-token.sh`: each run prints the first line of `tokens.txt`, drops it from the file,
 * and appends a line to `runs.log`. With no tokens left it prints nothing (an empty-token error).
 */
export async function writeTokenQueueScript(
  dir: string,
  tokens: readonly string[],
): Promise<TokenQueueScript> {
  await writeFile(path.join(dir, 'tokens.txt'), tokens.map((token) => `${token}\n`).join(''));
  const command = await writeScript(
    dir,
    'print-token.sh',
    [
      'set -e',
      'cd "$(dirname "$0")"',
      'echo run >> runs.log',
      'first=$(head -n 1 tokens.txt)',
      'tail -n +2 tokens.txt > tokens.txt.next',
      'mv tokens.txt.next tokens.txt',
      'printf "%s\\n" "$first"',
    ].join('\n'),
  );
  return {
    command,
    relativeCommand: './print-token.sh',
    dir,
    runs: async () => {
      try {
        return (await readFile(path.join(dir, 'runs.log'), 'utf8')).split('\n').filter(Boolean)
          .length;
      } catch {
        return 0;
      }
    },
  };
}
