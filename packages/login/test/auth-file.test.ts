import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTempFiles, writeFileAtomic } from '../src/auth-file.ts';
import { tempDir } from './helpers/fixtures.ts';

/** A pid that no process holds: a child that has already exited. */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

async function names(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe('removeStaleTempFiles', () => {
  it('judges each temp file by its pid and age, and leaves other files alone', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'auth.json');
    const now = Date.now();
    const keep = [
      'auth.json',
      `.auth.json.${process.pid}.aaaaaaaaaaaa.tmp`, // this process, fresh
      `.auth.json.${process.ppid}.bbbbbbbbbbbb.tmp`, // another live process, fresh
      `.auth.json.${deadPid()}.cccccccccccc.txt`, // not a temp file
      `.other.json.${deadPid()}.dddddddddddd.tmp`, // another file's temp
      `auth.json.${deadPid()}.eeeeeeeeeeee.tmp`, // no leading dot
    ];
    const remove = [
      `.auth.json.${deadPid()}.ffffffffffff.tmp`, // a dead writer
      '.auth.json.x12.000000000000.tmp', // no pid
    ];
    for (const name of [...keep, ...remove]) await writeFile(path.join(dir, name), 'k');

    await removeStaleTempFiles(file, now);

    expect(await names(dir)).toEqual([...keep].sort());
  });

  it('removes any temp file older than a minute, and keeps one exactly a minute old', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'auth.json');
    const exact = path.join(dir, `.auth.json.${process.pid}.111111111111.tmp`);
    const older = path.join(dir, `.auth.json.${process.ppid}.222222222222.tmp`);
    await writeFile(exact, 'k');
    await writeFile(older, 'k');
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    await utimes(exact, mtime, mtime);
    await utimes(older, mtime, new Date(mtime.getTime() - 1000));

    await removeStaleTempFiles(file, mtime.getTime() + 60_000);

    expect(await names(dir)).toEqual([path.basename(exact)]);
  });

  it('does nothing for a missing directory, and skips what it cannot remove', async () => {
    const dir = await tempDir();
    await expect(
      removeStaleTempFiles(path.join(dir, 'missing', 'auth.json')),
    ).resolves.toBeUndefined();
    const stuck = path.join(dir, `.auth.json.${deadPid()}.333333333333.tmp`);
    await mkdir(stuck);
    const dead = path.join(dir, `.auth.json.${deadPid()}.444444444444.tmp`);
    await writeFile(dead, 'k');
    await removeStaleTempFiles(path.join(dir, 'auth.json'));
    expect(await names(dir)).toEqual([path.basename(stuck)]);
  });
});

describe('writeFileAtomic', () => {
  it('leaves the mode of an existing directory alone', async () => {
    const home = path.join(await tempDir(), 'home');
    await mkdir(home, { mode: 0o755 });
    await writeFileAtomic(path.join(home, 'auth.json'), '{}');
    expect((await stat(home)).mode & 0o777).toBe(0o755);
    expect(await readFile(path.join(home, 'auth.json'), 'utf8')).toBe('{}');
  });

  it('removes its temp file when the rename fails', async () => {
    const home = await tempDir();
    await mkdir(path.join(home, 'auth.json', 'inside'), { recursive: true });
    await expect(writeFileAtomic(path.join(home, 'auth.json'), '{}')).rejects.toMatchObject({
      code: expect.stringMatching(/^E/),
    });
    expect(await names(home)).toEqual(['auth.json']);
  });
});
