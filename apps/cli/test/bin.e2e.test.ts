import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaNode } from 'execa';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Every file Node loads before running bin.js: its static `import … from "./…"` closure. */
async function staticClosure(entry: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    const text = await readFile(file, 'utf8');
    seen.set(file, text.length);
    for (const match of text.matchAll(/(?:^|[;\s}])import\s*[^("'`]*?from\s*["'](\.[^"']+)["']/g)) {
      await visit(path.resolve(path.dirname(file), match[1] ?? ''));
    }
  };
  await visit(entry);
  return seen;
}

describe('codex bin', () => {
  it('prints its version', async () => {
    const result = await execaNode(bin, ['--version']);

    expect(result.stdout).toMatch(/^codex-cli \d+\.\d+\.\d+/);
  });

  it('starts without loading core, login or undici: subcommands are lazy chunks', async () => {
    const files = await staticClosure(bin);

    const totalBytes = [...files.values()].reduce((sum, size) => sum + size, 0);
    expect(totalBytes).toBeLessThan(64 * 1024);
    const bundle = await readFile(bin, 'utf8');
    expect(bundle).toMatch(/import\("\.\/chunks\/exec-[\w-]+\.js"\)/);
  });
});
