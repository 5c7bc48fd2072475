import { existsSync } from 'node:fs';
import path from 'node:path';
import { AuthManager, ExternalAuthTokens, saveAuthDotJson } from '@codex/login';
import { describe, expect, it } from 'vitest';
import { revokeAuthTokens } from '../src/login-actions.ts';
import { CLIENT_ID, revokeTokenUrl } from '../src/token-authority.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { startTokenAuthority } from './helpers/token-authority.ts';

async function managedHome(): Promise<string> {
  const home = await tempDir();
  await saveAuthDotJson(
    home,
    {
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: {
        id_token: chatgptJwt(),
        access_token: 'access-token',
        refresh_token: 'refresh-token',
        account_id: 'account-1',
      },
      last_refresh: new Date().toISOString(),
    },
    'file',
  );
  return home;
}

describe('logout with revoke', () => {
  it('logout_with_revoke_revokes_refresh_token_then_removes_auth', async () => {
    const home = await managedHome();
    const authority = await startTokenAuthority(() => ({ status: 200, body: {} }));
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
    });

    const removed = await manager.logoutWithRevoke();

    expect(removed).toBe(true);
    expect(authority.requests).toEqual([
      {
        method: 'POST',
        path: '/oauth/revoke',
        body: { token: 'refresh-token', token_type_hint: 'refresh_token', client_id: CLIENT_ID },
      },
    ]);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect(manager.authCached()).toBeNull();
  });

  it('logout_with_revoke_removes_auth_when_revoke_fails', async () => {
    const home = await managedHome();
    const authority = await startTokenAuthority(() => ({
      status: 500,
      body: { error: { message: 'nope' } },
    }));
    const warnings: string[] = [];
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      env: { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` },
      onWarning: (text) => warnings.push(text),
    });

    const removed = await manager.logoutWithRevoke();

    expect(removed).toBe(true);
    expect(existsSync(path.join(home, 'auth.json'))).toBe(false);
    expect(warnings).toEqual([
      'failed to revoke auth tokens during logout: failed to revoke refresh_token: 500 Internal Server Error: nope',
    ]);
  });

  it('does not revoke external ChatGPT tokens and clears the ephemeral store', async () => {
    const home = await tempDir();
    const authority = await startTokenAuthority(() => ({ status: 200, body: {} }));
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
    });
    await manager.loginWithChatgptAuthTokens(ExternalAuthTokens.chatgpt(chatgptJwt(), 'account-1'));

    const removed = await manager.logoutWithRevoke();

    expect(removed).toBe(true);
    expect(authority.requests).toHaveLength(0);
    expect(manager.authCached()).toBeNull();
  });

  it('derives_revoke_url_from_refresh_token_override', () => {
    expect(
      revokeTokenUrl({
        CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://127.0.0.1:1234/oauth/token?unified=true',
      }),
    ).toBe('http://127.0.0.1:1234/oauth/revoke');
    expect(revokeTokenUrl({})).toBe('https://auth.openai.com/oauth/revoke');
  });

  it('revoke_request_times_out', async () => {
    const authority = await startTokenAuthority(() => 'hang');

    const error = await revokeAuthTokens(
      {
        auth_mode: 'chatgpt',
        tokens: { id_token: '', access_token: 'a', refresh_token: '', account_id: null },
      },
      { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` },
      { revokeTimeoutMs: 200 },
    ).catch((caught: unknown) => caught as Error);

    expect(error?.message).toBe('failed to revoke access_token: request timed out after 200 ms');
    expect(authority.requests[0]?.body).toEqual({ token: 'a', token_type_hint: 'access_token' });
  });

  it.each([
    ['{"error":{"message":"bad token"}}', 'bad token'],
    ['{"error":"invalid_request","error_description":"no such token"}', 'no such token'],
    ['plain failure', 'plain failure'],
    ['', 'Unknown error'],
  ])('try_parse_error_message: a revoke failure with body %j says %j', async (body, shown) => {
    const authority = await startTokenAuthority(() => ({ status: 400, body }));

    const error = await revokeAuthTokens(
      {
        auth_mode: 'chatgpt',
        tokens: { id_token: '', access_token: 'a', refresh_token: '', account_id: null },
      },
      { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` },
    ).catch((caught: unknown) => caught as Error);

    expect(error?.message).toBe(`failed to revoke access_token: 400 Bad Request: ${shown}`);
  });

  it('never sends a credential on to a redirect target (the revoke endpoint answers 307)', async () => {
    const target = await startTokenAuthority(() => ({ status: 200, body: {} }));
    const authority = await startTokenAuthority(() => ({
      status: 307,
      body: '',
      headers: { location: `${target.origin}/steal` },
    }));

    const error = await revokeAuthTokens(
      {
        auth_mode: 'chatgpt',
        tokens: {
          id_token: '',
          access_token: 'a',
          refresh_token: 'refresh-secret-1',
          account_id: null,
        },
      },
      { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` },
    ).catch((caught: unknown) => caught as Error);

    expect(error?.message).toContain('answered with a redirect (307 Temporary Redirect)');
    expect(target.requests).toHaveLength(0);
  });
});
