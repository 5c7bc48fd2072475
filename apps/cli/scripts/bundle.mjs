// Bundles the CLI into dist/bin.js plus lazily imported chunks, so `codex --version` loads one small
// file and each subcommand loads only what it needs. Its one runtime dependency is @napi-rs/keyring,
// a native addon that cannot be bundled (loaded only when the keyring is used).
//
// Not minified and without source maps: a `CODEX_DEBUG=1` stack then points at a readable line of
// dist/, under a `// packages/<name>/src/<file>.ts` comment naming the source, and the gzipped tarball
// stays small (maps with their sources were three times the code). The licenses of every bundled
// third-party package are collected from what esbuild actually loaded into dist/THIRD-PARTY-NOTICES.txt.
//
// Other processes may be running dist/bin.js while this runs (tests, a second build), so the new
// files are built in a staging directory and renamed into place, chunks before bin.js, and old
// chunks are pruned only once they are a minute old.
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import licensePlugin from 'esbuild-plugin-license';
import { lazyUndiciHttp2 } from './lazy-http2.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
// `--prune` (run before packing) drops every chunk the new bin.js does not load, at once
const staleChunkAgeMs = process.argv.includes('--prune') ? 0 : 60_000;
const noticesFile = 'THIRD-PARTY-NOTICES.txt';
// the plugin reads the package being built from the working directory
process.chdir(root);

/** One section per bundled package: name, version, license, where it comes from, and its license text. */
function notices(dependencies) {
  const sections = dependencies
    .filter(({ packageJson }) => !packageJson.name.startsWith('@codex/'))
    .map(({ packageJson, licenseText }) => {
      const source = packageJson.repository?.url ?? packageJson.homepage ?? '';
      const head = `${packageJson.name}@${packageJson.version} (${packageJson.license ?? 'see below'})`;
      const text = licenseText.trim() || `License: ${packageJson.license ?? 'unknown'}`;
      return [head, source, '', text].filter((line, index) => index !== 1 || line).join('\n');
    });
  return `@codex/cli bundles the following third-party packages.\n\n${sections.join(`\n\n${'-'.repeat(72)}\n\n`)}\n`;
}

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
    sourcemap: false,
    legalComments: 'none',
    minify: false,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __codexCreateRequire } from 'node:module'; const require = __codexCreateRequire(import.meta.url);",
    },
    plugins: [
      lazyUndiciHttp2(),
      licensePlugin({
        banner: `/*! <%= pkg.name %> <%= pkg.version %> | <%= pkg.license %> | bundled packages: ${noticesFile} */`,
        thirdParty: { output: { file: noticesFile, template: notices } },
      }),
    ],
  });
  const chunks = path.join(dist, 'chunks');
  await mkdir(chunks, { recursive: true });
  const fresh = new Set(await readdir(path.join(staging, 'chunks')));
  for (const name of fresh) {
    await rename(path.join(staging, 'chunks', name), path.join(chunks, name));
  }
  await rename(path.join(staging, noticesFile), path.join(dist, noticesFile));
  await rm(path.join(dist, 'bin.js.map'), { force: true });
  await rename(path.join(staging, 'bin.js'), path.join(dist, 'bin.js'));
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
