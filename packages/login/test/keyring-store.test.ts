import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { AuthDotJson } from '@codex/protocol';
import {
  fakeJwt,
  type KeyringDaemon,
  keyringDaemonUnavailableReason,
  startKeyringDaemon,
} from '@codex/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthManager } from '../src/auth-manager.ts';
import {
  authFilePath,
  computeStoreKey,
  createAuthStorage,
  KEYRING_SERVICE,
} from '../src/auth-storage.ts';
import { SystemKeyringStore } from '../src/keyring-store.ts';
import { tempDir } from './helpers/fixtures.ts';

// CI installs dbus + gnome-keyring (.ci/run): there a missing daemon is a failure, never a skip.
const unavailable = await keyringDaemonUnavailableReason();
if (unavailable !== null && process.env['CI']) {
  throw new Error(`the keyring tests need a Secret Service in CI: ${unavailable}`);
}

const sample: AuthDotJson = {
  auth_mode: 'chatgpt',
  OPENAI_API_KEY: null,
  tokens: {
    id_token: fakeJwt({ email: 'user@example.com' }),
    access_token: 'keyring-access',
    refresh_token: 'keyring-refresh',
    account_id: 'org-keyring',
  },
  last_refresh: '2026-03-31T12:34:56.789Z',
};

// A worker thread's process.env is its own copy: the native binding (libc getenv) never sees the private bus
// address set below, so these run only on the main thread (vitest's forks pool; Stryker runs threads).
const skipped = unavailable !== null || !isMainThread;

describe.skipIf(skipped)('the OS keyring (Secret Service on a private D-Bus)', () => {
  let daemon: KeyringDaemon;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    daemon = await startKeyringDaemon();
    for (const [name, value] of Object.entries(daemon.env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  }, 90_000);

  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await daemon?.stop();
  });

  it('stores, reads and deletes an entry under upstream service and account names', async () => {
    const store = new SystemKeyringStore();
    const account = computeStoreKey(await tempDir());
    expect(await store.get(KEYRING_SERVICE, account)).toBeNull();
    await store.set(KEYRING_SERVICE, account, 'value-1');
    expect(await store.get(KEYRING_SERVICE, account)).toBe('value-1');
    await store.set(KEYRING_SERVICE, account, 'value-2');
    expect(await store.get(KEYRING_SERVICE, account)).toBe('value-2');
    expect(await store.delete(KEYRING_SERVICE, account)).toBe(true);
    expect(await store.delete(KEYRING_SERVICE, account)).toBe(false);
    expect(await store.get(KEYRING_SERVICE, account)).toBeNull();
  });

  it('keyring mode round-trips auth and removes a stale auth.json', async () => {
    const home = await tempDir();
    await writeFile(authFilePath(home), '{"OPENAI_API_KEY":"sk-stale"}');
    const storage = createAuthStorage(home, 'keyring');
    await storage.save(sample);
    expect(await storage.load()).toEqual(sample);
    await expect(
      import('node:fs/promises').then((fs) => fs.stat(authFilePath(home))),
    ).rejects.toThrow();
    const raw = await new SystemKeyringStore().get(KEYRING_SERVICE, computeStoreKey(home));
    expect(JSON.parse(raw ?? 'null')).toMatchObject({ tokens: { access_token: 'keyring-access' } });

    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      storeMode: 'keyring',
    });
    const auth = await manager.auth();
    expect(auth?.mode).toBe('chatgpt');
    expect(auth?.mode === 'chatgpt' ? auth.accessToken.reveal() : null).toBe('keyring-access');

    expect(await storage.delete()).toBe(true);
    expect(await storage.load()).toBeNull();
  });

  it('auto mode prefers the keyring when it works', async () => {
    const home = await tempDir();
    const storage = createAuthStorage(home, 'auto');
    await storage.save(sample);
    await expect(
      import('node:fs/promises').then((fs) => fs.stat(path.join(home, 'auth.json'))),
    ).rejects.toThrow();
    expect(await createAuthStorage(home, 'keyring').load()).toEqual(sample);
    expect(await storage.delete()).toBe(true);
  });
});
