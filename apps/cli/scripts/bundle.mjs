// Bundles the CLI into dist/bin.cjs (the `codex` command: answers a bare `--version` without loading
// ES modules), dist/main.js (everything else) plus lazily imported chunks, so `codex --version` loads one small
// file and each subcommand loads only what it needs. Its one runtime dependency is @napi-rs/keyring,
// a native addon that cannot be bundled (loaded only when the keyring is used).
//
// Not minified and without source maps: a `CODEX_DEBUG=1` stack then points at a readable line of
// dist/, under a `// packages/<name>/src/<file>.ts` comment naming the source, and the gzipped tarball
// stays small (maps with their sources were three times the code). The licenses of every bundled
// third-party package are collected from what esbuild put in the bundle (its metafile) into
// dist/THIRD-PARTY-NOTICES.txt (scripts/third-party-notices.mjs).
//
// Other processes may be running the CLI while this runs (tests, a second build), so the new
// files are built in a staging directory and renamed into place, chunks before main.js, and old
// chunks are pruned only once they are a minute old.
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { lazyUndiciHttp2 } from './lazy-http2.mjs';
import { thirdPartyNotices } from './third-party-notices.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const { version, license } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
// `--prune` (run before packing) drops every chunk the new main.js does not load, at once
const staleChunkAgeMs = process.argv.includes('--prune') ? 0 : 60_000;
const noticesFile = 'THIRD-PARTY-NOTICES.txt';

// a sibling of dist/, so relative source-map paths stay right after the move
const staging = await mkdtemp(path.join(root, '.bundle-'));
try {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/main.ts' },
    outdir: staging,
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    conditions: ['@codex/source'],
    external: ['@napi-rs/keyring'],
    define: { CODEX_CLI_VERSION: JSON.stringify(version) },
    sourcemap: false,
    legalComments: 'none',
    minify: false,
    logLevel: 'warning',
    metafile: true,
    banner: {
      js: [
        "import { createRequire as __codexCreateRequire } from 'node:module'; const require = __codexCreateRequire(import.meta.url);",
        `/*! @codex/cli ${version} | ${license} | bundled packages: ${noticesFile} */`,
      ].join('\n'),
    },
    plugins: [lazyUndiciHttp2()],
  });
  await writeFile(path.join(staging, noticesFile), await thirdPartyNotices(metafile, root));
  const chunks = path.join(dist, 'chunks');
  await mkdir(chunks, { recursive: true });
  const fresh = new Set(await readdir(path.join(staging, 'chunks')));
  for (const name of fresh) {
    await rename(path.join(staging, 'chunks', name), path.join(chunks, name));
  }
  await rename(path.join(staging, noticesFile), path.join(dist, noticesFile));
  // the launcher: CommonJS, copied with the version written in (esbuild would wrap its runtime
  // `import('./main.js')` in interop helpers)
  const launcher = await readFile(path.join(root, 'src/bin.cjs'), 'utf8');
  await writeFile(
    path.join(staging, 'bin.cjs'),
    launcher.replace(/\$\{CODEX_CLI_VERSION\}/, version),
    { mode: 0o755 },
  );
  // the pre-launcher entry of earlier builds
  await rm(path.join(dist, 'bin.js'), { force: true });
  await rename(path.join(staging, 'main.js'), path.join(dist, 'main.js'));
  await rename(path.join(staging, 'bin.cjs'), path.join(dist, 'bin.cjs'));
  const now = Date.now();
  for (const name of await readdir(chunks)) {
    if (fresh.has(name)) continue;
    const file = path.join(chunks, name);
    const modifiedMs = await stat(file).then(
      (info) => info.mtimeMs,
      () => now,
    );
    if (now - modifiedMs >= staleChunkAgeMs) await rm(file, { force: true });
  }
} finally {
  await rm(staging, { recursive: true, force: true });
}
