import { describe, expect, it } from 'vitest';
import { exchangeCodeForTokens, LoginFlowError, obtainApiKey } from '../src/oauth-login.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LoginFlowError);
  return error as Error;
}

async function issuer(reply: AuthorityReply) {
  return startTokenAuthority(() => reply);
}

describe('obtainApiKey', () => {
  it('returns the exchanged key', async () => {
    const server = await issuer({ status: 200, body: { access_token: 'sk-exchanged-1' } });
    expect(await obtainApiKey(server.origin, 'client-1', 'id-token-1')).toBe('sk-exchanged-1');
    expect(server.requests[0]?.path).toBe('/oauth/token');
    expect(server.headers[0]?.['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('fails on an error status even when the body carries a key', async () => {
    const server = await issuer({ status: 500, body: { access_token: 'sk-not-this-one' } });
    expect((await failure(obtainApiKey(server.origin, 'c', 'i'))).message).toBe(
      'api key exchange failed with status 500 Internal Server Error',
    );
  });

  it('names the missing key', async () => {
    const server = await issuer({ status: 200, body: { token_type: 'bearer' } });
    expect((await failure(obtainApiKey(server.origin, 'c', 'i'))).message).toBe(
      'error decoding response body: missing field `access_token`',
    );
  });
});

describe('exchangeCodeForTokens', () => {
  const request = (issuerUrl: string) => ({
    issuer: issuerUrl,
    clientId: 'client-2',
    redirectUri: 'http://localhost:1/auth/callback',
    pkce: { codeVerifier: 'verifier-2', codeChallenge: 'challenge-2' },
    code: 'code-2',
  });

  it('posts the code grant as a form and reads the three tokens', async () => {
    const server = await issuer({
      status: 200,
      body: { id_token: 'i', access_token: 'a', refresh_token: 'r' },
    });
    expect(await exchangeCodeForTokens(request(server.origin))).toEqual({
      idToken: 'i',
      accessToken: 'a',
      refreshToken: 'r',
    });
    expect(Object.fromEntries(new URLSearchParams(String(server.requests[0]?.body)))).toEqual({
      grant_type: 'authorization_code',
      code: 'code-2',
      redirect_uri: 'http://localhost:1/auth/callback',
      client_id: 'client-2',
      code_verifier: 'verifier-2',
    });
  });

  it('words a failure with its status, known or not', async () => {
    const odd = await issuer({ status: 599, body: 'strange' });
    expect((await failure(exchangeCodeForTokens(request(odd.origin)))).message).toBe(
      'token endpoint returned status 599: strange',
    );
    for (const field of ['id_token', 'access_token', 'refresh_token']) {
      const body: Record<string, unknown> = {
        id_token: 'i',
        access_token: 'a',
        refresh_token: 'r',
      };
      body[field] = 7;
      const partial = await issuer({ status: 200, body });
      expect((await failure(exchangeCodeForTokens(request(partial.origin)))).message).toBe(
        `error decoding response body: missing field \`${field}\``,
      );
    }
  });

  it('refuses redirects, 300 and 399 included, and passes 400 on as a failure', async () => {
    for (const status of [300, 399]) {
      const server = await issuer({ status, body: '' });
      expect((await failure(exchangeCodeForTokens(request(server.origin)))).message).toBe(
        `error sending request for url (${server.origin}/oauth/token): unexpected redirect`,
      );
    }
    const bad = await issuer({ status: 400, body: 'no' });
    expect((await failure(exchangeCodeForTokens(request(bad.origin)))).message).toBe(
      'token endpoint returned status 400 Bad Request: no',
    );
  });

  it('names the URL it could not reach, keeping the cause', async () => {
    const { createServer } = await import('node:http');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(exchangeCodeForTokens(request(`http://127.0.0.1:${port}`)));
    expect(error.message).toBe(
      `error sending request for url (http://127.0.0.1:${port}/oauth/token)`,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });
});
