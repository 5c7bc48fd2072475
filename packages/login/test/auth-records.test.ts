import {
  AuthStorageError,
  ExternalAuthTokens,
  InvalidTokenError,
  TransientAuthError,
} from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { EphemeralAuthStorage } from '../src/auth-storage.ts';
import {
  accessTokenIsStale,
  authDotJsonFromExternalRefresh,
  authSnapshotKey,
  persistRefreshedTokens,
  sameCredentials,
  TOKEN_REFRESH_INTERVAL_MS,
} from '../src/chatgpt-token-refresh.ts';
import {
  bearerToken,
  codexAuthAccountId,
  codexAuthFromApiKey,
  codexAuthFromAuthDotJson,
} from '../src/codex-auth.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';

const NOW = Date.parse('2026-04-01T12:00:00Z');

function chatgptRecord(overrides: Partial<AuthDotJson> = {}, access = 'access-0'): AuthDotJson {
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: chatgptJwt(),
      access_token: access,
      refresh_token: 'refresh-0',
      account_id: 'account-1',
    },
    last_refresh: new Date(NOW).toISOString(),
    ...overrides,
  };
}

describe('codexAuthFromAuthDotJson', () => {
  it('builds API-key auth, and refuses API-key mode without a key', () => {
    const auth = codexAuthFromAuthDotJson({ OPENAI_API_KEY: 'sk-record-key' });
    expect(auth.mode).toBe('apikey');
    expect(bearerToken(auth).reveal()).toBe('sk-record-key');
    expect(codexAuthAccountId(auth)).toBeNull();
    expect(() => codexAuthFromAuthDotJson({ auth_mode: 'apikey', OPENAI_API_KEY: null })).toThrow(
      new AuthStorageError('API key auth is missing a key.'),
    );
  });

  it('reads ChatGPT tokens, the account and the FedRAMP claim', () => {
    const fedramp = fakeJwt({
      'https://api.openai.com/auth': { chatgpt_account_is_fedramp: true },
    });
    const record = chatgptRecord();
    const auth = codexAuthFromAuthDotJson({
      ...record,
      tokens: { ...(record.tokens ?? ({} as never)), id_token: fedramp },
    });
    if (auth.mode === 'apikey') throw new Error('expected ChatGPT auth');
    expect(auth.isFedramp).toBe(true);
    expect(auth.accountId).toBe('account-1');
    expect(codexAuthAccountId(auth)).toBe('account-1');
    expect(bearerToken(auth).reveal()).toBe('access-0');
    expect(auth.storedSecrets.map((secret) => secret.reveal())).toEqual(['refresh-0', fedramp]);
    expect(codexAuthAccountId(null)).toBeNull();
  });

  it('has no usable token without last_refresh or tokens, and an empty id token is no FedRAMP', () => {
    const noRefresh = codexAuthFromAuthDotJson(chatgptRecord({ last_refresh: null }));
    expect(() => bearerToken(noRefresh)).toThrow(
      new TransientAuthError('Token data is not available.'),
    );
    const noTokens = codexAuthFromAuthDotJson(chatgptRecord({ tokens: null }));
    if (noTokens.mode === 'apikey') throw new Error('expected ChatGPT auth');
    expect(noTokens.storedSecrets).toEqual([]);
    expect(noTokens.accountId).toBeNull();
    expect(noTokens.accessToken.reveal()).toBe('');
    const record = chatgptRecord();
    const emptyId = codexAuthFromAuthDotJson({
      ...record,
      tokens: { ...(record.tokens ?? ({} as never)), id_token: '' },
    });
    expect(emptyId).toMatchObject({ isFedramp: false });
  });
});

describe('credential snapshots', () => {
  it('tells credentials apart by mode, key and record', () => {
    const key = codexAuthFromApiKey('sk-snapshot-1');
    expect(authSnapshotKey(null)).toBeNull();
    expect(authSnapshotKey(key)).toBe('["apikey","sk-snapshot-1"]');
    expect(sameCredentials(key, codexAuthFromApiKey('sk-snapshot-1'))).toBe(true);
    expect(sameCredentials(key, codexAuthFromApiKey('sk-snapshot-2'))).toBe(false);
    expect(sameCredentials(key, null)).toBe(false);
    expect(sameCredentials(null, null)).toBe(true);
    const chatgpt = codexAuthFromAuthDotJson(chatgptRecord());
    expect(authSnapshotKey(chatgpt)).toBe(JSON.stringify(['chatgpt', chatgptRecord()]));
    expect(sameCredentials(chatgpt, codexAuthFromAuthDotJson(chatgptRecord({}, 'access-1')))).toBe(
      false,
    );
  });
});

