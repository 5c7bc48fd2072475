import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthCommandError,
  createAuthFetch,
  createBearerTokenRefresher,
  type ExternalAuth,
  type ExternalAuthRefreshContext,
  ExternalAuthTokens,
  InvalidTokenError,
  TransientAuthError,
} from '@codex/login';
import { Secret } from '@codex/protocol';
import { completedReply, type ResponsesServer, startResponsesServer } from '@codex/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  authConfig,
  scriptRuns,
  tempDir,
  writeScript,
  writeTokenScript,
} from './helpers/fixtures.ts';

const unauthorized = {
  kind: 'status',
  status: 401,
  body: { error: { message: 'token expired', type: 'invalid_request_error' } },
} as const;

/** A caller's own source: hands out `tokens` in order, one per resolve/refresh, recording the contexts. */
class ListSource implements ExternalAuth {
  readonly authMode = 'apikey' as const;
  readonly refreshes: ExternalAuthRefreshContext[] = [];
  readonly resolveSignals: (AbortSignal | undefined)[] = [];
  #current: ExternalAuthTokens;
  readonly #next: ExternalAuthTokens[];

  constructor(first: ExternalAuthTokens, ...next: ExternalAuthTokens[]) {
    this.#current = first;
    this.#next = next;
  }

  async resolve(options: { signal?: AbortSignal | undefined } = {}): Promise<ExternalAuthTokens> {
    this.resolveSignals.push(options.signal);
    return this.#current;
  }

  async refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens> {
    this.refreshes.push(context);
    this.#current = this.#next.shift() ?? this.#current;
    return this.#current;
  }
}

let server: ResponsesServer;

beforeEach(async () => {
  server = await startResponsesServer();
});

afterEach(async () => {
  await server.close();
});

const post = (
  body: NonNullable<RequestInit['body']>,
  headers: Record<string, string> = {},
): RequestInit => ({
  method: 'POST',
  headers: { authorization: 'Bearer unused', ...headers },
  body,
});

