// The `codex` command, bundled by scripts/bundle.mjs into dist/bin.cjs (CommonJS, Node built-ins only).
//
// A bare `codex --version` is answered here without reading the rest of the CLI. Everything else runs
// dist/codex.bundle.js, the whole CLI as one script, compiled through node:vm with a V8 code cache kept
// under $CODEX_HOME/cache/v8: with the cache V8 neither parses nor compiles the functions the last run
// of the same subcommand used, which was over half of a `codex exec` turn's own start-up work. Node 20
// has no compile cache (module.enableCompileCache came in 22.1), so this one mechanism serves every
// supported Node. docs/architecture.md, "Start-up cost", has the figures.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Script } from 'node:vm';
import { splitCommandLine } from './subcommand.ts';

// set by scripts/bundle.mjs: the package version, and a digest of dist/codex.bundle.js
declare const CODEX_CLI_VERSION: string;
declare const CODEX_BUNDLE_ID: string;

/** What dist/codex.bundle.js exports (src/main.ts). */
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
// caches of other builds of the CLI are removed once they have not been written for this long
const STALE_CACHE_MS = 7 * 24 * 60 * 60 * 1000;
// a temporary file this old was left by a run that died while writing
const STALE_TEMP_MS = 60 * 1000;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`codex-cli ${CODEX_CLI_VERSION}\n`);
} else {
  runBundle(argv);
}

function runBundle(args: readonly string[]): void {
  // required here, not at the top: a bare `--version` loads neither
  const vm: typeof import('node:vm') = require('node:vm');
  const { pathToFileURL }: typeof import('node:url') = require('node:url');
  const file = path.join(__dirname, BUNDLE_FILE);
  const cacheFile = codeCacheFile(args);
  const cachedData = cacheFile === undefined ? undefined : readIfPresent(cacheFile);
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
    if (cacheMissed && cacheFile !== undefined && !process.exitCode) {
      saveCodeCache(script, cacheFile, bundle);
    }
  });
}

/**
 * `$CODEX_HOME/cache/v8/<bundle id>-<node version>-<arch>-<subcommand>.bin`, or undefined when
 * $CODEX_HOME (default ~/.codex) does not exist: the CLI does not create it for a cache. One file per
 * subcommand, since each compiles different functions. V8 rejects a cache made by another V8 or with
 * other flags, but checks only the length of the source it was made from: the bundle id (a digest of
 * the bundle's text) keeps another build's cache from ever being tried.
 */
function codeCacheFile(args: readonly string[]): string | undefined {
  const { homedir }: typeof import('node:os') = require('node:os');
  const home = process.env['CODEX_HOME'] || path.join(homedir(), '.codex');
  if (!existsSync(home)) return undefined;
  const { command } = splitCommandLine(args);
  const name =
    command === 'e'
      ? 'exec'
      : ['exec', 'login', 'logout', 'app-server'].includes(command ?? '')
        ? command
        : 'other';
  return path.join(
    home,
    'cache',
    'v8',
    `${CODEX_BUNDLE_ID}-${process.version}-${process.arch}-${name}.bin`,
  );
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes the script's code cache (atomically: a private temporary file renamed into place, so a
 * concurrent run reads the old file or the new one), then removes other builds' stale caches.
 * Failing to write costs only the next start, so errors are ignored.
 */
function saveCodeCache(script: Script, file: string, bundle: Bundle): void {
  const dir = path.dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    bundle.restoreV8Flags();
    const data = script.createCachedData();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, data, { mode: 0o600 });
    renameSync(temp, file);
    pruneCodeCaches(dir, Date.now());
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // nothing more to undo: the run itself went through
    }
  }
}

function pruneCodeCaches(dir: string, now: number): void {
  for (const name of readdirSync(dir)) {
    const ageLimit = name.endsWith('.tmp')
      ? STALE_TEMP_MS
      : name.startsWith(`${CODEX_BUNDLE_ID}-`)
        ? undefined
        : STALE_CACHE_MS;
    if (ageLimit === undefined) continue;
    const file = path.join(dir, name);
    try {
      if (now - statSync(file).mtimeMs >= ageLimit) rmSync(file, { force: true });
    } catch {
      // removed by a concurrent run
    }
  }
}
