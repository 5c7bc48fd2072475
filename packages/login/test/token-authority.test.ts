import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RefreshTokenFailedError, TransientAuthError } from '@codex/login';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_ID,
  postOAuth,
  REVOKE_TOKEN_URL,
  requestTokenRefresh,
  revokeToken,
  revokeTokenUrl,
} from '../src/token-authority.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

async function refreshAgainst(reply: AuthorityReply) {
  const authority = await startTokenAuthority(() => reply);
  const outcome = await requestTokenRefresh('refresh-secret-9', {
    CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url,
  }).then(
    (value) => ({ value, error: null }),
    (error: unknown) => ({ value: null, error: error as Error }),
  );
  return { authority, ...outcome };
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (caught: unknown) => caught as Error,
  );
}

/** A port nothing listens on: a server that was started and closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('requestTokenRefresh', () => {
  it('posts the refresh grant as JSON with Codex headers and reads the new tokens', async () => {
    const { authority, value } = await refreshAgainst({
      status: 200,
      body: { id_token: 'id-1', access_token: 'access-1', refresh_token: 'refresh-1' },
    });
    expect(value).toEqual({ idToken: 'id-1', accessToken: 'access-1', refreshToken: 'refresh-1' });
    expect(authority.requests).toEqual([
      {
        method: 'POST',
        path: '/oauth/token',
        body: {
          client_id: CLIENT_ID,
          grant_type: 'refresh_token',
          refresh_token: 'refresh-secret-9',
        },
      },
    ]);
    expect(authority.headers[0]).toMatchObject({
      'content-type': 'application/json',
      originator: 'codex_cli_rs',
      'user-agent': 'codex-ts',
    });
  });

  it('keeps absent or non-string tokens as null', async () => {
    const { value } = await refreshAgainst({
      status: 201,
      body: { access_token: 'access-2', refresh_token: 7 },
    });
    expect(value).toEqual({ idToken: null, accessToken: 'access-2', refreshToken: null });
  });

  it('refuses an answer that is not a JSON object', async () => {
    const notJson = await refreshAgainst({ status: 200, body: 'not json' });
    expect(notJson.error).toBeInstanceOf(TransientAuthError);
    expect(notJson.error?.message).toMatch(/^Failed to parse token refresh response: /);
    const nullBody = await refreshAgainst({ status: 200, body: 'null' });
    expect(nullBody.error?.message).toBe(
      'Failed to parse token refresh response: expected a JSON object',
    );
    const number = await refreshAgainst({ status: 200, body: '42' });
    expect(number.error?.message).toBe(
      'Failed to parse token refresh response: expected a JSON object',
    );
  });

  it('treats a permanent OAuth code as permanent whatever the status', async () => {
    const grant = await refreshAgainst({ status: 400, body: { error: 'invalid_grant' } });
    expect(grant.error).toBeInstanceOf(RefreshTokenFailedError);
    expect(grant.error).toMatchObject({ reason: 'other' });
    const expired = await refreshAgainst({
      status: 400,
      body: { error: { code: 'Refresh_Token_Expired' } },
    });
    expect(expired.error).toMatchObject({ reason: 'expired' });
    const plain401 = await refreshAgainst({ status: 401, body: '' });
    expect(plain401.error).toBeInstanceOf(RefreshTokenFailedError);
    expect(plain401.error).toMatchObject({ reason: 'other' });
  });

  it('reports other failures as transient, with the status and the body’s message', async () => {
    const teapot = await refreshAgainst({ status: 400, body: { error: 'slow_down' } });
    expect(teapot.error).toBeInstanceOf(TransientAuthError);
    expect(teapot.error?.message).toBe(
      'Failed to refresh token: 400 Bad Request: {"error":"slow_down"}',
    );
    const empty = await refreshAgainst({ status: 503, body: '  ' });
    expect(empty.error?.message).toBe(
      'Failed to refresh token: 503 Service Unavailable: Unknown error',
    );
    const odd = await refreshAgainst({ status: 599, body: 'odd' });
    expect(odd.error?.message).toBe('Failed to refresh token: 599: odd');
  });

  it('never follows a redirect, and says so', async () => {
    for (const status of [300, 302, 399]) {
      const { error } = await refreshAgainst({
        status,
        body: '',
        headers: { location: 'http://127.0.0.1:9/steal' },
      });
      expect(error).toBeInstanceOf(TransientAuthError);
      expect(error?.message).toMatch(
        new RegExp(
          `^Failed to refresh token: http://127\\.0\\.0\\.1:\\d+ answered with a redirect \\(${status}( [A-Za-z ]+)?\\); credentials are never sent to another location$`,
        ),
      );
    }
  });
});

describe('postOAuth', () => {
  it('names the action and the network error', async () => {
    const port = await closedPort();
    const error = await rejectionOf(
      postOAuth(`http://127.0.0.1:${port}/x`, { body: '{}' }, 'Doing it'),
    );
    expect(error).toBeInstanceOf(TransientAuthError);
    expect(error.message).toBe('Doing it: fetch failed');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('rejects with the caller’s reason when the caller aborts', async () => {
    const authority = await startTokenAuthority(() => 'hang');
    const controller = new AbortController();
    const reason = new Error('user pressed Ctrl-C');
    const pending = postOAuth(authority.url, { body: '{}' }, 'Doing it', {
      signal: controller.signal,
      timeoutMs: 60_000,
    }).catch((caught: unknown) => caught);
    while (authority.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('says the call timed out', async () => {
    const authority = await startTokenAuthority(() => 'hang');
    const error = await rejectionOf(
      postOAuth(authority.url, { body: '{}' }, 'Doing it', { timeoutMs: 100 }),
    );
    expect(error.message).toBe('Doing it: request timed out after 100 ms');
  });

  // apart from the timeout test: on a loaded machine 100 ms can pass before the request is sent
  it('sends the content type and body it is given', async () => {
    const authority = await startTokenAuthority(() => ({ status: 200, body: { ok: true } }));
    const reply = await postOAuth(
      authority.url,
      { body: 'a=b', contentType: 'application/x-www-form-urlencoded' },
      'Doing it',
    );
    expect(reply).toEqual({ status: 200, body: '{"ok":true}' });
    expect(authority.headers[0]?.['content-type']).toBe('application/x-www-form-urlencoded');
    expect(authority.requests[0]?.body).toBe('a=b');
  });
});

describe('revokeToken', () => {
  it('sends the client id with a refresh token only', async () => {
    const authority = await startTokenAuthority(() => ({ status: 200, body: {} }));
    const env = { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` };
    await revokeToken({ token: 'refresh-tok-1', tokenTypeHint: 'refresh_token' }, env);
    await revokeToken({ token: 'access-tok-1', tokenTypeHint: 'access_token' }, env);
    expect(authority.requests.map((request) => request.body)).toEqual([
      { token: 'refresh-tok-1', token_type_hint: 'refresh_token', client_id: CLIENT_ID },
      { token: 'access-tok-1', token_type_hint: 'access_token' },
    ]);
    expect(authority.requests.map((request) => request.path)).toEqual(['/revoke', '/revoke']);
  });

  it('fails on any status outside 2xx', async () => {
    const authority = await startTokenAuthority(() => ({ status: 404, body: 'gone' }));
    const error = await rejectionOf(
      revokeToken(
        { token: 'refresh-tok-2', tokenTypeHint: 'refresh_token' },
        { CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.origin}/revoke` },
      ),
    );
    expect(error).toBeInstanceOf(TransientAuthError);
    expect(error.message).toBe('failed to revoke refresh_token: 404 Not Found: gone');
  });

  it('chooses the explicit override, else one derived from the refresh override, else the default', () => {
    expect(
      revokeTokenUrl({
        CODEX_REVOKE_TOKEN_URL_OVERRIDE: 'http://a.example/r',
        CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://b.example/oauth/token',
      }),
    ).toBe('http://a.example/r');
    expect(
      revokeTokenUrl({ CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://b.example/x/token?a=1#frag' }),
    ).toBe('http://b.example/oauth/revoke');
    expect(revokeTokenUrl({ CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'not a url' })).toBe(
      REVOKE_TOKEN_URL,
    );
    expect(revokeTokenUrl({ CODEX_REVOKE_TOKEN_URL_OVERRIDE: '' })).toBe(REVOKE_TOKEN_URL);
    expect(REVOKE_TOKEN_URL).toBe('https://auth.openai.com/oauth/revoke');
  });
});

describe('tokens received from the authority', () => {
  it('are known to the redactor from the moment they arrive', async () => {
    const { value } = await refreshAgainst({
      status: 200,
      body: {
        id_token: 'fresh-id-token-5150',
        access_token: 'fresh-access-token-5150',
        refresh_token: 'fresh-refresh-token-5150',
      },
    });
    expect(value?.accessToken).toBe('fresh-access-token-5150');
    const { redact } = await import('@codex/protocol');
    expect(
      redact('a fresh-id-token-5150 b fresh-access-token-5150 c fresh-refresh-token-5150'),
    ).toBe('a [REDACTED] b [REDACTED] c [REDACTED]');
  });
});
