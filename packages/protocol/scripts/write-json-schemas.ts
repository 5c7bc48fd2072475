// `pnpm --filter @codex/protocol schema`: rewrites schema/*.schema.json from the zod schemas.
// The tests only compare; this is the one place that writes the committed files.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonSchemaFiles } from './json-schema-files.ts';

for (const file of jsonSchemaFiles()) {
  const current = await readFile(file.path, 'utf8').catch(() => null);
  const name = path.basename(file.path);
  if (current === file.text) {
    process.stdout.write(`${name}: up to date\n`);
    continue;
  }
  await writeFile(file.path, file.text);
  process.stdout.write(`${name}: written\n`);
}
