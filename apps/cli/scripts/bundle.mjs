// Bundles the CLI into dist/:
// - bin.cjs (src/bin.ts), the `codex` command: answers a bare `--version`, and runs the bundle below
//   through node:vm with a V8 code cache under $CODEX_HOME;
// - codex.bundle.js (src/main.ts), the whole CLI as one CommonJS function expression (not a module:
//   only bin.cjs loads it), ASCII-only so it can be read as latin1;
// - exec.bundle.js (src/exec-main.ts), the same for `codex exec` alone, which bin.cjs runs for `exec`
//   and `e`: esbuild leaves out what exec never imports (login's sign-in flows, app-server and its
//   schemas), so a turn reads, deserializes and initialises less (-8M instructions; bench/README.md);
// - undici-fetch.cjs, undici's `fetch` for the OAuth calls (login, ChatGPT token refresh): half of
//   undici that a model turn never runs, kept out of the file every command reads;
// - THIRD-PARTY-NOTICES.txt, the licenses of every bundled third-party package, collected from what
//   esbuild put in the bundles (their metafiles; scripts/third-party-notices.mjs).
// Its one runtime dependency is @napi-rs/keyring, a native addon that cannot be bundled (loaded only
// when the keyring is used).
//
// Both bundles are minified: every run reads one and deserializes its code cache, and short names make
// both smaller (1.3 MB -> 0.65 MB of source, 705 -> 635 KB of cache, -12M instructions per `codex exec`;
// whitespace alone changed nothing measurable). Their source maps (<bundle>.map: positions and names, no
// sources) are read only when a `CODEX_DEBUG=1` stack is printed: src/stack-source-map.ts turns each
// frame in a bundle back into `packages/<name>/src/<file>.ts:line:column`. undici-fetch.cjs stays as
// esbuild writes it: a model turn never loads it.
//
// Other processes may be running the CLI while this runs (tests, a second build), so each file is
// written beside its final name and renamed into place, the bundle before the launcher that names it.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { build } from 'esbuild';
import { lazyUndiciHttp2 } from './lazy-http2.mjs';
import { thirdPartyNotices } from './third-party-notices.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const { version, license } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const noticesFile = 'THIRD-PARTY-NOTICES.txt';
// entry point -> file in dist/
const bundles = { 'src/main.ts': 'codex.bundle.js', 'src/exec-main.ts': 'exec.bundle.js' };
const fetchFile = 'undici-fetch.cjs';
// the parameters bin.ts calls the bundle's function with (Node's CommonJS wrapper, plus import.meta.url)
const wrapperParams = 'exports, require, module, __filename, __dirname, __codexImportMetaUrl';

/** @type {import('esbuild').BuildOptions} */
const common = {
  absWorkingDir: root,
  bundle: true,
  write: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20.19',
  conditions: ['@codex/source'],
  sourcemap: false,
  legalComments: 'none',
  minify: false,
  logLevel: 'warning',
  metafile: true,
};

/** Sends the login package's `import … from 'undici'` (its fetch) to dist/undici-fetch.cjs. */
const undiciFetchExternal = {
  name: 'undici-fetch-external',
  /** @param {import('esbuild').PluginBuild} build */
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: `./${fetchFile}`, external: true }));
  },
};

await mkdir(dist, { recursive: true });
const [main, fetchBundle] = await Promise.all([
  build({
    ...common,
    // two self-contained outputs (no shared chunks: each is one script); outdir names the maps'
    // sources relative to dist/ (no file is written: write is false)
    entryPoints: Object.keys(bundles),
    outdir: dist,
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    external: ['@napi-rs/keyring'],
    define: {
      CODEX_CLI_VERSION: JSON.stringify(version),
      'import.meta.url': '__codexImportMetaUrl',
    },
    // esbuild escapes every non-ASCII character outside comments
    charset: 'ascii',
    // `import()` of the keyring becomes require(): a node:vm script has no module loader to import with
    supported: { 'dynamic-import': false },
    plugins: [lazyUndiciHttp2(), undiciFetchExternal],
  }),
  build({
    ...common,
    stdin: {
      contents: "export { fetch } from 'undici';",
      resolveDir: path.join(root, '../../packages/login'),
      sourcefile: 'undici-fetch.js',
    },
    banner: { js: `/*! @codex/cli ${version} | ${license} | bundled packages: ${noticesFile} */` },
    plugins: [lazyUndiciHttp2()],
  }),
]);

