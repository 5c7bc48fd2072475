import { createAuthFetch, type ExternalAuth, ExternalAuthTokens } from '@codex/login';
import { type ResponsesServer, startResponsesServer } from '@codex/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const unauthorized = {
  kind: 'status',
  status: 401,
  body: { error: { message: 'token expired', type: 'invalid_request_error' } },
} as const;

/** Hands out `first`, then `second` after a refresh. */
function source(first: string, second: string): ExternalAuth & { refreshes: number } {
  let current = first;
  const self = {
    authMode: 'apikey' as const,
    refreshes: 0,
    resolve: async () => ExternalAuthTokens.bearerOnly(current),
    refresh: async () => {
      self.refreshes += 1;
      current = second;
      return ExternalAuthTokens.bearerOnly(current);
    },
  };
  return self;
}

let server: ResponsesServer;
beforeEach(async () => {
  server = await startResponsesServer();
});
afterEach(async () => {
  await server.close();
});

describe('createAuthFetch replay rules', () => {
  it('replays a request without a body', async () => {
    server.enqueue(unauthorized);
    const auth = source('tok-get-1', 'tok-get-2');
    const response = await createAuthFetch(auth)(new Request(server.url));
    await response.text();
    expect(response.status).toBe(200);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-get-1',
      'Bearer tok-get-2',
    ]);
  });

  it('returns the 401 of a Request whose body the first send consumed', async () => {
    server.enqueue(unauthorized);
    const auth = source('tok-req-1', 'tok-req-2');
    const request = new Request(server.url, { method: 'POST', body: 'consumed once' });
    const response = await createAuthFetch(auth)(request);
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('token expired');
    expect(server.requests).toHaveLength(1);
    expect(auth.refreshes).toBe(1);
  });

  it('says why a blank token is not sent', async () => {
    const blank: ExternalAuth = {
      authMode: 'apikey',
      resolve: async () => ExternalAuthTokens.bearerOnly(' '),
      refresh: async () => ExternalAuthTokens.bearerOnly(' '),
    };
    await expect(createAuthFetch(blank)(server.url)).rejects.toThrow(
      'createAuthFetch: the credential source returned an empty token; the request was not sent',
    );
    const none: ExternalAuth = {
      authMode: 'apikey',
      resolve: async () => null,
      refresh: async () => ExternalAuthTokens.bearerOnly('unused-tok'),
    };
    await expect(createAuthFetch(none)(server.url)).rejects.toThrow(
      'createAuthFetch: the credential source returned no token; the request was not sent',
    );
    expect(server.requests).toHaveLength(0);
  });
});