describe('accessTokenIsStale', () => {
  const window = 5 * 60_000;
  const withAccess = (access: string, lastRefresh: string | null = new Date(NOW).toISOString()) =>
    codexAuthFromAuthDotJson(chatgptRecord({ last_refresh: lastRefresh }, access));

  it('is stale from exp minus the window on', () => {
    const exp = NOW / 1000 + 600;
    expect(accessTokenIsStale(withAccess(fakeJwt({ exp })), NOW + 300_000 - 1, window)).toBe(false);
    expect(accessTokenIsStale(withAccess(fakeJwt({ exp })), NOW + 300_000, window)).toBe(true);
  });

  it('falls back to last_refresh older than 8 days for a token without exp', () => {
    const opaque = withAccess('opaque-access', new Date(NOW).toISOString());
    expect(accessTokenIsStale(opaque, NOW + TOKEN_REFRESH_INTERVAL_MS, window)).toBe(false);
    expect(accessTokenIsStale(opaque, NOW + TOKEN_REFRESH_INTERVAL_MS + 1, window)).toBe(true);
    expect(TOKEN_REFRESH_INTERVAL_MS).toBe(8 * 24 * 3600 * 1000);
    const noExp = withAccess(fakeJwt({ sub: 'x' }), new Date(NOW).toISOString());
    expect(accessTokenIsStale(noExp, NOW + TOKEN_REFRESH_INTERVAL_MS + 1, window)).toBe(true);
    expect(accessTokenIsStale(withAccess('opaque', null), NOW * 2, window)).toBe(false);
  });

  it('never calls API-key or token-less auth stale', () => {
    expect(accessTokenIsStale(codexAuthFromApiKey('sk-stale-1'), NOW * 2, window)).toBe(false);
    const noTokens = codexAuthFromAuthDotJson(chatgptRecord({ tokens: null }));
    expect(accessTokenIsStale(noTokens, NOW * 2, window)).toBe(false);
  });
});

describe('persistRefreshedTokens', () => {
  it('writes the new tokens over the stored ones, keeps the others and stamps last_refresh', async () => {
    const storage = new EphemeralAuthStorage(await tempDir());
    await storage.save(chatgptRecord({ last_refresh: '2026-01-01T00:00:00.000Z' }));
    await persistRefreshedTokens(
      storage,
      { idToken: null, accessToken: 'access-9', refreshToken: null },
      NOW + 1000,
    );
    expect(await storage.load()).toEqual({
      ...chatgptRecord(),
      tokens: { ...chatgptRecord().tokens, access_token: 'access-9' },
      last_refresh: '2026-04-01T12:00:01.000Z',
    });
    const id = chatgptJwt({ accountId: 'account-2' });
    await persistRefreshedTokens(
      storage,
      { idToken: id, accessToken: null, refreshToken: 'refresh-9' },
      NOW,
    );
    expect((await storage.load())?.tokens).toEqual({
      id_token: id,
      access_token: 'access-9',
      refresh_token: 'refresh-9',
      account_id: 'account-1',
    });
  });

  it('refuses an empty store and an id token that is no JWT', async () => {
    const storage = new EphemeralAuthStorage(await tempDir());
    const tokens = { idToken: null, accessToken: 'a', refreshToken: null };
    await expect(persistRefreshedTokens(storage, tokens, NOW)).rejects.toThrow(
      new TransientAuthError('Token data is not available.'),
    );
    await storage.save(chatgptRecord({ tokens: null }));
    await persistRefreshedTokens(storage, tokens, NOW);
    expect((await storage.load())?.tokens).toEqual({
      id_token: '',
      access_token: 'a',
      refresh_token: '',
      account_id: null,
    });
    await expect(
      persistRefreshedTokens(storage, { ...tokens, idToken: 'not-a-jwt' }, NOW),
    ).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('authDotJsonFromExternalRefresh', () => {
  const jwt = chatgptJwt({ accountId: 'ws-1' });

  it('builds the in-memory record of a parent app’s tokens', () => {
    expect(
      authDotJsonFromExternalRefresh(ExternalAuthTokens.chatgpt(jwt, 'ws-1'), null, NOW),
    ).toEqual({
      auth_mode: 'chatgptAuthTokens',
      OPENAI_API_KEY: null,
      tokens: { id_token: jwt, access_token: jwt, refresh_token: '', account_id: 'ws-1' },
      last_refresh: '2026-04-01T12:00:00.000Z',
    });
    expect(
      authDotJsonFromExternalRefresh(ExternalAuthTokens.chatgpt(jwt, 'ws-1'), 'ws-1', NOW).tokens,
    ).toMatchObject({ account_id: 'ws-1' });
  });

  it('refuses tokens without metadata, for another workspace, or that are no JWT', () => {
    expect(() =>
      authDotJsonFromExternalRefresh(ExternalAuthTokens.bearerOnly(jwt), null, NOW),
    ).toThrow(new TransientAuthError('external auth refresh did not return ChatGPT metadata'));
    expect(() =>
      authDotJsonFromExternalRefresh(ExternalAuthTokens.chatgpt(jwt, 'ws-1'), 'ws-2', NOW),
    ).toThrow(
      new TransientAuthError('external auth refresh returned workspace "ws-1", expected "ws-2"'),
    );
    let caught: unknown;
    try {
      authDotJsonFromExternalRefresh(ExternalAuthTokens.chatgpt('opaque-x', 'ws-1'), null, NOW);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TransientAuthError);
    expect((caught as Error).message).toBe('invalid ID token format');
    expect((caught as Error).cause).toBeInstanceOf(InvalidTokenError);
  });
});
