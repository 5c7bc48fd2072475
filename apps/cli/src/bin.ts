#!/usr/bin/env node
import { run } from './cli.ts';

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
