// The body of `codex exec` (and `codex e`): dist/exec.bundle.js, which src/bin.ts picks for those
// subcommands. A turn then reads, deserializes and initialises only exec's own modules: not login's
// sign-in flows, app-server or its account schemas (scripts/bundle.mjs; bench/README.md has the figures).
// Everything else on the command line behaves as in the whole CLI (src/cli.ts), `-c` before `exec` included.
import { runExec } from './commands/exec.ts';
import { runProcess } from './process-main.ts';
import { runCommand } from './run-command.ts';
import { splitCommandLine } from './subcommand.ts';
import { restoreV8Flags as restoreChangedV8Flags } from './wasm-tiering.ts';

/** Runs `codex exec` with the arguments in `process.argv` and sets `process.exitCode`. */
export function main(): Promise<void> {
  return runProcess((argv, io) =>
    runCommand(argv, io, (args, commandIo) => {
      const split = splitCommandLine(args);
      return runExec([...split.globals, ...split.rest], commandIo);
    }),
  );
}

/** Puts back the V8 flags exec changed; bin.ts calls it before it writes the code cache. */
export function restoreV8Flags(): void {
  restoreChangedV8Flags();
}
