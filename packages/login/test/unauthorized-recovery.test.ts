import {
  AuthManager,
  ExternalAuthTokens,
  type KeyringStore,
  loginWithApiKey,
  RefreshTokenFailedError,
  saveAuthDotJson,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { chatgptJwt, StaticChatgptAuth, tempDir } from './helpers/fixtures.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

const NOW = Date.parse('2026-04-01T12:00:00Z');

function record({
  access = fakeJwt({ exp: NOW / 1000 + 3600 }),
  refresh = 'refresh-token',
  account = 'account-1',
}: {
  access?: string;
  refresh?: string;
  account?: string;
} = {}): AuthDotJson {
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: chatgptJwt({ accountId: account }),
      access_token: access,
      refresh_token: refresh,
      account_id: account,
    },
    last_refresh: new Date(NOW - 60_000).toISOString(),
  };
}

async function setup(reply: (index: number) => AuthorityReply) {
  const home = await tempDir();
  await saveAuthDotJson(home, record(), 'file');
  const authority = await startTokenAuthority((_request, index) => reply(index));
  const manager = AuthManager.create({
    codexHome: home,
    enableCodexApiKeyEnv: false,
    env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
    now: () => NOW,
  });
  return { home, authority, manager };
}

const newTokens: AuthorityReply = {
  status: 200,
  body: { access_token: 'new-access', refresh_token: 'new-refresh' },
};

/** A keyring with nothing in it: `auto` storage then reads auth.json, but only asynchronously. */
class EmptyKeyring implements KeyringStore {
  readonly saved = new Map<string, string>();

  async get(service: string, account: string): Promise<string | null> {
    return this.saved.get(`${service}/${account}`) ?? null;
  }

  async set(service: string, account: string, value: string): Promise<void> {
    this.saved.set(`${service}/${account}`, value);
  }

  async delete(service: string, account: string): Promise<boolean> {
    return this.saved.delete(`${service}/${account}`);
  }
}

