import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadAuthDotJson, parseIdToken, saveAuthDotJson } from '@codex/login';
import type { AuthDotJson } from '@codex/protocol';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { persistLoginTokens } from '../src/oauth-login.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

const fresh = {
  idToken: chatgptJwt({ accountId: 'ws-new' }),
  accessToken: 'new-a',
  refreshToken: 'new-r',
};

function previous(tokens: { access: string; refresh: string }): AuthDotJson {
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: chatgptJwt(),
      access_token: tokens.access,
      refresh_token: tokens.refresh,
      account_id: 'ws-old',
    },
    last_refresh: '2026-01-01T00:00:00.000Z',
  };
}

async function persistOver(
  stored: AuthDotJson | string | null,
  reply: AuthorityReply = { status: 200, body: {} },
) {
  const codexHome = await tempDir();
  if (typeof stored === 'string') await writeFile(path.join(codexHome, 'auth.json'), stored);
  else if (stored !== null) await saveAuthDotJson(codexHome, stored, 'file');
  const authority = await startTokenAuthority(() => reply);
  const warnings: string[] = [];
  await persistLoginTokens(
    {
      codexHome,
      storeMode: 'file',
      env: { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` },
      onWarning: (text) => warnings.push(text),
      now: () => Date.parse('2026-04-01T00:00:00Z'),
    },
    fresh,
    null,
  );
  return { codexHome, authority, warnings, saved: await loadAuthDotJson(codexHome, 'file') };
}

describe('persistLoginTokens', () => {
  it('saves the login with its workspace and time, and revokes the access token of a record without a refresh token', async () => {
    const { authority, saved, warnings } = await persistOver(
      previous({ access: 'old-a', refresh: '' }),
    );
    expect(saved).toEqual({
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: {
        id_token: fresh.idToken,
        access_token: 'new-a',
        refresh_token: 'new-r',
        account_id: 'ws-new',
      },
      last_refresh: '2026-04-01T00:00:00.000Z',
    });
    expect(authority.requests.map((request) => request.body)).toEqual([
      { token: 'old-a', token_type_hint: 'access_token' },
    ]);
    expect(warnings).toEqual([]);
  });

  it('revokes nothing for an API key, a token-less record, or the same refresh token', async () => {
    const apiKey = await persistOver({ OPENAI_API_KEY: 'sk-previous' });
    const empty = await persistOver(previous({ access: '', refresh: '' }));
    const same = await persistOver(previous({ access: 'old-a', refresh: 'new-r' }));
    for (const { authority } of [apiKey, empty, same]) expect(authority.requests).toHaveLength(0);
  });

  it('saves without a workspace when the id token names none', async () => {
    const codexHome = await tempDir();
    const idToken = fakeJwt({ email: 'x@example.com' });
    await persistLoginTokens({ codexHome, storeMode: 'file' }, { ...fresh, idToken }, 'sk-key');
    const saved = await loadAuthDotJson(codexHome, 'file');
    expect(saved?.tokens?.account_id).toBeNull();
    expect(saved?.OPENAI_API_KEY).toBe('sk-key');
    expect(parseIdToken(saved?.tokens?.id_token ?? '').email).toBe('x@example.com');
  });

  it('warns about an unreadable previous login and a failed revoke, and still saves', async () => {
    const unreadable = await persistOver('{');
    expect(unreadable.warnings).toHaveLength(1);
    expect(unreadable.warnings[0]).toMatch(
      /^failed to load previous auth before saving new login: .*auth\.json is not valid JSON/,
    );
    expect(unreadable.saved?.tokens?.refresh_token).toBe('new-r');
    const refused = await persistOver(previous({ access: 'old-a', refresh: 'old-r' }), {
      status: 500,
      body: 'down',
    });
    expect(refused.warnings).toEqual([
      'failed to revoke superseded auth tokens after login: failed to revoke refresh_token: 500 Internal Server Error: down',
    ]);
    expect(refused.saved?.tokens?.refresh_token).toBe('new-r');
  });
});
