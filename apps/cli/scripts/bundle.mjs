// Bundles the CLI into dist/bin.js plus lazily imported chunks, so `codex --version` loads one small
// file and each subcommand loads only what it needs. Its one runtime dependency is @napi-rs/keyring,
// a native addon that cannot be bundled (loaded only when the keyring is used).
//
// Other processes may be running dist/bin.js while this runs (tests, a second build), so the new
// files are built in a staging directory and renamed into place, chunks before bin.js, and old
// chunks are pruned only once they are a minute old.
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
const staleChunkAgeMs = 60_000;

// a sibling of dist/, so relative source-map paths stay right after the move
const staging = await mkdtemp(path.join(root, '.bundle-'));
try {
  await build({
    absWorkingDir: root,
    entryPoints: { bin: 'src/bin.ts' },
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
    sourcemap: 'linked',
    legalComments: 'none',
    minify: true,
    keepNames: true,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __codexCreateRequire } from 'node:module'; const require = __codexCreateRequire(import.meta.url);",
    },
  });
  const chunks = path.join(dist, 'chunks');
  await mkdir(chunks, { recursive: true });
  const fresh = new Set(await readdir(path.join(staging, 'chunks')));
  for (const name of fresh) {
    await rename(path.join(staging, 'chunks', name), path.join(chunks, name));
  }
  await rename(path.join(staging, 'bin.js.map'), path.join(dist, 'bin.js.map'));
  await rename(path.join(staging, 'bin.js'), path.join(dist, 'bin.js'));
  const now = Date.now();
  for (const name of await readdir(chunks)) {
    if (fresh.has(name)) continue;
    const file = path.join(chunks, name);
    const modifiedMs = await stat(file).then(
      (info) => info.mtimeMs,
      () => now,
    );
    if (now - modifiedMs > staleChunkAgeMs) await rm(file, { force: true });
  }
} finally {
  await rm(staging, { recursive: true, force: true });
}
