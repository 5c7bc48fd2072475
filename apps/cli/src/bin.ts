// The `codex` command, bundled by scripts/bundle.mjs into dist/bin.cjs (CommonJS, Node built-ins only).
//
// A bare `codex --version` is answered here without reading the rest of the CLI. `codex exec` runs
// dist/exec.bundle.js, exec alone; everything else runs dist/codex.bundle.js, the whole CLI. Each is one
// minified script (scripts/bundle.mjs), compiled through node:vm with a V8 code cache kept
// under $CODEX_HOME/cache/v8 (src/code-cache.ts, which says when a cache is trusted): with the cache V8
// neither parses nor compiles the functions the last run of the same subcommand used, which was over half of a `codex exec` turn's own start-up work. Node 20
// has no compile cache (module.enableCompileCache came in 22.1), so this one mechanism serves every
// supported Node. docs/architecture.md, "Start-up cost", has the figures.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { splitCommandLine } from './subcommand.ts';

// set by scripts/bundle.mjs: the package version, and a digest of the bundles
declare const CODEX_CLI_VERSION: string;
declare const CODEX_BUNDLE_ID: string;

/** What each bundle exports (src/main.ts, src/exec-main.ts). */
type Bundle = { main(): Promise<void>; restoreV8Flags(): void };
type BundleWrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
  importMetaUrl: string,
) => void;

const BUNDLE_FILE = 'codex.bundle.js';
const EXEC_BUNDLE_FILE = 'exec.bundle.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`codex-cli ${CODEX_CLI_VERSION}\n`);
} else {
  runBundle(argv);
}

function runBundle(args: readonly string[]): void {
  // required here, not at the top: a bare `--version` loads none of them
  const vm: typeof import('node:vm') = require('node:vm');
  const { pathToFileURL }: typeof import('node:url') = require('node:url');
  const cache: typeof import('./code-cache.ts') = require('./code-cache.ts');
  const { command } = splitCommandLine(args);
  const exec = command === 'exec' || command === 'e';
  const file = path.join(__dirname, exec ? EXEC_BUNDLE_FILE : BUNDLE_FILE);
  const slot = cache.codeCacheSlot(args, { file, buildId: CODEX_BUNDLE_ID }, process.env);
  const cachedData = slot === undefined ? undefined : cache.readCodeCache(slot);
  // The bundle is ASCII (scripts/bundle.mjs escapes the rest), so latin1 reads it exactly and V8 gets a
  // one-byte string without UTF-8 decoding. It is a function expression: no wrapper to concatenate.
  const script = new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  const cacheMissed = cachedData === undefined || script.cachedDataRejected === true;
  const module = { exports: {} };
  const wrapper = script.runInThisContext() as BundleWrapper;
  // this file's own require: the bundle sits beside it, and node:module would start the ES module loader
  wrapper(module.exports, require, module, file, __dirname, pathToFileURL(file).href);
  const bundle = module.exports as Bundle;
  void bundle.main().then(() => {
    // Only a run that went through leaves a cache: V8 writes the functions compiled so far, and a
    // usage error compiles few of them. An interrupted run has already exited.
    if (!cacheMissed || slot === undefined || process.exitCode) return;
    try {
      // V8 stamps the cache with the hash of its flags: put back what the command changed
      bundle.restoreV8Flags();
      cache.writeCodeCache(slot, script.createCachedData());
    } catch {
      // a cache is an optimisation: the run itself went through
    }
  });
}
