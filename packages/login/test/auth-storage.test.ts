import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthManager,
  AutoAuthStorage,
  createAuthStorage,
  EphemeralAuthStorage,
  FileAuthStorage,
  KEYRING_SERVICE,
  KeyringAuthStorage,
  type KeyringStore,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { computeStoreKey } from '../src/auth-storage.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';

const sample: AuthDotJson = {
  auth_mode: 'chatgpt',
  OPENAI_API_KEY: null,
  tokens: {
    id_token: chatgptJwt(),
    access_token: 'access',
    refresh_token: 'refresh',
    account_id: null,
  },
  last_refresh: '2026-03-31T12:34:56.789012Z',
};

class MemoryKeyring implements KeyringStore {
  readonly entries = new Map<string, string>();
  failing = false;

  async get(service: string, account: string): Promise<string | null> {
    if (this.failing) throw new Error('locked');
    return this.entries.get(`${service}/${account}`) ?? null;
  }

  async set(service: string, account: string, value: string): Promise<void> {
    if (this.failing) throw new Error('locked');
    this.entries.set(`${service}/${account}`, value);
  }

  async delete(service: string, account: string): Promise<boolean> {
    if (this.failing) throw new Error('locked');
    return this.entries.delete(`${service}/${account}`);
  }
}

describe('auth storage', () => {
  it('file_storage_load_returns_auth_dot_json', async () => {
    const home = await tempDir();
    await writeFile(path.join(home, 'auth.json'), JSON.stringify(sample));

    expect(await new FileAuthStorage(home).load()).toEqual(sample);
  });

  it('file_storage_save_persists_auth_dot_json in the exact upstream format, mode 0600', async () => {
    const home = await tempDir();

    await new FileAuthStorage(home).save(sample);
    const text = await readFile(path.join(home, 'auth.json'), 'utf8');

    expect(text).toBe(
      [
        '{',
        '  "auth_mode": "chatgpt",',
        '  "OPENAI_API_KEY": null,',
        '  "tokens": {',
        `    "id_token": "${sample.tokens?.id_token}",`,
        '    "access_token": "access",',
        '    "refresh_token": "refresh",',
        '    "account_id": null',
        '  },',
        '  "last_refresh": "2026-03-31T12:34:56.789012Z"',
        '}',
      ].join('\n'),
    );
    expect((await stat(path.join(home, 'auth.json'))).mode & 0o777).toBe(0o600);
  });

  it('writes auth.json atomically: rename over the old file, no temp file left (improvement 10)', async () => {
    const home = await tempDir();
    const storage = new FileAuthStorage(home);
    await writeFile(path.join(home, 'auth.json'), '{"OPENAI_API_KEY":"sk-old"}', { mode: 0o644 });
    const before = (await stat(path.join(home, 'auth.json'))).ino;

    await storage.save({ OPENAI_API_KEY: 'sk-new' });
    const after = await stat(path.join(home, 'auth.json'));
    const { readdir } = await import('node:fs/promises');

    expect(after.ino).not.toBe(before);
    expect(after.mode & 0o777).toBe(0o600);
    expect(await readdir(home)).toEqual(['auth.json']);
    expect(await storage.load()).toEqual({ OPENAI_API_KEY: 'sk-new' });
  });

  it('rejects a malformed auth.json with a storage error', async () => {
    const home = await tempDir();
    await writeFile(path.join(home, 'auth.json'), '{"tokens": {"id_token": 1}}');

    await expect(new FileAuthStorage(home).load()).rejects.toMatchObject({ code: 'AUTH_STORAGE' });
  });

  it('file_storage_delete_removes_auth_file', async () => {
    const home = await tempDir();
    const storage = new FileAuthStorage(home);
    await storage.save(sample);

    expect(await storage.delete()).toBe(true);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect(await storage.delete()).toBe(false);
  });

  it('ephemeral_storage_save_load_delete_is_in_memory_only', async () => {
    const home = await tempDir();
    const storage = new EphemeralAuthStorage(home);

    await storage.save(sample);
    const shared = await new EphemeralAuthStorage(home).load();

    expect(shared).toEqual(sample);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect(await storage.delete()).toBe(true);
    expect(await storage.load()).toBeNull();
  });

  it('keyring_auth_storage_compute_store_key_for_home_directory', () => {
    expect(computeStoreKey('~/.codex')).toBe('cli|940db7b1d0e4eb40');
  });

  it('keyring_auth_storage_load_returns_deserialized_auth', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    keyring.entries.set(`${KEYRING_SERVICE}/${computeStoreKey(home)}`, JSON.stringify(sample));

    expect(await new KeyringAuthStorage(home, keyring).load()).toEqual(sample);
  });

  it('keyring_auth_storage_save_persists_and_removes_fallback_file', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    await new FileAuthStorage(home).save(sample);

    await new KeyringAuthStorage(home, keyring).save(sample);

    expect(keyring.entries.size).toBe(1);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
  });

  it('keyring_auth_storage_delete_removes_keyring_and_file', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    const storage = new KeyringAuthStorage(home, keyring);
    await storage.save(sample);
    await new FileAuthStorage(home).save(sample);

    expect(await storage.delete()).toBe(true);
    expect(keyring.entries.size).toBe(0);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
  });

  it('auto_auth_storage_load_prefers_keyring_value', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    await new KeyringAuthStorage(home, keyring).save(sample);
    await new FileAuthStorage(home).save({ OPENAI_API_KEY: 'sk-file' });

    expect(await new AutoAuthStorage(home, keyring).load()).toEqual(sample);
  });

  it('auto_auth_storage_load_uses_file_when_keyring_empty', async () => {
    const home = await tempDir();
    await new FileAuthStorage(home).save({ OPENAI_API_KEY: 'sk-file' });

    expect(await new AutoAuthStorage(home, new MemoryKeyring()).load()).toEqual({
      OPENAI_API_KEY: 'sk-file',
    });
  });

  it('auto_auth_storage_load_falls_back_when_keyring_errors', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    keyring.failing = true;
    const warnings: string[] = [];
    await new FileAuthStorage(home).save({ OPENAI_API_KEY: 'sk-file' });

    const loaded = await new AutoAuthStorage(home, keyring, (text) => warnings.push(text)).load();

    expect(loaded).toEqual({ OPENAI_API_KEY: 'sk-file' });
    expect(warnings).toEqual([
      'failed to load CLI auth from keyring, falling back to file storage: failed to load CLI auth from keyring: locked',
    ]);
  });

  it('auto_auth_storage_save_prefers_keyring', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    await new FileAuthStorage(home).save({ OPENAI_API_KEY: 'sk-file' });

    await new AutoAuthStorage(home, keyring).save(sample);

    expect(keyring.entries.size).toBe(1);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
  });

  it('auto_auth_storage_save_falls_back_when_keyring_errors', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    keyring.failing = true;

    await new AutoAuthStorage(home, keyring).save(sample);

    expect(await new FileAuthStorage(home).load()).toEqual(sample);
    expect(keyring.entries.size).toBe(0);
  });

  it('auto_auth_storage_delete_removes_keyring_and_file', async () => {
    const home = await tempDir();
    const keyring = new MemoryKeyring();
    const storage = new AutoAuthStorage(home, keyring);
    await storage.save(sample);
    await new FileAuthStorage(home).save(sample);

    expect(await storage.delete()).toBe(true);
    expect(keyring.entries.size).toBe(0);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
  });

  it('auto falls back to auth.json when no keyring is available', async () => {
    const home = await tempDir();
    const storage = createAuthStorage(home, 'auto', { keyring: null });

    await storage.save({ OPENAI_API_KEY: 'sk-auto' });

    expect(await new FileAuthStorage(home).load()).toEqual({ OPENAI_API_KEY: 'sk-auto' });
    expect(
      AuthManager.create({
        codexHome: home,
        enableCodexApiKeyEnv: false,
        storeMode: 'auto',
        storage: { keyring: null },
      }).authCached(),
    ).toEqual({
      mode: 'apikey',
      apiKey: 'sk-auto',
    });
  });

  it('prefers the ephemeral entry over auth.json when loading (L2)', async () => {
    const home = await tempDir();
    await new FileAuthStorage(home).save({ OPENAI_API_KEY: 'sk-file' });
    await new EphemeralAuthStorage(home).save({ OPENAI_API_KEY: 'sk-memory' });

    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    await new EphemeralAuthStorage(home).delete();

    expect(manager.authCached()).toEqual({ mode: 'apikey', apiKey: 'sk-memory' });
  });
});

