#!/usr/bin/env node
import { run } from './cli.ts';

// Ctrl-C stops a running turn cleanly; a second one falls back to Node's default (exit at once)
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));

process.exitCode = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
