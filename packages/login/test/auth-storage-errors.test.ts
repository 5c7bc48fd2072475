import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthStorageError,
  AutoAuthStorage,
  createAuthStorage,
  EphemeralAuthStorage,
  FileAuthStorage,
  KEYRING_SERVICE,
  KeyringAuthStorage,
  type KeyringStore,
} from '@codex/login';
import { describe, expect, it } from 'vitest';
import { printable } from '../src/auth-file.ts';
import { computeStoreKey, parseAuthDotJson } from '../src/auth-storage.ts';
import { tempDir } from './helpers/fixtures.ts';

const HINT = 'run `codex logout` to remove it, then `codex login` to sign in again';

/** A keyring whose every call fails with `message`, or answers with what it is given. */
function keyring(
  answers: { get?: string | null; delete?: boolean; fail?: string } = {},
): KeyringStore & { calls: string[] } {
  const calls: string[] = [];
  const answer = <T>(call: string, value: T): Promise<T> => {
    calls.push(call);
    return answers.fail === undefined ? Promise.resolve(value) : Promise.reject(answers.fail);
  };
  return {
    calls,
    get: (service, account) => answer(`get ${service} ${account}`, answers.get ?? null),
    set: (service, account) => answer(`set ${service} ${account}`, undefined),
    delete: (service, account) => answer(`delete ${service} ${account}`, answers.delete ?? false),
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (caught: unknown) => caught as Error,
  );
}

describe('parseAuthDotJson', () => {
  it('names the source and where the value is wrong, without quoting it', () => {
    expect(() => parseAuthDotJson('{', 'src')).toThrow(
      new AuthStorageError(`src is not valid JSON; ${HINT}`),
    );
    expect(() => parseAuthDotJson('{"tokens":{"id_token":1}}', 'src')).toThrow(
      new AuthStorageError(
        `src does not hold Codex credentials (unexpected value at \`tokens.id_token\`); ${HINT}`,
      ),
    );
    expect(() => parseAuthDotJson('[]', 'src')).toThrow(
      new AuthStorageError(`src does not hold Codex credentials (unexpected value); ${HINT}`),
    );
    expect(() => parseAuthDotJson('{', 'a\nb\u007f\u009f\u00a0')).toThrow(
      `a\\x0ab\\x7f\\x9f\u00a0 is not valid JSON`,
    );
  });

  it('escapes exactly the control characters of a source name', () => {
    expect(printable('\u0000\u001f \u007e\u007f\u0080\u009f\u00a0')).toBe(
      '\\x00\\x1f ~\\x7f\\x80\\x9f\u00a0',
    );
  });
});

describe('FileAuthStorage failures', () => {
  it('says which file could not be read, written or removed', async () => {
    const dir = await tempDir();
    const blocker = path.join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const storage = new FileAuthStorage(blocker);
    const file = path.join(blocker, 'auth.json');

    const load = await rejectionOf(storage.load());
    expect(load).toBeInstanceOf(AuthStorageError);
    expect(load.message).toMatch(new RegExp(`^failed to read ${file}: ENOTDIR`));
    expect(() => storage.loadSync()).toThrow(new RegExp(`^failed to read ${file}: ENOTDIR`));
    const save = await rejectionOf(storage.save({ OPENAI_API_KEY: 'sk-blocked-1' }));
    expect(save).toBeInstanceOf(AuthStorageError);
    expect(save.message).toMatch(new RegExp(`^failed to write ${file}: E`));
    expect(save.cause).toBeInstanceOf(Error);

    const home = await tempDir();
    await mkdir(path.join(home, 'auth.json'));
    const remove = await rejectionOf(new FileAuthStorage(home).delete());
    expect(remove).toBeInstanceOf(AuthStorageError);
    expect(remove.message).toMatch(
      new RegExp(`^failed to remove ${path.join(home, 'auth.json')}: E`),
    );
    expect(await new FileAuthStorage(await tempDir()).delete()).toBe(false);
  });

  it('passes its own refusal of a non-regular auth.json through unwrapped', async () => {
    const home = await tempDir();
    const file = path.join(home, 'auth.json');
    await mkdir(file);
    const text = `${file} is not a regular file; remove it, then run \`codex login\` to sign in again`;
    const storage = new FileAuthStorage(home);
    expect((await rejectionOf(storage.load())).message).toBe(text);
    expect(() => storage.loadSync()).toThrow(new AuthStorageError(text));
  });

  it('keeps the OS error as the cause', async () => {
    const dir = await tempDir();
    const blocker = path.join(dir, 'file');
    await writeFile(blocker, 'x');
    const storage = new FileAuthStorage(blocker);
    expect((await rejectionOf(storage.load())).cause).toMatchObject({ code: 'ENOTDIR' });
    let syncError: unknown;
    try {
      storage.loadSync();
    } catch (error) {
      syncError = error;
    }
    expect((syncError as Error).cause).toMatchObject({ code: 'ENOTDIR' });
    const home = await tempDir();
    await mkdir(path.join(home, 'auth.json'));
    const removal = await rejectionOf(new FileAuthStorage(home).delete());
    expect(removal.cause).toMatchObject({ code: expect.stringMatching(/^E/) });
  });

  it('reads nothing from a home without auth.json, synchronously too', async () => {
    const storage = new FileAuthStorage(await tempDir());
    expect(storage.loadSync()).toBeNull();
    expect(await storage.load()).toBeNull();
  });
});

