import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthManager,
  loadAuthDotJson,
  RefreshTokenFailedError,
  saveAuthDotJson,
  TransientAuthError,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { CLIENT_ID } from '../src/token-authority.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

const NOW = Date.parse('2026-04-01T12:00:00Z');
const nowSeconds = NOW / 1000;

function record({
  access = fakeJwt({ exp: nowSeconds + 3600 }),
  refresh = 'refresh-token',
  account = 'account-1',
  lastRefresh = new Date(NOW - 60_000).toISOString(),
}: {
  access?: string;
  refresh?: string;
  account?: string;
  lastRefresh?: string;
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
    last_refresh: lastRefresh,
  };
}

async function setup(reply: (index: number) => AuthorityReply, stored: AuthDotJson = record()) {
  const home = await tempDir();
  await saveAuthDotJson(home, stored, 'file');
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

describe('AuthManager token refresh', () => {
  it('refresh_token_succeeds_updates_storage', async () => {
    const { home, authority, manager } = await setup(() => newTokens);
    const before = await loadAuthDotJson(home, 'file');

    await manager.refreshToken();
    const after = await loadAuthDotJson(home, 'file');

    expect(authority.requests).toHaveLength(1);
    expect(authority.requests[0]?.body).toEqual({
      client_id: CLIENT_ID,
      grant_type: 'refresh_token',
      refresh_token: 'refresh-token',
    });
    // that the id token is kept when the response has none is refresh_without_id_token's to prove
    expect(after?.tokens).toMatchObject({
      access_token: 'new-access',
      refresh_token: 'new-refresh',
      account_id: before?.tokens?.account_id,
    });
    expect(after?.last_refresh).toBe(new Date(NOW).toISOString());
    expect(manager.authCached()).toMatchObject({ accessToken: 'new-access' });
  });

  it('refresh_token_refreshes_when_auth_is_unchanged', async () => {
    const { authority, manager } = await setup(() => newTokens);

    await manager.refreshToken();

    expect(authority.requests).toHaveLength(1);
  });

  it('auth_refreshes_when_access_token_is_near_expiry', async () => {
    const { authority, manager } = await setup(
      () => newTokens,
      record({ access: fakeJwt({ exp: nowSeconds + 4 * 60 }) }),
    );

    const auth = await manager.auth();

    expect(authority.requests).toHaveLength(1);
    expect(auth).toMatchObject({ accessToken: 'new-access' });
  });

  it('auth_skips_access_token_outside_refresh_window', async () => {
    const access = fakeJwt({ exp: nowSeconds + 6 * 60 });
    const { authority, manager } = await setup(() => newTokens, record({ access }));

    const auth = await manager.auth();

    expect(authority.requests).toHaveLength(0);
    expect(auth).toMatchObject({ accessToken: access });
  });

  it('refresh_token_skips_refresh_when_auth_changed', async () => {
    const { home, authority, manager } = await setup(() => newTokens);
    const rotated = record({ access: 'disk-access', refresh: 'disk-refresh' });
    await saveAuthDotJson(home, rotated, 'file');

    await manager.refreshToken();

    expect(authority.requests).toHaveLength(0);
    expect(manager.authCached()).toMatchObject({
      accessToken: 'disk-access',
      authDotJson: rotated,
    });
  });

  it('refresh_token_errors_on_account_mismatch', async () => {
    const { home, authority, manager } = await setup(() => newTokens);
    const original = manager.authCached();
    const other = record({ account: 'other-account' });
    await saveAuthDotJson(home, other, 'file');

    const error = await manager.refreshToken().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RefreshTokenFailedError);
    expect(error).toMatchObject({
      reason: 'other',
      message:
        'Your access token could not be refreshed because you have since logged out or signed in to another account. Please sign in again.',
    });
    expect(authority.requests).toHaveLength(0);
    expect(manager.authCached()).toEqual(original);
    expect(await loadAuthDotJson(home, 'file')).toEqual(other);
  });

  it('returns_fresh_tokens_as_is', async () => {
    const access = fakeJwt({ exp: nowSeconds + 3600 });
    const { authority, manager } = await setup(
      () => newTokens,
      record({ access, lastRefresh: new Date(NOW - 9 * 24 * 3600 * 1000).toISOString() }),
    );

    const auth = await manager.auth();

    expect(authority.requests).toHaveLength(0);
    expect(auth).toMatchObject({ accessToken: access });
  });

  it('refreshes_token_when_access_token_is_expired', async () => {
    const { authority, manager } = await setup(
      () => newTokens,
      record({ access: fakeJwt({ exp: nowSeconds - 3600 }) }),
    );

    const auth = await manager.auth();

    expect(authority.requests).toHaveLength(1);
    expect(auth).toMatchObject({ accessToken: 'new-access' });
  });

  it('refreshes an opaque access token when last_refresh is older than 8 days', async () => {
    const { authority, manager } = await setup(
      () => newTokens,
      record({ access: 'opaque', lastRefresh: new Date(NOW - 9 * 24 * 3600 * 1000).toISOString() }),
    );

    await manager.auth();

    expect(authority.requests).toHaveLength(1);
  });

  it('auth_reloads_disk_auth_when_cached_auth_is_stale', async () => {
    const { home, authority, manager } = await setup(
      () => newTokens,
      record({ access: fakeJwt({ exp: nowSeconds - 60 }) }),
    );
    const fresh = fakeJwt({ exp: nowSeconds + 3600 });
    await saveAuthDotJson(home, record({ access: fresh, refresh: 'rotated' }), 'file');

    const auth = await manager.auth();

    expect(authority.requests).toHaveLength(0);
    expect(auth).toMatchObject({ accessToken: fresh });
  });

  it('auth_reloads_disk_auth_without_calling_expired_refresh_token', async () => {
    const { home, authority, manager } = await setup(
      () => ({ status: 401, body: { error: { code: 'refresh_token_expired' } } }),
      record({ access: fakeJwt({ exp: nowSeconds - 60 }) }),
    );
    await saveAuthDotJson(home, record({ refresh: 'rotated' }), 'file');

    await manager.auth();

    expect(authority.requests).toHaveLength(0);
  });

  it('refresh_token_returns_permanent_error_for_expired_refresh_token', async () => {
    const { home, manager } = await setup(() => ({
      status: 401,
      body: { error: { code: 'refresh_token_expired', message: 'expired' } },
    }));
    const before = await readFile(path.join(home, 'auth.json'), 'utf8');
    const cached = manager.authCached();

    const error = await manager.refreshToken().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RefreshTokenFailedError);
    expect(error).toMatchObject({
      reason: 'expired',
      message:
        'Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.',
    });
    expect(await readFile(path.join(home, 'auth.json'), 'utf8')).toBe(before);
    expect(manager.authCached()).toEqual(cached);
  });

  it.each([
    [{ error: { code: 'refresh_token_reused' } }, 'exhausted', 'was already used'],
    [{ error: 'refresh_token_invalidated' }, 'revoked', 'was revoked'],
    [{ code: 'REFRESH_TOKEN_EXPIRED' }, 'expired', 'has expired'],
    [{ error: { code: 'something_else' } }, 'other', 'could not be refreshed. Please log out'],
  ])('classifies a 401 body %j as %s', async (body, reason, text) => {
    const { manager } = await setup(() => ({ status: 401, body }));

    const error = await manager.refreshToken().catch((caught: unknown) => caught);

    expect(error).toMatchObject({ reason });
    expect((error as Error).message).toContain(text);
  });

  it('refresh_token_does_not_retry_after_permanent_failure', async () => {
    const { authority, manager } = await setup(() => ({
      status: 401,
      body: { error: { code: 'refresh_token_reused' } },
    }));

    const first = await manager.refreshToken().catch((caught: unknown) => caught);
    const second = await manager.refreshToken().catch((caught: unknown) => caught);

    expect(first).toMatchObject({ reason: 'exhausted' });
    expect(second).toMatchObject({ reason: 'exhausted' });
    expect(authority.requests).toHaveLength(1);
  });

  it('refresh_token_reloads_changed_auth_after_permanent_failure', async () => {
    const { home, authority, manager } = await setup(() => ({
      status: 401,
      body: { error: { code: 'refresh_token_reused' } },
    }));
    await manager.refreshToken().catch(() => {});
    await saveAuthDotJson(home, record({ access: 'relogged', refresh: 'relogged' }), 'file');

    await manager.refreshToken();

    expect(authority.requests).toHaveLength(1);
    expect(manager.authCached()).toMatchObject({ accessToken: 'relogged' });
  });

  it('refresh_token_returns_transient_error_on_server_failure', async () => {
    const { manager } = await setup(() => ({
      status: 500,
      body: { error: { message: 'backend down' } },
    }));

    const error = await manager.refreshToken().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TransientAuthError);
    expect((error as Error).message).toBe(
      'Failed to refresh token: 500 Internal Server Error: backend down',
    );
  });
});
