#!/usr/bin/env node
// The `codex` command. `codex --version` alone is answered here, in CommonJS, before Node starts its ES
// module loader, which would cost as much again as everything else `--version` does (bench figure
// `codex_version`). Every other command line, `codex -c key=value --version` included, runs the ES module
// entry next to this file (src/main.ts). CODEX_CLI_VERSION is the package version, set by scripts/bundle.mjs.
'use strict';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`codex-cli ${CODEX_CLI_VERSION}\n`);
} else {
  // Node >= 22.1 caches compiled code on disk between runs (a no-op where it is missing: Node 20)
  require('node:module').enableCompileCache?.();
  import('./main.js');
}
