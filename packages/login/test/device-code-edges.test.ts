import { describe, expect, it } from 'vitest';
import { type DeviceCodeLoginOptions, startDeviceCodeLogin } from '../src/device-code-login.ts';
import { LoginFlowError } from '../src/oauth-login.ts';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

type Replies = {
  usercode?: AuthorityReply;
  token?: (poll: number) => AuthorityReply;
  exchange?: AuthorityReply;
};

const approved: AuthorityReply = {
  status: 200,
  body: {
    authorization_code: 'code-1',
    code_challenge: 'challenge-1',
    code_verifier: 'verifier-1',
  },
};

/** A loopback issuer answering the device-code paths with `replies`. */
async function issuer(replies: Replies) {
  let polls = 0;
  const server = await startTokenAuthority((request) => {
    switch (request.path) {
      case '/api/accounts/deviceauth/usercode':
        return (
          replies.usercode ?? {
            status: 200,
            body: { device_auth_id: 'dev-1', user_code: 'ABCD-EFGH', interval: '1' },
          }
        );
      case '/api/accounts/deviceauth/token':
        polls += 1;
        return replies.token?.(polls) ?? approved;
      default:
        return (
          replies.exchange ?? {
            status: 200,
            body: { id_token: chatgptJwt(), access_token: 'a-1', refresh_token: 'r-1' },
          }
        );
    }
  });
  return server;
}

async function start(url: string, extra: Partial<DeviceCodeLoginOptions> = {}) {
  return startDeviceCodeLogin({
    codexHome: await tempDir(),
    storeMode: 'file',
    issuer: url,
    sleep: async () => {},
    ...extra,
  });
}

async function startFailure(replies: Replies): Promise<Error> {
  const { origin } = await issuer(replies);
  const error: unknown = await start(origin).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LoginFlowError);
  return error as Error;
}

describe('device-code user code', () => {
  it('asks with the client id and reads the alias field and an interval string', async () => {
    const server = await issuer({
      usercode: {
        status: 200,
        body: { device_auth_id: 'dev-2', usercode: 'WXYZ-1234', interval: ' 7 ' },
      },
    });
    const login = await start(server.origin, { clientId: 'client-x' });
    expect([login.userCode, login.intervalSeconds]).toEqual(['WXYZ-1234', 7]);
    expect(server.requests[0]).toEqual({
      method: 'POST',
      path: '/api/accounts/deviceauth/usercode',
      body: { client_id: 'client-x' },
    });
    expect(server.headers[0]?.['content-type']).toBe('application/json');
  });

  it('polls at once without an interval', async () => {
    const server = await issuer({
      usercode: { status: 200, body: { device_auth_id: 'dev-3', user_code: 'AAAA-BBBB' } },
    });
    expect((await start(server.origin)).intervalSeconds).toBe(0);
  });

  it('refuses an interval that is not a whole number of seconds in a string', async () => {
    for (const interval of ['x', '-1', '1.5', 5]) {
      const error = await startFailure({
        usercode: { status: 200, body: { device_auth_id: 'd', user_code: 'u', interval } },
      });
      expect(error.message, String(interval)).toBe('invalid digit found in string');
    }
  });

  it('names a missing field and refuses an answer that is no JSON object', async () => {
    expect(
      (await startFailure({ usercode: { status: 200, body: { user_code: 'u' } } })).message,
    ).toBe('missing field `device_auth_id`');
    expect(
      (await startFailure({ usercode: { status: 200, body: { device_auth_id: 'd' } } })).message,
    ).toBe('missing field `user_code`');
    expect((await startFailure({ usercode: { status: 200, body: 'null' } })).message).toBe(
      'invalid type: expected a JSON object',
    );
    expect((await startFailure({ usercode: { status: 200, body: '"text"' } })).message).toBe(
      'invalid type: expected a JSON object',
    );
    expect((await startFailure({ usercode: { status: 200, body: '{' } })).message).toMatch(/JSON/);
  });

  it('reports a failed request with its status', async () => {
    expect((await startFailure({ usercode: { status: 500, body: '' } })).message).toBe(
      'device code request failed with status 500 Internal Server Error',
    );
    expect((await startFailure({ usercode: { status: 599, body: '' } })).message).toBe(
      'device code request failed with status 599',
    );
  });
});

