import { existsSync } from 'node:fs';
import path from 'node:path';
import { AuthManager, loadAuthDotJson, saveAuthDotJson } from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { withAuthFileLock } from '../src/chatgpt-token-refresh.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { startTokenAuthority } from './helpers/token-authority.ts';

describe('the auth.json lock within one process', () => {
  it('makes a second manager wait for the first refresh and adopt its tokens', async () => {
    const home = await tempDir();
    await saveAuthDotJson(
      home,
      {
        auth_mode: 'chatgpt',
        OPENAI_API_KEY: null,
        tokens: {
          id_token: chatgptJwt({ accountId: 'account-1' }),
          access_token: fakeJwt({ exp: 1 }),
          refresh_token: 'refresh-0',
          account_id: 'account-1',
        },
        last_refresh: '2026-01-01T00:00:00.000Z',
      },
      'file',
    );
    const authority = await startTokenAuthority((request) => {
      const body = request.body as { refresh_token?: string };
      return body.refresh_token === 'refresh-0'
        ? { status: 200, body: { access_token: 'access-1', refresh_token: 'refresh-1' } }
        : { status: 401, body: { error: { code: 'refresh_token_reused' } } };
    });
    const managers = [0, 1].map(() =>
      AuthManager.create({
        codexHome: home,
        enableCodexApiKeyEnv: false,
        env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
      }),
    );

    await Promise.all(managers.map((manager) => manager.refreshToken()));

    expect(authority.requests).toHaveLength(1);
    for (const manager of managers) {
      expect(manager.authCached()).toMatchObject({ accessToken: 'access-1' });
    }
    expect((await loadAuthDotJson(home, 'file'))?.tokens?.refresh_token).toBe('refresh-1');
    expect(existsSync(path.join(home, 'auth.json.lock'))).toBe(false);
  });

  it('holds auth.json.lock while the work runs, and runs at once without a Codex home', async () => {
    const home = await tempDir();
    const warnings: string[] = [];
    const seen = await withAuthFileLock(
      home,
      (text) => warnings.push(text),
      async () => existsSync(path.join(home, 'auth.json.lock')),
    );
    expect(seen).toBe(true);
    expect(existsSync(path.join(home, 'auth.json.lock'))).toBe(false);
    const missing = path.join(home, 'missing');
    expect(
      await withAuthFileLock(
        missing,
        () => {},
        async () => 'ran',
      ),
    ).toBe('ran');
    expect(existsSync(missing)).toBe(false);
    await expect(
      withAuthFileLock(
        home,
        () => {},
        async () => {
          throw new Error('work failed');
        },
      ),
    ).rejects.toThrow('work failed');
    expect(existsSync(path.join(home, 'auth.json.lock'))).toBe(false);
    expect(warnings).toEqual([]);
  });
});

describe('refreshing tokens kept in a keyring', () => {
  it('refreshes under the lock although auth.json does not exist', async () => {
    const home = await tempDir();
    const entries = new Map<string, string>();
    const keyring = {
      get: async (service: string, account: string) => entries.get(`${service}/${account}`) ?? null,
      set: async (service: string, account: string, value: string) => {
        entries.set(`${service}/${account}`, value);
      },
      delete: async (service: string, account: string) => entries.delete(`${service}/${account}`),
    };
    await saveAuthDotJson(
      home,
      {
        auth_mode: 'chatgpt',
        OPENAI_API_KEY: null,
        tokens: {
          id_token: chatgptJwt({ accountId: 'account-1' }),
          access_token: fakeJwt({ exp: 1 }),
          refresh_token: 'refresh-k0',
          account_id: 'account-1',
        },
        last_refresh: '2026-01-01T00:00:00.000Z',
      },
      'keyring',
      { keyring },
    );
    const authority = await startTokenAuthority(() => ({
      status: 200,
      body: { access_token: 'access-k1', refresh_token: 'refresh-k1' },
    }));
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      storeMode: 'keyring',
      storage: { keyring },
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
    });

    expect(await manager.auth()).toMatchObject({ accessToken: 'access-k1' });
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect((await loadAuthDotJson(home, 'keyring', { keyring }))?.tokens?.refresh_token).toBe(
      'refresh-k1',
    );
  });
});