describe('UnauthorizedRecovery', () => {
  it('unauthorized_recovery_reports_mode_and_step_names', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, record(), 'file');
    const managed = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    const external = AuthManager.create({
      codexHome: await tempDir(),
      enableCodexApiKeyEnv: false,
    });
    await external.loginWithChatgptAuthTokens(
      ExternalAuthTokens.chatgpt(chatgptJwt({ accountId: 'org' }), 'org', 'pro'),
    );

    const managedRecovery = managed.unauthorizedRecovery();
    const externalRecovery = external.unauthorizedRecovery();

    expect([managedRecovery.modeName(), managedRecovery.stepName()]).toEqual(['managed', 'reload']);
    expect([externalRecovery.modeName(), externalRecovery.stepName()]).toEqual([
      'external',
      'external_refresh',
    ]);
  });

  it('unauthorized_recovery_requires_chatgpt_auth', async () => {
    const home = await tempDir();
    await loginWithApiKey(home, 'sk-test', 'file');
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    const recovery = manager.unauthorizedRecovery();

    const error = await recovery.next().catch((caught: unknown) => caught);

    expect(recovery.hasNext()).toBe(false);
    expect(recovery.unavailableReason()).toBe('not_chatgpt_auth');
    expect(error).toBeInstanceOf(RefreshTokenFailedError);
    expect(error).toMatchObject({ reason: 'other', message: 'No more recovery steps available.' });
  });

  it('unauthorized_recovery_reloads_then_refreshes_tokens', async () => {
    const { home, authority, manager } = await setup(() => newTokens);
    await saveAuthDotJson(home, record({ access: 'disk-access', refresh: 'disk-refresh' }), 'file');
    const recovery = manager.unauthorizedRecovery();

    const reload = await recovery.next();
    const afterReload = authority.requests.length;
    const refresh = await recovery.next();

    expect(reload).toEqual({ authStateChanged: true });
    expect(afterReload).toBe(0);
    expect(manager.authCached()).toMatchObject({ accessToken: 'new-access' });
    expect(refresh).toEqual({ authStateChanged: true });
    expect(authority.requests.map((request) => request.body)).toEqual([
      expect.objectContaining({ refresh_token: 'disk-refresh' }),
    ]);
    expect(recovery.hasNext()).toBe(false);
  });

  it('unauthorized_recovery_errors_on_account_mismatch', async () => {
    const { home, authority, manager } = await setup(() => newTokens);
    const cached = manager.authCached();
    await saveAuthDotJson(home, record({ account: 'other-account' }), 'file');
    const recovery = manager.unauthorizedRecovery();

    const error = await recovery.next().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RefreshTokenFailedError);
    expect(error).toMatchObject({ reason: 'other' });
    expect(authority.requests).toHaveLength(0);
    expect(manager.authCached()).toEqual(cached);
    expect(recovery.stepName()).toBe('done');
  });

  it('adopts tokens another process rotated before spending the refresh token again (improvement 10)', async () => {
    const { home, authority, manager } = await setup(() => newTokens);
    const recovery = manager.unauthorizedRecovery();
    await recovery.next();
    await saveAuthDotJson(
      home,
      record({ access: 'other-process', refresh: 'other-refresh' }),
      'file',
    );

    await recovery.next();

    expect(authority.requests).toHaveLength(0);
    expect(manager.authCached()).toMatchObject({ accessToken: 'other-process' });
  });

  it('takes its account from the auth in use, even when built before an async store has loaded', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, record(), 'file');
    const authority = await startTokenAuthority(() => newTokens);
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      storeMode: 'auto',
      storage: { keyring: new EmptyKeyring() },
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
      now: () => NOW,
    });
    // a request chain builds its recovery first, then resolves auth
    const recovery = manager.unauthorizedRecovery();
    const cachedAtBuild = manager.authCached();
    const used = await manager.auth();
    // another process rotates the tokens of the same account before the 401 arrives
    await saveAuthDotJson(home, record({ access: 'disk-access', refresh: 'disk-refresh' }), 'file');

    const reload = await recovery.next();
    const afterReload = manager.authCached();
    const refresh = await recovery.next();

    expect(cachedAtBuild).toBeNull();
    expect(used).toMatchObject({ mode: 'chatgpt', accountId: 'account-1' });
    expect(reload).toEqual({ authStateChanged: true });
    expect(afterReload).toMatchObject({ accessToken: 'disk-access' });
    expect(refresh).toEqual({ authStateChanged: true });
    expect(authority.requests.map((request) => request.body)).toEqual([
      expect.objectContaining({ refresh_token: 'disk-refresh' }),
    ]);
    expect(await manager.auth()).toMatchObject({ accessToken: 'new-access' });
    expect(recovery.stepName()).toBe('done');
  });
});

describe('UnauthorizedRecovery with an external source', () => {
  it('rejects an external ChatGPT refresh for another workspace (R20)', async () => {
    const home = await tempDir();
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      forcedChatgptWorkspaceId: 'org_expected',
    });
    await manager.loginWithChatgptAuthTokens(
      ExternalAuthTokens.chatgpt(chatgptJwt({ accountId: 'org_expected' }), 'org_expected'),
    );
    manager.setExternalAuth(
      new StaticChatgptAuth(ExternalAuthTokens.chatgpt(chatgptJwt(), 'org_other')),
    );

    const recovery = manager.unauthorizedRecovery();

    expect(recovery.modeName()).toBe('external');
    await expect(recovery.next()).rejects.toThrow(
      'external auth refresh returned workspace "org_other", expected "org_expected"',
    );
    expect(recovery.stepName()).toBe('external_refresh');
  });

  it('rejects an external ChatGPT refresh without metadata (R19)', async () => {
    const home = await tempDir();
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    await manager.loginWithChatgptAuthTokens(ExternalAuthTokens.chatgpt(chatgptJwt(), 'account-1'));
    manager.setExternalAuth(new StaticChatgptAuth(ExternalAuthTokens.bearerOnly(chatgptJwt())));

    await expect(manager.unauthorizedRecovery().next()).rejects.toThrow(
      'external auth refresh did not return ChatGPT metadata',
    );
  });
});