describe('device-code polling and exchange', () => {
  it('keeps polling through 403 and 404, then exchanges the approved code', async () => {
    const server = await issuer({
      token: (poll) =>
        poll === 1 ? { status: 403, body: '' } : poll === 2 ? { status: 404, body: '' } : approved,
    });
    const login = await start(server.origin);
    await login.complete();
    const paths = server.requests.map((request) => request.path);
    expect(paths).toEqual([
      '/api/accounts/deviceauth/usercode',
      '/api/accounts/deviceauth/token',
      '/api/accounts/deviceauth/token',
      '/api/accounts/deviceauth/token',
      '/oauth/token',
    ]);
    expect(server.requests[1]?.body).toEqual({ device_auth_id: 'dev-1', user_code: 'ABCD-EFGH' });
    expect(new URLSearchParams(String(server.requests[4]?.body)).get('redirect_uri')).toBe(
      `${server.origin}/deviceauth/callback`,
    );
    expect(new URLSearchParams(String(server.requests[4]?.body)).get('code_verifier')).toBe(
      'verifier-1',
    );
  });

  it('sleeps the interval, never past the 15-minute limit', async () => {
    const server = await issuer({
      usercode: { status: 200, body: { device_auth_id: 'd', user_code: 'u', interval: '600' } },
      token: () => ({ status: 403, body: '' }),
    });
    let clock = 0;
    const sleeps: number[] = [];
    const login = await start(server.origin, {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });
    await expect(login.complete()).rejects.toThrow('device auth timed out after 15 minutes');
    expect(sleeps).toEqual([600_000, 300_000]);
  });

  it('names a missing field of the approved answer, and a failed exchange', async () => {
    const partial = await issuer({
      token: () => ({ status: 200, body: { authorization_code: 'c', code_challenge: 'x' } }),
    });
    await expect((await start(partial.origin)).complete()).rejects.toThrow(
      'missing field `code_verifier`',
    );
    const failing = await issuer({ exchange: { status: 400, body: { error: 'invalid_grant' } } });
    await expect((await start(failing.origin)).complete()).rejects.toThrow(
      'device code exchange failed: token endpoint returned status 400 Bad Request: invalid_grant',
    );
  });

  it('does not poll once cancelled, and a cancelled wait ends the login', async () => {
    const server = await issuer({ token: () => ({ status: 403, body: '' }) });
    const cancelledFirst = await start(server.origin);
    cancelledFirst.cancel();
    await expect(cancelledFirst.complete()).rejects.toThrow('Login was not completed');
    expect(server.requests).toHaveLength(1);

    const waiting = await startDeviceCodeLogin({
      codexHome: await tempDir(),
      storeMode: 'file',
      issuer: server.origin,
    });
    const completion = waiting.complete();
    while (server.requests.length < 3) await new Promise((resolve) => setImmediate(resolve));
    waiting.cancel();
    await expect(completion).rejects.toThrow('Login was not completed');
  });
});

describe('device-code transport', () => {
  it('refuses redirects, 300 and 399 included, and reports 400 as a failed request', async () => {
    for (const status of [300, 399]) {
      expect((await startFailure({ usercode: { status, body: '' } })).message).toMatch(
        /unexpected redirect$/,
      );
    }
    expect((await startFailure({ usercode: { status: 400, body: '' } })).message).toBe(
      'device code request failed with status 400 Bad Request',
    );
  });

  it('abandons a poll the issuer never answers when cancelled', async () => {
    const server = await issuer({ token: () => 'hang' });
    const login = await start(server.origin);
    const completion = login.complete();
    while (server.requests.length < 2) await new Promise((resolve) => setImmediate(resolve));
    login.cancel();
    await expect(completion).rejects.toThrow('Login was not completed');
  });
});