describe('createAuthFetch (improvement 18)', () => {
  it('sends the source token in place of the Authorization the caller set (improvement 18)', async () => {
    const source = new ListSource(ExternalAuthTokens.bearerOnly('tok-first-1'));
    const authFetch = createAuthFetch(source);

    const response = await authFetch(`${server.url}/responses`, post('{}'));
    await response.text();

    expect(response.status).toBe(200);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-first-1',
    ]);
  });

  it('refreshes the command once with the rejected token and replays the request after a 401 (improvement 18)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['tok-cmd-1', 'tok-cmd-2']);
    const source = createBearerTokenRefresher(authConfig(dir));
    server.enqueue(unauthorized);

    const response = await createAuthFetch(source)(
      `${server.url}/responses`,
      post('{"input":"hi"}', { 'content-type': 'application/json' }),
    );

    expect(response.status).toBe(200);
    expect(await response.text()).toContain('response.completed');
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-cmd-1',
      'Bearer tok-cmd-2',
    ]);
    expect(server.requests.map((request) => request.rawBody)).toEqual([
      '{"input":"hi"}',
      '{"input":"hi"}',
    ]);
    expect(await scriptRuns(dir)).toBe(2);
  });

  const bodies: [string, () => NonNullable<RequestInit['body']>, string][] = [
    ['a string', () => 'plain text body', 'plain text body'],
    ['a Uint8Array', () => new TextEncoder().encode('bytes body'), 'bytes body'],
    ['an ArrayBuffer', () => new TextEncoder().encode('buffer body').buffer, 'buffer body'],
    ['URLSearchParams', () => new URLSearchParams({ a: '1', b: 'two' }), 'a=1&b=two'],
    ['a Blob', () => new Blob(['blob body']), 'blob body'],
  ];
  it.each(bodies)('replays %s body unchanged (improvement 18)', async (_kind, body, sent) => {
    const source = new ListSource(
      ExternalAuthTokens.bearerOnly('tok-body-1'),
      ExternalAuthTokens.bearerOnly('tok-body-2'),
    );
    server.enqueue(unauthorized);

    const response = await createAuthFetch(source)(server.url, post(body()));
    await response.text();

    expect(response.status).toBe(200);
    expect(server.requests.map((request) => request.rawBody)).toEqual([sent, sent]);
    expect(server.requests[1]?.headers['authorization']).toBe('Bearer tok-body-2');
  });

  it('replays a FormData body with its fields (improvement 18)', async () => {
    const source = new ListSource(
      ExternalAuthTokens.bearerOnly('tok-form-1'),
      ExternalAuthTokens.bearerOnly('tok-form-2'),
    );
    server.enqueue(unauthorized);
    const form = new FormData();
    form.set('purpose', 'fine-tune');
    form.set('file', new Blob(['{"a":1}']), 'data.jsonl');

    const response = await createAuthFetch(source)(server.url, post(form));
    await response.text();

    expect(server.requests).toHaveLength(2);
    for (const request of server.requests) {
      expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(request.rawBody).toContain('fine-tune');
      expect(request.rawBody).toContain('{"a":1}');
    }
  });

  it('returns the 401 for a ReadableStream body and sends the refreshed token next time (improvement 18)', async () => {
    const source = new ListSource(
      ExternalAuthTokens.bearerOnly('tok-stream-1'),
      ExternalAuthTokens.bearerOnly('tok-stream-2'),
    );
    server.enqueue(unauthorized);
    const authFetch = createAuthFetch(source);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });

    const first = await authFetch(server.url, { ...post(stream), duplex: 'half' } as RequestInit);
    const firstBody = await first.text();
    const second = await authFetch(server.url, post('again'));
    await second.text();

    expect(first.status).toBe(401);
    expect(firstBody).toContain('token expired');
    expect(source.refreshes).toHaveLength(1);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-stream-1',
      'Bearer tok-stream-2',
    ]);
  });

  it('replays once: a second 401 is returned to the caller (improvement 18)', async () => {
    const source = new ListSource(
      ExternalAuthTokens.bearerOnly('tok-twice-1'),
      ExternalAuthTokens.bearerOnly('tok-twice-2'),
      ExternalAuthTokens.bearerOnly('tok-twice-3'),
    );
    server.respond(() => unauthorized);

    const response = await createAuthFetch(source)(server.url, post('{}'));

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(unauthorized.body);
    expect(server.requests).toHaveLength(2);
    expect(source.refreshes).toHaveLength(1);
  });

  it('passes the rejected token and account to refresh, and sends ChatGPT-Account-ID (improvement 18)', async () => {
    const source = new ListSource(
      ExternalAuthTokens.chatgpt('tok-chatgpt-1', 'account-7', 'pro'),
      ExternalAuthTokens.chatgpt('tok-chatgpt-2', 'account-7', 'pro'),
    );
    server.enqueue(unauthorized);

    await (await createAuthFetch(source)(server.url, post('{}'))).text();

    expect(source.refreshes).toHaveLength(1);
    expect(source.refreshes[0]?.reason).toBe('unauthorized');
    expect(source.refreshes[0]?.previousAccountId).toBe('account-7');
    const rejected = source.refreshes[0]?.rejectedToken;
    expect(String(rejected)).toBe('[REDACTED]');
    expect(rejected instanceof Secret ? rejected.reveal() : rejected).toBe('tok-chatgpt-1');
    expect(server.requests.map((request) => request.headers['chatgpt-account-id'])).toEqual([
      'account-7',
      'account-7',
    ]);
  });

  it('runs the command once for 8 concurrent requests rejected with the same token (improvement 18)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['tok-many-1', 'tok-many-2', 'tok-many-3']);
    const source = createBearerTokenRefresher(authConfig(dir));
    await source.resolve();
    server.respond((request) =>
      request.headers['authorization'] === 'Bearer tok-many-1'
        ? unauthorized
        : completedReply('ok'),
    );
    const authFetch = createAuthFetch(source);

    const responses = await Promise.all(
      Array.from({ length: 8 }, () => authFetch(server.url, post('{}'))),
    );
    await Promise.all(responses.map((response) => response.text()));

    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
    expect(await scriptRuns(dir)).toBe(2);
    expect(server.requests).toHaveLength(16);
  });

  it('uses the inner fetch it is given (improvement 18)', async () => {
    const source = new ListSource(ExternalAuthTokens.bearerOnly('tok-inner-1'));
    const seen: string[] = [];
    const inner: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization') ?? '');
      return fetch(input, init);
    };

    await (await createAuthFetch(source, { fetch: inner })(server.url, post('{}'))).text();

    expect(seen).toEqual(['Bearer tok-inner-1']);
    expect(server.requests).toHaveLength(1);
  });

  it('accepts a Request as input and keeps its headers (improvement 18)', async () => {
    const source = new ListSource(ExternalAuthTokens.bearerOnly('tok-request-1'));
    const request = new Request(server.url, {
      method: 'GET',
      headers: { 'x-custom': 'kept', authorization: 'Bearer unused' },
    });

    await (await createAuthFetch(source)(request)).text();

    expect(server.requests[0]?.headers['x-custom']).toBe('kept');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer tok-request-1');
  });
});

