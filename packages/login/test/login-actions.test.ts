import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  enforceLoginRestrictions,
  LoginRestrictionError,
  loadAuthDotJson,
  loginWithApiKey,
  saveAuthDotJson,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';

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

describe('loginWithApiKey', () => {
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
