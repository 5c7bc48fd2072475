import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInThisContext } from 'node:vm';
import { crc32 } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sourceMappedStack } from '../src/stack-source-map.ts';

// A real minified bundle with its esbuild map, run the way bin.cjs runs the CLI's (a node:vm script).
const source = [
  'export function outer(): void {',
  '  inner();',
  '}',
  'function inner(): void {',
  "  throw new Error('boom');",
  '}',
  '',
].join('\n');

let dir = '';
let bundle = '';
let stack = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'codex-stack-map-'));
  await writeFile(path.join(dir, 'thrower.ts'), source);
  bundle = path.join(dir, 'out.js');
  const result = await build({
    entryPoints: [path.join(dir, 'thrower.ts')],
    outfile: bundle,
    bundle: true,
    format: 'iife',
    globalName: 'thrower',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    write: true,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  // as scripts/bundle.mjs does: the map starts with the name and the CRC-32 of the bundle it maps
  const { sources, names, mappings } = JSON.parse(await readFile(`${bundle}.map`, 'utf8'));
  await writeFile(
    `${bundle}.map`,
    JSON.stringify({
      version: 3,
      file: 'out.js',
      x_codex_bundle_crc32: crc32(await readFile(bundle)),
      sources,
      names,
      mappings,
    }),
  );
  const code = await readFile(bundle, 'utf8');
  const exports = runInThisContext(`${code};thrower`, { filename: bundle }) as {
    outer(): void;
  };
  try {
    exports.outer();
  } catch (error) {
    stack = (error as Error).stack ?? '';
  }
  expect(stack).toContain(`${bundle}:`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sourceMappedStack', () => {
  it('maps each frame in the bundle to its source file, line and column', () => {
    const mapped = sourceMappedStack(stack, bundle);

    expect(mapped).not.toContain(bundle);
    // V8 places the error at `new Error` (line 5, column 9), and outer's frame at its call (line 2, column 3)
    expect(mapped).toMatch(/ \(thrower\.ts:5:9\)\n/);
    expect(mapped).toMatch(/ \(thrower\.ts:2:3\)\n/);
    expect(mapped.split('\n')[0]).toBe('Error: boom');
  });

  it('leaves a stack unchanged when the bundle has no map beside it', () => {
    const copy = path.join(dir, 'no-map.js');
    const moved = stack.replaceAll(bundle, copy);

    expect(sourceMappedStack(moved, copy)).toBe(moved);
  });

  // class: a map that is not this bundle's own, or not a file that can be read at once, is not used
  it.each([
    ['names another bundle', (map: Record<string, unknown>) => ({ ...map, file: 'other.js' })],
    [
      'was written for another build (another CRC)',
      (map: Record<string, unknown>) => ({
        ...map,
        x_codex_bundle_crc32: Number(map['x_codex_bundle_crc32']) + 1,
      }),
    ],
    ['records no CRC', ({ x_codex_bundle_crc32: _, ...map }: Record<string, unknown>) => map],
  ])('leaves a stack unchanged when the map beside the bundle %s', async (_, change) => {
    const copy = path.join(dir, `copy-${Math.random().toString(36).slice(2)}.js`);
    await writeFile(copy, await readFile(bundle));
    const map = JSON.parse(await readFile(`${bundle}.map`, 'utf8')) as Record<string, unknown>;
    await writeFile(`${copy}.map`, JSON.stringify(change({ ...map, file: path.basename(copy) })));
    const moved = stack.replaceAll(bundle, copy);

    expect(sourceMappedStack(moved, copy)).toBe(moved);
  });

  it('does not parse a file beside the bundle that does not start as its own map', async () => {
    const copy = path.join(dir, 'garbage.js');
    await writeFile(copy, await readFile(bundle));
    // a large file of something else: parsed, it would cost memory and time for nothing
    await writeFile(`${copy}.map`, '['.repeat(1024 * 1024));
    const parse = vi.spyOn(JSON, 'parse');
    const moved = stack.replaceAll(bundle, copy);

    try {
      expect(sourceMappedStack(moved, copy)).toBe(moved);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('leaves a stack unchanged, at once, when the map is a FIFO', async () => {
    const fifo = path.join(dir, 'fifo.js');
    await writeFile(fifo, await readFile(bundle));
    execFileSync('mkfifo', [`${fifo}.map`]);
    const moved = stack.replaceAll(bundle, fifo);

    // a blocking read would wait for a writer that never comes
    expect(sourceMappedStack(moved, fifo)).toBe(moved);
  });

  it('leaves a stack unchanged when the map is not JSON', async () => {
    const broken = path.join(dir, 'broken.js');
    await writeFile(`${broken}.map`, '{ not json');
    const moved = stack.replaceAll(bundle, broken);

    expect(sourceMappedStack(moved, broken)).toBe(moved);
  });

  it('leaves frames outside the bundle, and positions the map does not cover, as they are', () => {
    const other = '    at run (node:internal/modules/run_main:154:5)';
    const beyond = `    at far (${bundle}:99:1)`;

    expect(sourceMappedStack(`Error: x\n${other}\n${beyond}`, bundle)).toBe(
      `Error: x\n${other}\n${beyond}`,
    );
  });
});
