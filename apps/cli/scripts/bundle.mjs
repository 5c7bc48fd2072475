// Bundles the CLI into one ESM file so `codex` starts by loading a single module.
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/bin.ts'],
  outfile: 'dist/bin.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  conditions: ['@codex/source'],
  define: { CODEX_CLI_VERSION: JSON.stringify(version) },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __codexCreateRequire } from 'node:module'; const require = __codexCreateRequire(import.meta.url);",
  },
});
