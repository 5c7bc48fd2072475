import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setFlagsFromString } from 'node:v8';

// V8's default `--wasm-tiering-budget` before V8 12 (Node 20); V8 12 and later (Node 22+) default to
// the budget below, so there the flag is left alone.
const V8_11_DEFAULT_BUDGET = 1_800_000;
const BASELINE_BUDGET = 13_000_000;

// undici publishes this before it opens a connection, and so before its first connection compiles and
// instantiates the WebAssembly parser (the instance reads the budget when it is created)
const BEFORE_CONNECT_CHANNEL = 'undici:client:beforeConnect';

let armed = false;
let applied = false;

function apply(): void {
  unsubscribe(BEFORE_CONNECT_CHANNEL, apply);
  if (applied) return;
  applied = true;
  setFlagsFromString(`--wasm-tiering-budget=${BASELINE_BUDGET}`);
}

/**
 * Keeps undici's WebAssembly HTTP parser on its baseline code for the life of the process.
 *
 * With Node 20's V8 default budget one streamed turn makes V8 tier the parser's largest function up
 * to optimized code on a background thread (~150 ms of CPU and ~35 MiB), and the process then waits
 * for that compile at exit; V8 12 and later use this larger budget by default. Changing a V8 flag also
 * changes the flag hash that Node's built-in code cache is checked against, so every built-in module
 * loaded afterwards is compiled from source (`http`, `crypto` and `readline` take ~10 ms instead of
 * ~3): the flag is therefore set as late as it can be, when undici is about to open its first
 * connection. By then the command has loaded what it runs before a request: argument parsing, an
 * auth command's `child_process` and `tty`. Call this at the start of `exec` / `app-server`; later
 * calls do nothing.
 */
export function keepWasmParserOnBaseline(): void {
  if (armed || Number.parseInt(process.versions.v8, 10) >= 12) return;
  armed = true;
  subscribe(BEFORE_CONNECT_CHANNEL, apply);
}

/**
 * Puts back the V8 flags {@link keepWasmParserOnBaseline} changed. V8 stamps a code cache with the
 * hash of the flags in force and rejects it under other flags, so bin.ts calls this before it
 * serialises the bundle's code cache at the end of a run: the next run starts with default flags.
 */
export function restoreV8Flags(): void {
  unsubscribe(BEFORE_CONNECT_CHANNEL, apply);
  if (!applied) return;
  applied = false;
  setFlagsFromString(`--wasm-tiering-budget=${V8_11_DEFAULT_BUDGET}`);
}