describe('keyring storage failures', () => {
  it('wraps each keyring failure in a storage error naming the step', async () => {
    const home = await tempDir();
    const storage = new KeyringAuthStorage(home, keyring({ fail: 'bus closed' }));
    expect((await rejectionOf(storage.load())).message).toBe(
      'failed to load CLI auth from keyring: bus closed',
    );
    expect((await rejectionOf(storage.save({ OPENAI_API_KEY: 'sk-k-1' }))).message).toBe(
      'failed to write OAuth tokens to keyring: bus closed',
    );
    expect((await rejectionOf(storage.delete())).message).toBe(
      'failed to delete auth from keyring: bus closed',
    );
  });

  it('refuses an entry that is not a record', async () => {
    const storage = new KeyringAuthStorage(await tempDir(), keyring({ get: '{' }));
    const error = await rejectionOf(storage.load());
    expect(error).toBeInstanceOf(AuthStorageError);
    expect(error.message).toBe(
      `failed to deserialize CLI auth from keyring: keyring is not valid JSON; ${HINT}`,
    );
  });

  it('addresses the entry by service and store key, and counts a removed auth.json as removed', async () => {
    const home = await tempDir();
    const store = keyring({ delete: false });
    const storage = new KeyringAuthStorage(home, store);
    expect(await storage.delete()).toBe(false);
    await new FileAuthStorage(home).save({ OPENAI_API_KEY: 'sk-stale-file' });
    expect(await storage.delete()).toBe(true);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect(store.calls).toEqual([
      `delete ${KEYRING_SERVICE} ${computeStoreKey(home)}`,
      `delete ${KEYRING_SERVICE} ${computeStoreKey(home)}`,
    ]);
    expect(KEYRING_SERVICE).toBe('Codex Auth');
  });

  it('fails in keyring mode without a keyring, and auto mode uses auth.json alone', async () => {
    const home = await tempDir();
    const strict = createAuthStorage(home, 'keyring', { keyring: null });
    expect((await rejectionOf(strict.load())).message).toBe(
      'failed to load CLI auth from keyring: no keyring is available on this system',
    );
    expect((await rejectionOf(strict.save({ OPENAI_API_KEY: 'sk-k-2' }))).message).toBe(
      'failed to write OAuth tokens to keyring: no keyring is available on this system',
    );
    expect((await rejectionOf(strict.delete())).message).toBe(
      'failed to delete auth from keyring: no keyring is available on this system',
    );
    const auto = new AutoAuthStorage(home, null);
    await auto.save({ OPENAI_API_KEY: 'sk-auto-file' });
    expect(await auto.delete()).toBe(true);
    expect(await auto.delete()).toBe(false);
  });

  it('warns when auto mode falls back to auth.json on save', async () => {
    const home = await tempDir();
    const warnings: string[] = [];
    const auto = new AutoAuthStorage(home, keyring({ fail: 'locked' }), (text) =>
      warnings.push(text),
    );
    await auto.save({ OPENAI_API_KEY: 'sk-auto-2' });
    expect(warnings).toEqual([
      'failed to save auth to keyring, falling back to file storage: failed to write OAuth tokens to keyring: locked',
    ]);
    expect(await new FileAuthStorage(home).load()).toEqual({ OPENAI_API_KEY: 'sk-auto-2' });
  });
});

describe('store keys', () => {
  it('keys a home by its canonical path: a symlink shares the entry, a missing home keys as given', async () => {
    const home = await tempDir();
    const link = path.join(await tempDir(), 'link');
    await symlink(home, link);
    expect(computeStoreKey(link)).toBe(computeStoreKey(home));
    expect(computeStoreKey(home)).toMatch(/^cli\|[0-9a-f]{16}$/);
    expect(computeStoreKey(path.join(home, 'missing'))).not.toBe(computeStoreKey(home));
    await new EphemeralAuthStorage(link).save({ OPENAI_API_KEY: 'sk-linked' });
    expect(await new EphemeralAuthStorage(home).load()).toEqual({ OPENAI_API_KEY: 'sk-linked' });
    expect(await new EphemeralAuthStorage(home).delete()).toBe(true);
    expect(await new EphemeralAuthStorage(home).delete()).toBe(false);
  });
});
