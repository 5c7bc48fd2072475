// The body of the whole `codex` command: dist/codex.bundle.js, which src/bin.ts (dist/bin.cjs) compiles
// with a V8 code cache and calls for every subcommand but `exec` (that one runs src/exec-main.ts).
import { run } from './cli.ts';
import { runProcess } from './process-main.ts';
import { restoreV8Flags as restoreChangedV8Flags } from './wasm-tiering.ts';

// undici's WebAssembly parser is kept on baseline code by `exec` and `app-server` once their modules
// are loaded (wasm-tiering.ts): setting the V8 flag here would cost every later built-in its code cache.

/** Runs the command line in `process.argv` (src/process-main.ts) and sets `process.exitCode`. */
export function main(): Promise<void> {
  return runProcess(run);
}

/** Puts back the V8 flags a command changed; bin.ts calls it before it writes the code cache. */
export function restoreV8Flags(): void {
  restoreChangedV8Flags();
}
