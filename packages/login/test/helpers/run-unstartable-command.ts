// Run by auth-command-no-pid.test.ts in a process group of its own: runs an auth command whose spawn
// throws (E2BIG), and prints the error and every kill() aimed at a process that never started. Such a
// ChildProcess (execa's stand-in) has a native handle that was never spawned, so its kill() signals
// whatever pid the handle holds: 0 (our own process group) or any other process. Here the native call
// is never made; the attempt is reported instead.
import { ChildProcess } from 'node:child_process';

const nativeKill = ChildProcess.prototype.kill;
ChildProcess.prototype.kill = function kill(this: ChildProcess, signal?: NodeJS.Signals | number) {
  if (this.pid === undefined) {
    process.stdout.write(`kill(${String(signal)}) of a process that never started\n`);
    return false;
  }
  return nativeKill.call(this, signal);
};

const { runAuthCommand } = await import('../../src/auth-command.ts');
try {
  await runAuthCommand({
    command: 'echo',
    args: ['x'.repeat(3 * 1024 * 1024)],
    timeout_ms: 5000,
    refresh_interval_ms: 0,
    cwd: process.cwd(),
  });
  process.stdout.write('no error\n');
} catch (error) {
  process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
}
