import { fileURLToPath } from 'node:url';
import { execaNode } from 'execa';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

describe('codex bin', () => {
  it('prints its version', async () => {
    const result = await execaNode(bin, ['--version']);

    expect(result.stdout).toMatch(/^codex-cli \d+\.\d+\.\d+/);
  });
});
