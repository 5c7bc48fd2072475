import {
  AuthManager,
  ExternalAuthTokens,
  RefreshTokenFailedError,
  saveAuthDotJson,
  TransientAuthError,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { chatgptJwt, StaticChatgptAuth, tempDir } from './helpers/fixtures.ts';
import { startTokenAuthority } from './helpers/token-authority.ts';

const NOW = Date.parse('2026-04-01T12:00:00Z');

function record(account = 'account-1'): AuthDotJson {
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: chatgptJwt({ accountId: account }),
      access_token: fakeJwt({ exp: NOW / 1000 + 3600 }),
      refresh_token: 'refresh-token',
      account_id: account,
    },
    last_refresh: new Date(NOW - 60_000).toISOString(),
  };
}

async function externalManager() {
  const manager = AuthManager.create({ codexHome: await tempDir(), enableCodexApiKeyEnv: false });
  await manager.loginWithChatgptAuthTokens(
    ExternalAuthTokens.chatgpt(chatgptJwt({ accountId: 'org' }), 'org'),
  );
  return manager;
}

describe('UnauthorizedRecovery steps', () => {
  it('reports an unchanged reload, then refreshes, then is exhausted', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, record(), 'file');
    const authority = await startTokenAuthority(() => ({
      status: 200,
      body: { access_token: 'new-access', refresh_token: 'new-refresh' },
    }));
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
      now: () => NOW,
    });
    const recovery = manager.unauthorizedRecovery();
    expect([recovery.hasNext(), recovery.unavailableReason()]).toEqual([true, 'ready']);

    expect(await recovery.next()).toEqual({ authStateChanged: false });
    expect([recovery.stepName(), recovery.unavailableReason()]).toEqual(['refresh_token', 'ready']);
    expect(authority.requests).toHaveLength(0);

    expect(await recovery.next()).toEqual({ authStateChanged: true });
    expect(authority.requests).toHaveLength(1);
    expect([recovery.hasNext(), recovery.stepName(), recovery.unavailableReason()]).toEqual([
      false,
      'done',
      'recovery_exhausted',
    ]);
    const error = await recovery.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RefreshTokenFailedError);
    expect((error as Error).message).toBe('No more recovery steps available.');
    expect(authority.requests).toHaveLength(1);
  });

  it('ends after an account change: nothing left to try', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, record(), 'file');
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    await saveAuthDotJson(home, record('account-2'), 'file');
    const recovery = manager.unauthorizedRecovery();

    await expect(recovery.next()).rejects.toThrow(
      'Your access token could not be refreshed because you have since logged out or signed in to another account. Please sign in again.',
    );
    expect([recovery.hasNext(), recovery.unavailableReason()]).toEqual([
      false,
      'recovery_exhausted',
    ]);
  });

  it('has nothing to do for parent-app tokens without an external source', async () => {
    const manager = await externalManager();
    const recovery = manager.unauthorizedRecovery();
    expect([recovery.modeName(), recovery.hasNext(), recovery.unavailableReason()]).toEqual([
      'external',
      false,
      'no_external_auth',
    ]);
    await expect(recovery.next()).rejects.toThrow('No more recovery steps available.');
    await expect(manager.refreshExternalAuth()).rejects.toThrow(
      new TransientAuthError('external auth is not configured'),
    );
  });

  it('hands the rejected token to the external source once, then is exhausted', async () => {
    const manager = await externalManager();
    const refreshed = chatgptJwt({ accountId: 'org', email: 'next@example.com' });
    const external = new StaticChatgptAuth(ExternalAuthTokens.chatgpt(refreshed, 'org'));
    manager.setExternalAuth(external);
    const recovery = manager.unauthorizedRecovery();

    expect(await recovery.next({ rejectedToken: 'rejected-token-1' })).toEqual({
      authStateChanged: true,
    });
    expect(external.contexts).toEqual([
      { reason: 'unauthorized', previousAccountId: 'org', rejectedToken: 'rejected-token-1' },
    ]);
    expect([recovery.stepName(), recovery.hasNext()]).toEqual(['done', false]);
    expect(manager.authCached()).toMatchObject({ accessToken: refreshed });

    manager.clearExternalAuth();
    expect(manager.unauthorizedRecovery().unavailableReason()).toBe('no_external_auth');
  });

  it('wraps a plain error of the external source as transient, and keeps a Codex error as is', async () => {
    const manager = await externalManager();
    const cause = new Error('bridge went away');
    manager.setExternalAuth({
      authMode: 'chatgpt',
      resolve: async () => null,
      refresh: async () => {
        throw cause;
      },
    });
    const wrapped = await manager.refreshExternalAuth().catch((caught: unknown) => caught);
    expect(wrapped).toBeInstanceOf(TransientAuthError);
    expect(wrapped).toMatchObject({ message: 'bridge went away', cause });

    const own = new RefreshTokenFailedError('revoked', 'gone for good');
    manager.setExternalAuth({
      authMode: 'chatgpt',
      resolve: async () => null,
      refresh: async () => {
        throw own;
      },
    });
    expect(await manager.refreshExternalAuth().catch((caught: unknown) => caught)).toBe(own);
  });
});
