import { startTokenGateway } from '@codex/test-support';
import { describe, expect, it } from 'vitest';

async function signIn(tokenUrl: string): Promise<{ access_token: string; expires_in: number }> {
  const response = await fetch(tokenUrl, { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; expires_in: number };
}

function ask(url: string, token?: string): Promise<Response> {
  return fetch(`${url}/responses`, {
    method: 'POST',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    body: '{}',
  });
}

describe('startTokenGateway', () => {
  it('answers a Responses request only with a token it issued', async () => {
    await using gateway = await startTokenGateway({ answer: 'hi there' });

    const { access_token: token, expires_in: expiresIn } = await signIn(gateway.tokenUrl);
    const accepted = await ask(gateway.url, token);
    const unknown = await ask(gateway.url, 'gw-forged');
    const missing = await ask(gateway.url);

    expect(expiresIn).toBe(60);
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain('hi there');
    expect(unknown.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(gateway.events).toEqual([
      { kind: 'issued', tokenNumber: 1, lifetimeMs: 60_000 },
      { kind: 'accepted', tokenNumber: 1, requestPath: '/v1/responses' },
      { kind: 'rejected', tokenNumber: null, reason: 'unknown', requestPath: '/v1/responses' },
      { kind: 'rejected', tokenNumber: null, reason: 'missing', requestPath: '/v1/responses' },
    ]);
  });

  it('rejects a token once its lifetime has passed on the gateway clock, and accepts a new one', async () => {
    await using gateway = await startTokenGateway({ tokenLifetimeMs: 1_000 });
    const seen: string[] = [];
    gateway.onEvent((event) => seen.push(`${event.kind} ${event.tokenNumber}`));

    const first = await signIn(gateway.tokenUrl);
    gateway.advanceClock(1_500);
    const expired = await ask(gateway.url, first.access_token);
    const second = await signIn(gateway.tokenUrl);
    const accepted = await ask(gateway.url, second.access_token);

    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      error: { message: 'token expired', type: 'invalid_request_error', code: 'token_expired' },
    });
    expect(accepted.status).toBe(200);
    expect(second.access_token).not.toBe(first.access_token);
    expect(gateway.events[1]).toMatchObject({
      kind: 'rejected',
      reason: 'expired',
      tokenNumber: 1,
    });
    expect(seen).toEqual(['issued 1', 'rejected 1', 'issued 2', 'accepted 2']);
  });
});