describe('createAuthFetch signals and errors (improvement 18)', () => {
  it('passes the request signal to the source: aborting stops the auth command and sends nothing', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'hang.sh', 'echo $$ > started\nexec sleep 30');
    const source = createBearerTokenRefresher(
      authConfig(dir, { command: './hang.sh', timeout_ms: 60_000 }),
    );
    const controller = new AbortController();
    const pending = createAuthFetch(source)(server.url, {
      ...post('{}'),
      signal: controller.signal,
    });
    await vi.waitFor(
      async () => expect(await readFile(path.join(dir, 'started'), 'utf8')).not.toBe(''),
      { timeout: 10_000, interval: 10 },
    );

    const reason = new Error('caller gave up');
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });

  it('passes the signal of a Request input to resolve and refresh', async () => {
    const source = new ListSource(
      ExternalAuthTokens.bearerOnly('tok-signal-1'),
      ExternalAuthTokens.bearerOnly('tok-signal-2'),
    );
    server.enqueue(unauthorized);
    const controller = new AbortController();

    const request = new Request(server.url, { signal: controller.signal });
    await (await createAuthFetch(source)(request)).text();

    expect(source.resolveSignals).toHaveLength(1);
    expect(source.resolveSignals[0]).toBeInstanceOf(AbortSignal);
    expect(source.refreshes[0]?.signal).toBe(source.resolveSignals[0]);
  });

  it('fails with the rejected-token error, without the token, when the rerun prints it again', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'same.sh', 'echo run >> runs.log\necho tok-same-secret-42');
    const source = createBearerTokenRefresher(authConfig(dir, { command: './same.sh' }));
    server.enqueue(unauthorized);

    const error = await createAuthFetch(source)(server.url, post('{}')).then(
      () => null,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(AuthCommandError);
    expect((error as Error).message).toContain('printed the token the server just rejected');
    expect(`${(error as Error).message}\n${(error as Error).stack}`).not.toContain(
      'tok-same-secret-42',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the source has no token, or one a header cannot carry', async () => {
    const none: ExternalAuth = {
      authMode: 'apikey',
      resolve: async () => null,
      refresh: async () => ExternalAuthTokens.bearerOnly('unused-token'),
    };
    const broken = new ListSource(ExternalAuthTokens.bearerOnly('tok-broken\nx-evil: 1'));
    const blank = new ListSource(ExternalAuthTokens.bearerOnly('   '));

    const noToken = await createAuthFetch(none)(server.url).catch((caught: unknown) => caught);
    const badToken = await createAuthFetch(broken)(server.url).catch((caught: unknown) => caught);
    const blankToken = await createAuthFetch(blank)(server.url).catch((caught: unknown) => caught);

    expect(noToken).toBeInstanceOf(TransientAuthError);
    expect(badToken).toBeInstanceOf(InvalidTokenError);
    expect(blankToken).toBeInstanceOf(InvalidTokenError);
    expect((badToken as Error).message).not.toContain('tok-broken');
    expect((badToken as Error).message).toContain('cannot be sent in an HTTP header');
    expect(server.requests).toHaveLength(0);
  });
});