// class: a broken credential store is one line naming it and the way out, never its content
describe('FileAuthStorage with a broken auth.json', () => {
  const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
  const full = JSON.stringify({ OPENAI_API_KEY: key, tokens: null });

  it.each([
    ['truncated inside the key', full.slice(0, full.indexOf(key) + 20)],
    ['cut right after the key', full.slice(0, full.indexOf(key) + key.length + 1)],
    ['not JSON at all', `OPENAI_API_KEY=${key}\n`],
    ['raw control bytes', `{"OPENAI_API_KEY":"${key}\u0000\u001b[31m`],
    ['the wrong shape', JSON.stringify({ OPENAI_API_KEY: [key], tokens: key })],
    ['empty', ''],
  ])('reports an auth.json that is %s in one line without quoting it', async (_name, text) => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'auth.json'), text);

    const error = await new FileAuthStorage(dir).load().catch((caught: unknown) => caught);
    const message = (error as Error).message;

    expect(message).toContain(path.join(dir, 'auth.json'));
    expect(message).toContain('run `codex logout` to remove it, then `codex login`');
    expect(message).not.toContain(key.slice(8, 20));
    expect([...message].filter((char) => char.charCodeAt(0) < 0x20)).toEqual([]);
    expect(message.split('\n')).toHaveLength(1);
  });
});
