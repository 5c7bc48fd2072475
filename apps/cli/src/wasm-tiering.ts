import { setFlagsFromString } from 'node:v8';

let applied = false;

/**
 * Keeps undici's WebAssembly HTTP parser on its baseline code for the life of the process.
 *
 * With Node 20's V8 default budget one streamed turn makes V8 tier the parser's largest function up
 * to optimized code on a background thread (~150 ms of CPU and ~35 MiB), and the process then waits
 * for that compile at exit; newer V8 uses this larger budget by default. Changing a V8 flag also
 * changes the flag hash that Node's built-in code cache is checked against, so every built-in module
 * loaded afterwards is compiled from source (~20 ms for a turn's `http`, `net`, `stream`...): call
 * this once the command's modules are loaded (the start of `exec` / `app-server`), before the first
 * request compiles the parser. Later calls do nothing.
 */
export function keepWasmParserOnBaseline(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--wasm-tiering-budget=13000000');
}
