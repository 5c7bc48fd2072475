import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomUuid } from '../src/random-uuid.ts';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUuid', () => {
  it('gives version 4 UUIDs (RFC 9562 version and variant bits), all different', () => {
    const ids = Array.from({ length: 1000 }, () => randomUuid());

    expect(ids.filter((id) => !V4.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses the random bits it reads: 122 of 128 bits vary across UUIDs', () => {
    const ids = Array.from({ length: 200 }, () => BigInt(`0x${randomUuid().replaceAll('-', '')}`));
    let varying = 0n;
    for (const id of ids) varying |= id ^ (ids[0] ?? 0n);

    // every bit but the 4 version bits and the 2 variant bits has been seen both ways
    expect(varying.toString(2).replaceAll('0', '').length).toBe(122);
  });

  it('falls back to node:crypto, without waiting, when the source is a FIFO or gives only zeros', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'codex-uuid-'));
    try {
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      // /dev/zero is a character device, like /dev/urandom
      const ids = [randomUuid(fifo), randomUuid('/dev/zero'), randomUuid('/dev/zero')];

      expect(ids.filter((id) => !V4.test(id))).toEqual([]);
      expect(new Set(ids).size).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('falls back to node:crypto when the source is not a character device or cannot be opened', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'codex-uuid-'));
    try {
      // a regular file of zeros in place of /dev/urandom would give the same UUID every time
      const zeros = path.join(dir, 'zeros');
      await writeFile(zeros, Buffer.alloc(64));
      const fromFile = [randomUuid(zeros), randomUuid(zeros)];
      const missing = randomUuid(path.join(dir, 'missing'));

      expect([...fromFile, missing].filter((id) => !V4.test(id))).toEqual([]);
      expect(new Set([...fromFile, missing]).size).toBe(3);
      expect(fromFile).not.toContain('00000000-0000-4000-8000-000000000000');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
