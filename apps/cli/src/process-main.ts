// The process around a command line, shared by both bundles: src/main.ts (dist/codex.bundle.js, the whole
// CLI) and src/exec-main.ts (dist/exec.bundle.js, `codex exec` alone). Sets process.exitCode; leaves at once
// on SIGINT/SIGTERM.
import type { CliIo } from './cli-io.ts';
import { exitCodeForSignal, InterruptedError } from './interrupt.ts';

// Whatever still runs once every abort listener has killed its child and request must not hold the exit.
const EXIT_GRACE_MS = 1000;

/**
 * Runs `run` on the command line in `process.argv` and sets `process.exitCode`. One AbortSignal goes from
 * SIGINT/SIGTERM to every auth command, token request and model request (improvement 13); an interrupted
 * run exits the process with the signal's code instead of resolving.
 */
export async function runProcess(
  run: (argv: readonly string[], io: CliIo) => Promise<number>,
): Promise<void> {
  const controller = new AbortController();
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) exitForSignal(signal);
    controller.abort(new InterruptedError(signal));
    setTimeout(() => exitForSignal(signal), EXIT_GRACE_MS).unref();
  };
  // `on`, not `once`: execa's signal-exit (loaded with login) re-raises the signal when no other listener is left.
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const code = await run(process.argv.slice(2), {
    // a getter: Node builds process.stdin (a stream over the TTY, pipe or file, with the modules behind
    // it) on first use, and most command lines (`codex exec "prompt"`) never read it
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  });
  const reason: unknown = controller.signal.reason;
  if (reason instanceof InterruptedError) {
    // every child was killed by the abort; leave now rather than wait for idle sockets or stdin
    exitForSignal(reason.signal);
  }
  process.exitCode = code;
}

/**
 * Ends an interrupted process with the signal's exit code (130, 143). A thread-pool file request still pending
 * (a config.toml FIFO with no writer, a hung network file system) would keep `process.exit()` waiting for it
 * forever, since libuv joins its pool threads at exit: then the signal itself ends the process, with its
 * default action, which shells report with the same code.
 */
function exitForSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  const pending = process
    .getActiveResourcesInfo()
    .some((type) => type === 'FSReqCallback' || type === 'FSReqPromise');
  if (!pending) process.exit(exitCodeForSignal(signal));
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