const wrapperHead = [
  `/*! @codex/cli ${version} | ${license} | bundled packages: ${noticesFile} | run by bin.cjs, not a module */`,
  `(function (${wrapperParams}) {`,
];
const repoRoot = path.resolve(root, '../..');
/** dist/<name> and its map, from esbuild's output for `entry` (dist/<entry's base name>.js). */
function wrapped(entry, name) {
  const base = path.join(dist, path.basename(entry, '.ts'));
  const output = (suffix) => main.outputFiles.find((file) => file.path === `${base}${suffix}`);
  const text = [...wrapperHead, asciiOnly(output('.js').text), '})', ''].join('\n');
  const map = JSON.parse(output('.js.map').text);
  // the lines put before esbuild's code shift every generated line: one `;` per line in the mappings
  // (asciiOnly's escapes lengthen one line of execa's regexes by a few columns; frames there map nearby)
  map.mappings = `${';'.repeat(wrapperHead.length)}${map.mappings}`;
  // sources relative to the repository (`packages/core/src/…`), which is how a stack frame names them
  const sources = map.sources.map((source) =>
    path.relative(repoRoot, path.resolve(dist, source)).split(path.sep).join('/'),
  );
  // first the bundle it maps, by name and CRC-32 of its text: src/stack-source-map.ts checks that prefix
  // before it parses a map, and uses a map only with its own bundle
  const owned = {
    version: 3,
    file: name,
    x_codex_bundle_crc32: crc32(Buffer.from(text, 'latin1')),
    sources,
    names: map.names,
    mappings: map.mappings,
  };
  return { name, text, map: `${JSON.stringify(owned)}\n` };
}
const outputs = Object.entries(bundles).map(([entry, name]) => wrapped(entry, name));
const digest = createHash('sha256');
for (const { text } of outputs) digest.update(text);
const bundleId = digest.digest('hex').slice(0, 16);
const launcher = await build({
  ...common,
  entryPoints: ['src/bin.ts'],
  metafile: false,
  define: { CODEX_CLI_VERSION: JSON.stringify(version), CODEX_BUNDLE_ID: JSON.stringify(bundleId) },
  banner: { js: '#!/usr/bin/env node' },
});

const notices = await thirdPartyNotices(
  { inputs: { ...main.metafile.inputs, ...fetchBundle.metafile.inputs } },
  root,
);
await place(noticesFile, notices);
await place(fetchFile, fetchBundle.outputFiles[0].text);
for (const { name, text, map } of outputs) {
  await place(`${name}.map`, map);
  await place(name, text);
}
await place('bin.cjs', launcher.outputFiles[0].text, 0o755);
// the files of earlier builds (an ES module entry with lazily imported chunks)
await rm(path.join(dist, 'chunks'), { recursive: true, force: true });

/** Writes dist/<name> through a temporary file, so a running CLI never reads half of it. */
async function place(name, text, mode = 0o644) {
  const temp = path.join(dist, `.${name}.${process.pid}.tmp`);
  await writeFile(temp, text, { mode });
  await rename(temp, path.join(dist, name));
}

/**
 * The bundle in ASCII, so bin.cjs can read it as latin1. esbuild (`charset: 'ascii'`) escapes strings and
 * identifiers but leaves non-ASCII characters in comments and regular expression literals (execa's
 * quoting regex); each becomes its `\uXXXX` escape (UTF-16 code units), which means the same character
 * in both. A tagged template's raw text (`String.raw`) is the one place the two differ.
 */
function asciiOnly(text) {
  // without the u flag the pattern matches UTF-16 code units: an astral character is two escapes
  return text.replace(
    /[\u0080-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
