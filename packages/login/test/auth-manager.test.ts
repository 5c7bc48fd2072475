import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthCommandError,
  AuthManager,
  authDotJsonFromExternalTokens,
  bearerToken,
  codexAuthFromAuthDotJson,
  createBearerTokenRefresher,
  EphemeralAuthStorage,
  type ExternalAuth,
  type ExternalAuthRefreshContext,
  ExternalAuthTokens,
  enforceLoginRestrictions,
  LoginRestrictionError,
  loadAuthDotJson,
  loginWithApiKey,
  logout,
  parseIdToken,
  RefreshTokenFailedError,
  saveAuthDotJson,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import {
  authConfig,
  chatgptJwt,
  tempDir,
  writeScript,
  writeTokenScript,
} from './helpers/fixtures.ts';

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

class StaticChatgptAuth implements ExternalAuth {
  readonly authMode = 'chatgpt' as const;
  readonly contexts: ExternalAuthRefreshContext[] = [];
  readonly #tokens: ExternalAuthTokens;

  constructor(tokens: ExternalAuthTokens) {
    this.#tokens = tokens;
  }

  async resolve(): Promise<null> {
    return null;
  }

  async refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens> {
    this.contexts.push(context);
    return this.#tokens;
  }
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

  it('login_with_api_key_overwrites_existing_auth_json', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord({ OPENAI_API_KEY: 'sk-old' }), 'file');

    await loginWithApiKey(home, 'sk-new', 'file');
    const stored = await loadAuthDotJson(home, 'file');

    expect(stored).toEqual({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-new' });
    expect(JSON.parse(await readFile(path.join(home, 'auth.json'), 'utf8'))).toEqual({
      auth_mode: 'apikey',
      OPENAI_API_KEY: 'sk-new',
    });
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
    expect(bearerToken(auth)).toBe('a');
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

  it('unauthorized_recovery_reports_mode_and_step_names', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord(), 'file');
    const managed = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false });
    const dir = await tempDir();
    await writeTokenScript(dir, ['t']);
    const external = AuthManager.externalBearerOnly(createBearerTokenRefresher(authConfig(dir)));

    const managedRecovery = managed.unauthorizedRecovery();
    const externalRecovery = external.unauthorizedRecovery();

    expect([managedRecovery.modeName(), managedRecovery.stepName()]).toEqual(['managed', 'reload']);
    expect([externalRecovery.modeName(), externalRecovery.stepName()]).toEqual([
      'external',
      'external_refresh',
    ]);
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
    const failing = manager.authCached();

    await expect(manager.refreshToken()).rejects.toMatchObject({ reason: 'exhausted' });
    const other = codexAuthFromAuthDotJson(
      chatgptRecord({
        tokens: {
          id_token: chatgptJwt({ accountId: 'org_mine' }),
          access_token: 'different',
          refresh_token: 'different',
          account_id: 'org_mine',
        },
      }),
    );

    expect(manager.refreshFailureForAuth(failing)?.reason).toBe('exhausted');
    expect(manager.refreshFailureForAuth(other)).toBeNull();
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

  it('external_bearer_only_auth_manager_uses_cached_provider_token', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['provider-token', 'next-token']);
    const manager = AuthManager.externalBearerOnly(createBearerTokenRefresher(authConfig(dir)));

    const first = await manager.auth();
    const second = await manager.auth();

    expect(first).toEqual({ mode: 'apikey', apiKey: 'provider-token' });
    expect(second).toEqual({ mode: 'apikey', apiKey: 'provider-token' });
    expect(manager.authMode()).toBe('apikey');
    expect(manager.apiAuthMode()).toBe('apikey');
  });

  it('external_bearer_only_auth_manager_disables_auto_refresh_when_interval_is_zero', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['provider-token', 'next-token']);
    const manager = AuthManager.externalBearerOnly(
      createBearerTokenRefresher(authConfig(dir, { refresh_interval_ms: 0 })),
    );

    const first = await manager.auth();
    const second = await manager.auth();

    expect(first).toEqual({ mode: 'apikey', apiKey: 'provider-token' });
    expect(second).toEqual({ mode: 'apikey', apiKey: 'provider-token' });
  });

  it('external_bearer_only_auth_manager_fails_closed_when_command_fails (upstream returns none; improvement 1)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'fail.sh', 'exit 1');
    const manager = AuthManager.externalBearerOnly(
      createBearerTokenRefresher(authConfig(dir, { command: './fail.sh' })),
    );

    await expect(manager.auth()).rejects.toThrow(
      'provider auth command `./fail.sh` exited with status exit status: 1',
    );
    await expect(manager.auth()).rejects.toBeInstanceOf(AuthCommandError);
  });

  it('unauthorized_recovery_uses_external_refresh_for_bearer_manager', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['provider-token', 'refreshed-provider-token']);
    const manager = AuthManager.externalBearerOnly(
      createBearerTokenRefresher(authConfig(dir, { refresh_interval_ms: 0 })),
    );
    await manager.auth();
    const recovery = manager.unauthorizedRecovery();

    expect(recovery.hasNext()).toBe(true);
    expect(recovery.modeName()).toBe('external');
    expect(recovery.stepName()).toBe('external_refresh');
    expect(await recovery.next()).toEqual({ authStateChanged: true });
    expect(await manager.auth()).toEqual({ mode: 'apikey', apiKey: 'refreshed-provider-token' });
    expect(recovery.hasNext()).toBe(false);
    expect(recovery.unavailableReason()).toBe('recovery_exhausted');
  });

  it('passes the rejected token from next() to the external refresh (U5)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second', 'third']);
    const refresher = createBearerTokenRefresher(authConfig(dir, { refresh_interval_ms: 0 }));
    const manager = AuthManager.externalBearerOnly(refresher);
    await manager.auth();
    await refresher.refresh({ reason: 'unauthorized', previousAccountId: null });

    const result = await manager.unauthorizedRecovery().next({ rejectedToken: 'first' });

    expect(result).toEqual({ authStateChanged: true });
    expect(await manager.auth()).toEqual({ mode: 'apikey', apiKey: 'second' });
    expect(refresher.runCount).toBe(2);
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

    await manager.refreshTokenFromAuthority();
    const stored = await new EphemeralAuthStorage(home).load();
    const info = parseIdToken(stored?.tokens?.id_token ?? '');

    expect(manager.authMode()).toBe('chatgpt');
    expect(manager.apiAuthMode()).toBe('chatgptAuthTokens');
    expect(external.contexts).toEqual([
      { reason: 'unauthorized', previousAccountId: 'org_original' },
    ]);
    expect(stored?.tokens?.account_id).toBe('org_refreshed');
    expect(info.chatgptAccountId).toBe('org_refreshed');
    expect(info.chatgptPlanType).toEqual({ kind: 'known', plan: 'business' });
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect(bearerToken(manager.authCached() ?? { mode: 'apikey', apiKey: '' })).toBe(
      refreshedToken,
    );
  });

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

    await expect(manager.refreshTokenFromAuthority()).rejects.toThrow(
      'external auth refresh did not return ChatGPT metadata',
    );
  });
});

