import {
  AuthManager,
  ExternalAuthTokens,
  loadAuthDotJson,
  loginWithApiKey,
  saveAuthDotJson,
  TransientAuthError,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

const NOW = Date.parse('2026-04-01T12:00:00Z');

function record(
  access: string,
  lastRefresh: string | null = '2026-04-01T11:00:00.000Z',
): AuthDotJson {
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: chatgptJwt({ accountId: 'account-1' }),
      access_token: access,
      refresh_token: 'refresh-1',
      account_id: 'account-1',
    },
    last_refresh: lastRefresh,
  };
}

async function managerFor(stored: AuthDotJson | null, reply: AuthorityReply, extra = {}) {
  const home = await tempDir();
  if (stored !== null) await saveAuthDotJson(home, stored, 'file');
  const authority = await startTokenAuthority(() => reply);
  const warnings: string[] = [];
  const manager = AuthManager.create({
    codexHome: home,
    enableCodexApiKeyEnv: false,
    env: {
      CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url,
      CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke`,
    },
    now: () => NOW,
    onWarning: (text: string) => warnings.push(text),
    ...extra,
  });
  return { home, authority, manager, warnings };
}

const refreshed: AuthorityReply = {
  status: 200,
  body: { access_token: 'access-new', refresh_token: 'refresh-new' },
};

describe('AuthManager.auth', () => {
  it('warns and keeps the stale auth when its refresh fails', async () => {
    const stale = fakeJwt({ exp: NOW / 1000 + 60 });
    const { manager, warnings } = await managerFor(record(stale), {
      status: 500,
      body: { error: { message: 'backend down' } },
    });

    const auth = await manager.auth();

    expect(auth).toMatchObject({ mode: 'chatgpt', accessToken: stale });
    expect(warnings).toEqual(['Failed to refresh token: 500 Internal Server Error: backend down']);
  });

  it('honours its own refresh window', async () => {
    const access = fakeJwt({ exp: NOW / 1000 + 600 });
    const wide = await managerFor(record(access), refreshed, {
      accessTokenRefreshWindowMs: 600_000,
    });
    expect(await wide.manager.auth()).toMatchObject({ accessToken: 'access-new' });
    const narrow = await managerFor(record(access), refreshed, {
      accessTokenRefreshWindowMs: 599_000,
    });
    expect(await narrow.manager.auth()).toMatchObject({ accessToken: access });
    expect(narrow.authority.requests).toHaveLength(0);
  });

  it('is null when logged out, and API keys are never refreshed', async () => {
    const none = await managerFor(null, refreshed);
    expect(await none.manager.auth()).toBeNull();
    // nothing to refresh for: the account it was asked for is gone
    await expect(none.manager.refreshToken()).rejects.toThrow('signed in to another account');
    const home = await tempDir();
    await loginWithApiKey(home, 'sk-never-refreshed', 'file');
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    await manager.refreshToken();
    expect(await manager.auth()).toEqual({ mode: 'apikey', apiKey: 'sk-never-refreshed' });
    expect(none.authority.requests).toHaveLength(0);
  });

  it('refuses to refresh a record without usable token data', async () => {
    const { manager, authority } = await managerFor(record('opaque-access', null), refreshed);
    await expect(manager.refreshToken()).rejects.toThrow(
      new TransientAuthError('Token data is not available.'),
    );
    expect(authority.requests).toHaveLength(0);
  });

  it('passes the caller’s signal to the token request', async () => {
    const { manager } = await managerFor(record('opaque-access'), 'hang');
    const reason = new Error('cancelled by user');
    const pending = manager.refreshToken({ signal: AbortSignal.abort(reason) });
    await expect(pending).rejects.toBe(reason);
  });
});

describe('AuthManager.reload', () => {
  it('says whether the auth mode changed', async () => {
    const { home, manager } = await managerFor(record('opaque-access'), refreshed);
    await saveAuthDotJson(home, record('other-access'), 'file');
    expect(await manager.reload()).toBe(false);
    expect(manager.authCached()).toMatchObject({ accessToken: 'other-access' });
    await loginWithApiKey(home, 'sk-switched', 'file');
    expect(await manager.reload()).toBe(true);
    expect(await manager.reload()).toBe(false);
  });

  it('warns and logs out when the stored auth cannot be read', async () => {
    const { home, manager, warnings } = await managerFor(record('opaque-access'), refreshed);
    await saveAuthDotJson(home, { OPENAI_API_KEY: 'sk-x' }, 'file');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${home}/auth.json`, '{');
    expect(await manager.reload()).toBe(true);
    expect(manager.authCached()).toBeNull();
    expect(warnings).toEqual([
      `Failed to load auth: ${home}/auth.json is not valid JSON; run \`codex logout\` to remove it, then \`codex login\` to sign in again`,
    ]);
  });
});

describe('AuthManager.logoutWithRevoke', () => {
  it('warns when the revoke fails and still logs out', async () => {
    const { home, manager, warnings, authority } = await managerFor(record('opaque-access'), {
      status: 500,
      body: 'nope',
    });
    expect(await manager.logoutWithRevoke()).toBe(true);
    expect(await loadAuthDotJson(home, 'file')).toBeNull();
    expect(warnings).toEqual([
      'failed to revoke auth tokens during logout: failed to revoke refresh_token: 500 Internal Server Error: nope',
    ]);
    expect(authority.requests).toHaveLength(1);
  });

  it('revokes nothing for an API key or when logged out', async () => {
    const home = await tempDir();
    await loginWithApiKey(home, 'sk-no-revoke', 'file');
    const authority = await startTokenAuthority(() => ({ status: 200, body: {} }));
    const env = { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` };
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false, env });
    expect(await manager.logoutWithRevoke()).toBe(true);
    expect(await manager.logoutWithRevoke()).toBe(false);
    expect(authority.requests).toHaveLength(0);
  });

  it('installs parent-app tokens as the current auth', async () => {
    const manager = AuthManager.create({ codexHome: await tempDir(), enableCodexApiKeyEnv: false });
    const jwt = chatgptJwt({ accountId: 'org-1' });
    await manager.loginWithChatgptAuthTokens(ExternalAuthTokens.chatgpt(jwt, 'org-1'));
    expect(manager.authCached()).toMatchObject({
      mode: 'chatgptAuthTokens',
      accountId: 'org-1',
      accessToken: jwt,
    });
    expect(await manager.logout()).toBe(true);
    expect(manager.authCached()).toBeNull();
  });
});
