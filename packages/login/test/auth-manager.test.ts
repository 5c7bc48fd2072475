import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthManager,
  bearerToken,
  EphemeralAuthStorage,
  ExternalAuthTokens,
  loadAuthDotJson,
  loginWithApiKey,
  logout,
  parseIdToken,
  saveAuthDotJson,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { authDotJsonFromExternalTokens } from '../src/codex-auth.ts';
import { chatgptJwt, StaticChatgptAuth, tempDir } from './helpers/fixtures.ts';

function chatgptRecord(overrides: Partial<AuthDotJson> = {}): AuthDotJson {
  return {
    OPENAI_API_KEY: null,
    tokens: {
      id_token: chatgptJwt({ accountId: 'org_mine' }),
      access_token: 'access-token',
      refresh_token: 'refresh-token',
      account_id: 'org_mine',
    },
    last_refresh: new Date().toISOString(),
    ...overrides,
  };
}

describe('AuthManager', () => {
  it('refresh_without_id_token: keeps the stored id_token and updates access and refresh tokens', async () => {
    const { startTokenAuthority } = await import('./helpers/token-authority.ts');
    const home = await tempDir();
    const record = chatgptRecord({
      tokens: {
        id_token: chatgptJwt({ accountId: 'org_mine' }),
        access_token: 'old-access',
        refresh_token: 'old-refresh',
        account_id: 'org_mine',
      },
    });
    await saveAuthDotJson(home, record, 'file');
    const authority = await startTokenAuthority(() => ({
      status: 200,
      body: { access_token: 'new-access', refresh_token: 'new-refresh' },
    }));
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
    });

    await manager.refreshToken();
    const stored = await loadAuthDotJson(home, 'file');

    expect(stored?.tokens?.id_token).toBe(record.tokens?.id_token);
    expect(stored?.tokens?.access_token).toBe('new-access');
    expect(stored?.tokens?.refresh_token).toBe('new-refresh');
  });

  it('missing_auth_json_returns_none', async () => {
    const home = await tempDir();

    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });

    expect(await manager.auth()).toBeNull();
    expect(await loadAuthDotJson(home, 'file')).toBeNull();
  });

  it('pro_account_with_no_api_key_uses_chatgpt_auth', async () => {
    const home = await tempDir();
    const idToken = chatgptJwt({ email: 'user@example.com', plan: 'pro', accountId: null });
    await writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({
        OPENAI_API_KEY: null,
        tokens: { id_token: idToken, access_token: 'a', refresh_token: 'r' },
        last_refresh: '2026-03-31T12:34:56.789012Z',
      }),
    );

    const auth = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false }).authCached();
    if (auth === null || auth.mode === 'apikey') {
      throw new Error('expected ChatGPT auth');
    }
    const info = parseIdToken(auth.authDotJson.tokens?.id_token ?? '');

    expect(auth.mode).toBe('chatgpt');
    expect(auth.accountId).toBeNull();
    expect(bearerToken(auth).reveal()).toBe('a');
    expect(info).toEqual({
      email: 'user@example.com',
      chatgptPlanType: { kind: 'known', plan: 'pro' },
      chatgptUserId: 'user-12345',
      chatgptAccountId: null,
      chatgptAccountIsFedramp: false,
      rawJwt: idToken,
    });
  });

  it('loads_api_key_from_auth_json', async () => {
    const home = await tempDir();
    await writeFile(
      path.join(home, 'auth.json'),
      '{"OPENAI_API_KEY":"sk-test-key","tokens":null,"last_refresh":null}',
    );

    const auth = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false }).authCached();

    expect(auth).toEqual({ mode: 'apikey', apiKey: 'sk-test-key' });
  });

  it('uses CODEX_API_KEY before auth.json when enabled', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord(), 'file');

    const enabled = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: true,
      env: { CODEX_API_KEY: '  sk-env  ' },
    });
    const disabled = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      env: { CODEX_API_KEY: 'sk-env' },
    });

    expect(enabled.authCached()).toEqual({ mode: 'apikey', apiKey: 'sk-env' });
    expect(disabled.authCached()?.mode).toBe('chatgpt');
  });

  it('logout_removes_auth_file', async () => {
    const home = await tempDir();
    await loginWithApiKey(home, 'sk-test', 'file');
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });

    const removed = await manager.logout();

    expect(removed).toBe(true);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect(manager.authCached()).toBeNull();
    expect(await logout(home, 'file')).toBe(false);
  });

  it('refresh_failure_is_scoped_to_the_matching_auth_snapshot', async () => {
    const { startTokenAuthority } = await import('./helpers/token-authority.ts');
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord(), 'file');
    const authority = await startTokenAuthority(() => ({
      status: 401,
      body: { error: { code: 'refresh_token_reused' } },
    }));
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
    });

    await expect(manager.refreshToken()).rejects.toMatchObject({ reason: 'exhausted' });
    // the same snapshot: the recorded failure answers without spending the token again
    await expect(manager.refreshToken()).rejects.toMatchObject({ reason: 'exhausted' });
    const afterSameSnapshot = authority.requests.length;
    await saveAuthDotJson(
      home,
      chatgptRecord({
        tokens: {
          id_token: chatgptJwt({ accountId: 'org_mine' }),
          access_token: 'different',
          refresh_token: 'different',
          account_id: 'org_mine',
        },
      }),
      'file',
    );
    await manager.reload();
    // another snapshot of the same account: the failure does not carry over
    await expect(manager.refreshToken()).rejects.toMatchObject({ reason: 'exhausted' });

    expect(afterSameSnapshot).toBe(1);
    expect(authority.requests.map((request) => request.body)).toEqual([
      expect.objectContaining({ refresh_token: 'refresh-token' }),
      expect.objectContaining({ refresh_token: 'different' }),
    ]);
  });

  it('external_auth_tokens_without_chatgpt_metadata_cannot_seed_chatgpt_auth', async () => {
    const home = await tempDir();
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });

    await expect(
      manager.loginWithChatgptAuthTokens(ExternalAuthTokens.bearerOnly(chatgptJwt())),
    ).rejects.toThrow('external auth tokens are missing ChatGPT metadata');
    expect(() =>
      authDotJsonFromExternalTokens(ExternalAuthTokens.bearerOnly('x'), Date.now()),
    ).toThrow('external auth tokens are missing ChatGPT metadata');
  });

  it('external_chatgpt_auth_manager_refresh_persists_ephemeral_auth', async () => {
    const home = await tempDir();
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    await manager.loginWithChatgptAuthTokens(
      ExternalAuthTokens.chatgpt(chatgptJwt({ accountId: 'org_original' }), 'org_original', 'pro'),
    );
    const refreshedToken = chatgptJwt({ accountId: 'org_refreshed', plan: 'business' });
    const external = new StaticChatgptAuth(
      ExternalAuthTokens.chatgpt(refreshedToken, 'org_refreshed', 'business'),
    );
    manager.setExternalAuth(external);

    await manager.unauthorizedRecovery().next();
    const stored = await new EphemeralAuthStorage(home).load();
    const info = parseIdToken(stored?.tokens?.id_token ?? '');

    expect(manager.authCached()?.mode).toBe('chatgptAuthTokens');
    expect(external.contexts).toEqual([
      { reason: 'unauthorized', previousAccountId: 'org_original' },
    ]);
    expect(stored?.tokens?.account_id).toBe('org_refreshed');
    expect(info.chatgptAccountId).toBe('org_refreshed');
    expect(info.chatgptPlanType).toEqual({ kind: 'known', plan: 'business' });
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    const cached = manager.authCached();
    expect(cached === null ? null : bearerToken(cached).reveal()).toBe(refreshedToken);
  });
});
