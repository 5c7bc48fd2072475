import {
  EphemeralAuthStorage,
  ExternalAuthTokens,
  KEYRING_SERVICE,
  type KeyringStore,
  saveAuthDotJson,
} from '@codex/login';
import type { AuthCredentialsStoreMode, AuthDotJson } from '@codex/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import { computeStoreKey } from '../src/auth-storage.ts';
import { authDotJsonFromExternalTokens } from '../src/codex-auth.ts';
import { type AuthSource, loadAuth, loadAuthSync } from '../src/load-auth.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';

const chatgpt: AuthDotJson = {
  OPENAI_API_KEY: null,
  tokens: {
    id_token: chatgptJwt({ accountId: 'account-1' }),
    access_token: 'access-token',
    refresh_token: 'refresh-token',
    account_id: 'account-1',
  },
  last_refresh: '2026-04-01T12:00:00Z',
};

type Setup = {
  readonly file?: AuthDotJson;
  readonly ephemeral?: AuthDotJson;
  readonly env?: Record<string, string>;
  readonly enableCodexApiKeyEnv?: boolean;
  readonly storeMode?: AuthCredentialsStoreMode;
};

async function source(setup: Setup): Promise<AuthSource> {
  const home = await tempDir();
  if (setup.file !== undefined) {
    await saveAuthDotJson(home, setup.file, 'file');
  }
  if (setup.ephemeral !== undefined) {
    const ephemeral = new EphemeralAuthStorage(home);
    await ephemeral.save(setup.ephemeral);
    onTestFinished(() => ephemeral.delete().then(() => {}));
  }
  return {
    codexHome: home,
    enableCodexApiKeyEnv: setup.enableCodexApiKeyEnv ?? true,
    storeMode: setup.storeMode ?? 'file',
    env: setup.env ?? {},
    storage: { keyring: null }, // no OS keyring: these cases are about precedence, not the keyring
  };
}

const parentAppTokens = authDotJsonFromExternalTokens(
  ExternalAuthTokens.chatgpt(chatgptJwt({ accountId: 'account-2' }), 'account-2'),
  Date.parse('2026-04-01T12:00:00Z'),
);

describe('loadAuth', () => {
  it.each<[string, Setup, object | null]>([
    ['nothing stored', {}, null],
    [
      'CODEX_API_KEY (trimmed) over every store',
      { file: chatgpt, ephemeral: chatgpt, env: { CODEX_API_KEY: '  sk-env  ' } },
      { auth: { mode: 'apikey', apiKey: 'sk-env' }, storageMode: 'file' },
    ],
    [
      'a blank CODEX_API_KEY is ignored',
      { file: { OPENAI_API_KEY: 'sk-file' }, env: { CODEX_API_KEY: '  ' } },
      { auth: { mode: 'apikey', apiKey: 'sk-file' }, storageMode: 'file' },
    ],
    [
      'CODEX_API_KEY when not enabled is ignored',
      {
        file: { OPENAI_API_KEY: 'sk-file' },
        env: { CODEX_API_KEY: 'sk-env' },
        enableCodexApiKeyEnv: false,
      },
      { auth: { mode: 'apikey', apiKey: 'sk-file' }, storageMode: 'file' },
    ],
    [
      'the ephemeral store over auth.json',
      { file: { OPENAI_API_KEY: 'sk-file' }, ephemeral: { OPENAI_API_KEY: 'sk-memory' } },
      { auth: { mode: 'apikey', apiKey: 'sk-memory' }, storageMode: 'ephemeral' },
    ],
    [
      'the ephemeral mode never reads auth.json',
      { file: { OPENAI_API_KEY: 'sk-file' }, storeMode: 'ephemeral' },
      null,
    ],
    [
      'ChatGPT tokens from auth.json',
      { file: chatgpt },
      { auth: { mode: 'chatgpt', accountId: 'account-1' }, storageMode: 'file' },
    ],
    [
      'parent-app tokens found in auth.json count as ephemeral',
      { file: parentAppTokens, storeMode: 'auto' },
      { auth: { mode: 'chatgptAuthTokens', accountId: 'account-2' }, storageMode: 'ephemeral' },
    ],
  ])(
    'applies one precedence when loading with and without waiting: %s',
    async (_name, setup, expected) => {
      const from = await source(setup);

      const loaded = await loadAuth(from);
      const loadedSync = loadAuthSync(from);

      if (expected === null) {
        expect(loaded).toBeNull();
      } else {
        expect(loaded).toMatchObject(expected);
      }
      expect(loadedSync).toEqual(loaded);
    },
  );

  it('reads a keyring only when waiting', async () => {
    const from = await source({ file: { OPENAI_API_KEY: 'sk-file' } });
    const entries = new Map<string, string>();
    const keyring: KeyringStore = {
      get: async (service, account) => entries.get(`${service}/${account}`) ?? null,
      set: async (service, account, value) => {
        entries.set(`${service}/${account}`, value);
      },
      delete: async (service, account) => entries.delete(`${service}/${account}`),
    };
    const keyringSource: AuthSource = { ...from, storeMode: 'keyring', storage: { keyring } };
    await keyring.set(
      KEYRING_SERVICE,
      computeStoreKey(from.codexHome),
      JSON.stringify({ OPENAI_API_KEY: 'sk-keyring' }),
    );

    expect(loadAuthSync(keyringSource)).toBeUndefined();
    expect(loadAuthSync({ ...keyringSource, storeMode: 'auto' })).toBeUndefined();
    expect(await loadAuth(keyringSource)).toEqual({
      auth: { mode: 'apikey', apiKey: 'sk-keyring' },
      storageMode: 'keyring',
    });
  });
});
