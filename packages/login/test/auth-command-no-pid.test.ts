import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const child = path.join(packageDir, 'test', 'helpers', 'run-unstartable-command.ts');

describe('runAuthCommand, command that never started', () => {
  // A spawn that throws leaves execa's stand-in ChildProcess, whose kill() signals an uninitialised pid:
  // seen as kill(0), SIGKILL to the caller's whole process group (the user's shell pipeline, or the
  // mutation run that found this). The helper reports such a kill instead of making it, and runs in a
  // process group of its own in case a kill gets through anyway.
  it('reports the spawn error and kills nothing (improvement 8)', async () => {
    const runner = spawn(
      process.execPath,
      ['--conditions=@codex/source', '--import', 'tsx', child],
      { cwd: packageDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    runner.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    runner.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      runner.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );

    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(stdout).toBe(
      'provider auth command `echo` failed to start: Argument list too long (os error 7)\n',
    );
  });
});