describe('enforceLoginRestrictions', () => {
  it('enforce_login_restrictions_logs_out_for_method_mismatch', async () => {
    const home = await tempDir();
    await loginWithApiKey(home, 'sk-test', 'file');

    const error = await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'file',
      forcedLoginMethod: 'chatgpt',
      env: {},
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LoginRestrictionError);
    expect((error as Error).message).toContain('ChatGPT login is required');
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
  });

  it('enforce_login_restrictions_logs_out_for_workspace_mismatch', async () => {
    const home = await tempDir();
    await saveAuthDotJson(
      home,
      chatgptRecord({
        tokens: {
          id_token: chatgptJwt({ accountId: 'org_other' }),
          access_token: 'a',
          refresh_token: 'r',
          account_id: 'org_other',
        },
      }),
      'file',
    );

    const error = await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'file',
      forcedChatgptWorkspaceId: 'org_mine',
      env: {},
    }).catch((caught: unknown) => caught);

    expect((error as Error).message).toBe(
      'Login is restricted to workspace org_mine, but current credentials belong to org_other. Logging out.',
    );
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
  });

  it('enforce_login_restrictions_allows_matching_workspace', async () => {
    const home = await tempDir();
    await saveAuthDotJson(home, chatgptRecord(), 'file');

    await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'file',
      forcedChatgptWorkspaceId: 'org_mine',
      env: {},
    });

    expect(existsSync(path.join(home, 'auth.json'))).toBe(true);
  });

  it('enforce_login_restrictions_allows_api_key_if_login_method_not_set_but_forced_chatgpt_workspace_id_is_set', async () => {
    const home = await tempDir();
    await loginWithApiKey(home, 'sk-test', 'file');

    await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'file',
      forcedChatgptWorkspaceId: 'org_mine',
      env: {},
    });

    expect(existsSync(path.join(home, 'auth.json'))).toBe(true);
  });

  it('enforce_login_restrictions_blocks_env_api_key_when_chatgpt_required', async () => {
    const home = await tempDir();

    const error = await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'file',
      forcedLoginMethod: 'chatgpt',
      env: { CODEX_API_KEY: 'sk-env' },
    }).catch((caught: unknown) => caught);

    expect((error as Error).message).toContain(
      'ChatGPT login is required, but an API key is currently being used.',
    );
  });

  it('reports missing workspace claims and API-key-required mismatches with upstream texts', async () => {
    const home = await tempDir();
    await saveAuthDotJson(
      home,
      chatgptRecord({
        tokens: {
          id_token: chatgptJwt({ accountId: null }),
          access_token: 'a',
          refresh_token: 'r',
          account_id: null,
        },
      }),
      'file',
    );
    const second = await tempDir();
    await saveAuthDotJson(second, chatgptRecord(), 'file');

    const missing = await enforceLoginRestrictions({
      codexHome: home,
      storeMode: 'file',
      forcedChatgptWorkspaceId: 'org_mine',
      env: {},
    }).catch((caught: unknown) => caught as Error);
    const apiRequired = await enforceLoginRestrictions({
      codexHome: second,
      storeMode: 'file',
      forcedLoginMethod: 'api',
      env: {},
    }).catch((caught: unknown) => caught as Error);

    expect(missing?.message).toBe(
      'Login is restricted to workspace org_mine, but current credentials lack a workspace identifier. Logging out.',
    );
    expect(apiRequired?.message).toBe(
      'API key login is required, but ChatGPT is currently being used. Logging out.',
    );
  });
});

describe('UnauthorizedRecovery', () => {
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
});
