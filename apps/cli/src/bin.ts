#!/usr/bin/env node
import module from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { run } from './cli.ts';

// Start-up: the subcommand chunks are imported later, inside run(), so these apply to them.
// Node >= 22.1 caches compiled code on disk between runs; a no-op where it is missing (Node 20).
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
// undici parses HTTP with WebAssembly. With Node 20's V8 default budget a single turn makes it
// tier up its large parser function to optimized code on a background thread, and the process
// then waits ~60 ms at exit for that compile. Newer V8 uses this larger budget by default.
setFlagsFromString('--wasm-tiering-budget=13000000');

// Ctrl-C stops a running turn cleanly; a second one exits at once. `on`, not `once`: execa's
// signal-exit (loaded with login) re-raises the signal when no other listener is left.
const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort(new Error('interrupted'));
});

process.exitCode = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
