import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  EphemeralAuthStorage,
  enforceLoginRestrictions,
  LoginRestrictionError,
  saveAuthDotJson,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { logoutAllStores, revokeAuthTokens } from '../src/login-actions.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { startTokenAuthority } from './helpers/token-authority.ts';

function chatgptRecord(overrides: Partial<AuthDotJson> = {}): AuthDotJson {
  return {
    OPENAI_API_KEY: null,
    tokens: {
      id_token: chatgptJwt({ accountId: 'org_mine' }),
      access_token: 'access-token',
      refresh_token: 'refresh-token',
      account_id: 'org_mine',
    },
    last_refresh: '2026-04-01T12:00:00.000Z',
    ...overrides,
  };
}

async function restrictionFailure(home: string, record: AuthDotJson): Promise<string> {
  await saveAuthDotJson(home, record, 'file');
  const error = await enforceLoginRestrictions({
    codexHome: home,
    storeMode: 'file',
    forcedChatgptWorkspaceId: 'org_mine',
    env: {},
  }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(LoginRestrictionError);
  expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
  return (error as Error).message;
}

describe('enforceLoginRestrictions edges', () => {
  it('passes when nothing is stored, and when the workspace matches', async () => {
    const empty = await tempDir();
    await expect(
      enforceLoginRestrictions({
        codexHome: empty,
        storeMode: 'file',
        forcedLoginMethod: 'api',
        forcedChatgptWorkspaceId: 'org_mine',
        env: {},
      }),
    ).resolves.toBeUndefined();
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord(), 'file');
    await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'file',
      forcedLoginMethod: 'chatgpt',
      forcedChatgptWorkspaceId: 'org_mine',
      env: {},
    });
    expect(existsSync(path.join(home, 'auth.json'))).toBe(true);
  });

  it('logs out ChatGPT credentials without usable tokens when a workspace is forced', async () => {
    expect(await restrictionFailure(await tempDir(), chatgptRecord({ last_refresh: null }))).toBe(
      'Failed to load ChatGPT credentials while enforcing workspace restrictions: Token data is not available.. Logging out.',
    );
    expect(await restrictionFailure(await tempDir(), chatgptRecord({ tokens: null }))).toBe(
      'Failed to load ChatGPT credentials while enforcing workspace restrictions: Token data is not available.. Logging out.',
    );
  });

  it('logs out credentials whose id token cannot be read', async () => {
    const record = chatgptRecord({
      tokens: { id_token: '', access_token: 'a', refresh_token: 'r', account_id: 'org_mine' },
    });
    expect(await restrictionFailure(await tempDir(), record)).toBe(
      'Failed to load ChatGPT credentials while enforcing workspace restrictions: invalid ID token format. Logging out.',
    );
  });

  it('names both workspaces on a mismatch', async () => {
    const record = chatgptRecord({
      tokens: {
        id_token: chatgptJwt({ accountId: 'org_other' }),
        access_token: 'a',
        refresh_token: 'r',
        account_id: 'org_other',
      },
    });
    expect(await restrictionFailure(await tempDir(), record)).toBe(
      'Login is restricted to workspace org_mine, but current credentials belong to org_other. Logging out.',
    );
  });

  it('reads CODEX_API_KEY from the process environment by default', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord(), 'file');
    const previous = process.env['CODEX_API_KEY'];
    process.env['CODEX_API_KEY'] = 'sk-from-process-env';
    try {
      const error = await enforceLoginRestrictions({
        codexHome: home,
        storeMode: 'file',
        forcedLoginMethod: 'chatgpt',
      }).catch((caught: unknown) => caught as Error);
      expect(error?.message).toBe(
        'ChatGPT login is required, but an API key is currently being used. Logging out.',
      );
    } finally {
      if (previous === undefined) delete process.env['CODEX_API_KEY'];
      else process.env['CODEX_API_KEY'] = previous;
    }
  });
});

describe('enforceLoginRestrictions when the logout fails', () => {
  it('says so after the restriction', async () => {
    const home = await tempDir();
    const value = JSON.stringify({ OPENAI_API_KEY: 'sk-locked-in' });
    const keyring = {
      get: async () => value,
      set: async () => {},
      delete: async (): Promise<boolean> => {
        throw new Error('keyring is locked');
      },
    };
    const error = await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'keyring',
      storage: { keyring },
      forcedLoginMethod: 'chatgpt',
      env: {},
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LoginRestrictionError);
    expect((error as Error).message).toBe(
      'ChatGPT login is required, but an API key is currently being used. Logging out.. Failed to remove auth.json: failed to delete auth from keyring: keyring is locked',
    );
  });
});

describe('logoutAllStores', () => {
  it('in ephemeral mode removes the ephemeral entry only', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord(), 'file');
    expect(await logoutAllStores(home, 'ephemeral')).toBe(false);
    await new EphemeralAuthStorage(home).save(chatgptRecord());
    expect(await logoutAllStores(home, 'ephemeral')).toBe(true);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(true);
    expect(await logoutAllStores(home, 'file')).toBe(true);
    expect(await logoutAllStores(home, 'file')).toBe(false);
    await new EphemeralAuthStorage(home).save(chatgptRecord());
    expect(await logoutAllStores(home, 'file')).toBe(true);
  });
});

describe('revokeAuthTokens', () => {
  it('revokes nothing for API keys, parent-app tokens, missing or empty tokens', async () => {
    const authority = await startTokenAuthority(() => ({ status: 200, body: {} }));
    const env = { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` };
    const empty = { id_token: '', access_token: '', refresh_token: '', account_id: null };
    for (const record of [
      { OPENAI_API_KEY: 'sk-revoke-none' },
      chatgptRecord({ auth_mode: 'chatgptAuthTokens' }),
      chatgptRecord({ tokens: null }),
      chatgptRecord({ tokens: empty }),
    ]) {
      await revokeAuthTokens(record, env);
    }
    expect(authority.requests).toHaveLength(0);

    await revokeAuthTokens(
      chatgptRecord({ tokens: { ...empty, access_token: 'only-access' } }),
      env,
    );
    expect(authority.requests.map((request) => request.body)).toEqual([
      { token: 'only-access', token_type_hint: 'access_token' },
    ]);
  });
});
