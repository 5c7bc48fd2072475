import {
  type ClientNotice,
  CyberPolicyError,
  createModelClient,
  InternalServerError,
  InvalidRequestError,
  QuotaExceededError,
  RetryLimitError,
  ServerOverloadedError,
  TurnAbortedError,
  UnexpectedStatusError,
  UsageLimitReachedError,
  UsageNotIncludedError,
  userMessage,
} from '@codex/core';
import { completedReply, type Reply, startResponsesServer } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { loadProviderConfig, recordingSleep, tomlString } from './helpers/provider-config.ts';

const turn = { input: [userMessage('hello')] };

/** A client for a provider at `url` with `retries` transport retries and no turn-level retry. */
async function clientFor(url: string, retries = 0, extra = '') {
  const config = await loadProviderConfig(
    `base_url = ${tomlString(url)}\nstream_idle_timeout_ms = 5000\nrequest_max_retries = ${retries}\nstream_max_retries = 0\n${extra}`,
  );
  const { sleep, delays } = recordingSleep();
  const notices: ClientNotice[] = [];
  const client = createModelClient({
    config,
    env: {},
    sleep,
    random: () => 0.5,
    onNotice: (notice) => notices.push(notice),
  });
  return { client, delays, notices };
}

async function failure(run: Promise<unknown>): Promise<Error> {
  return (await run.then(
    () => new Error('expected a failure'),
    (caught: unknown) => caught,
  )) as Error;
}

describe('final answers', () => {
  it.each([['server_is_overloaded'], ['slow_down']])(
    'maps a 503 %s to ServerOverloadedError once retries are spent',
    async (code) => {
      await using server = await startResponsesServer();
      server.respond(() => ({ kind: 'status', status: 503, body: { error: { code } } }));
      const { client } = await clientFor(server.url);

      const error = await failure(client.runTurn(turn));

      expect(error).toBeInstanceOf(ServerOverloadedError);
      expect(server.requests).toHaveLength(1);
    },
  );

  it('maps another 503 and a 502 to UnexpectedStatusError', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      { kind: 'status', status: 503, body: { error: { code: 'other', message: 'busy' } } },
      { kind: 'status', status: 502, body: { error: { code: 'slow_down', message: 'gw' } } },
    );
    const { client } = await clientFor(server.url);

    const first = await failure(client.runTurn(turn));
    const second = await failure(client.runTurn(turn));

    expect(first).toBeInstanceOf(UnexpectedStatusError);
    expect(first.message).toBe(
      `unexpected status 503 Service Unavailable: busy, url: ${server.url}/responses`,
    );
    expect(second).toBeInstanceOf(UnexpectedStatusError);
    expect((second as UnexpectedStatusError).status).toBe(502);
  });

  it('maps a 400 to InvalidRequestError with the body, or a cyber_policy 400 to its message', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      { kind: 'status', status: 400, body: 'plain bad request' },
      {
        kind: 'status',
        status: 400,
        body: { error: { code: 'cyber_policy', message: 'flagged' } },
      },
      { kind: 'status', status: 400, body: { error: { code: 'cyber_policy' } } },
    );
    const { client } = await clientFor(server.url, 3);

    const invalid = await failure(client.runTurn(turn));
    const cyber = await failure(client.runTurn(turn));
    const cyberDefault = await failure(client.runTurn(turn));

    expect(invalid).toBeInstanceOf(InvalidRequestError);
    expect(invalid.message).toBe('plain bad request');
    expect(cyber).toBeInstanceOf(CyberPolicyError);
    expect(cyber.message).toBe('flagged');
    expect(cyberDefault).toBeInstanceOf(CyberPolicyError);
    expect(cyberDefault.message).toBe(
      'This request has been flagged for possible cybersecurity risk.',
    );
    expect(server.requests).toHaveLength(3);
  });

  it('names the request id of a final 500, from x-request-id or x-oai-request-id', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      { kind: 'status', status: 500, body: 'x', headers: { 'x-request-id': 'req-a' } },
      { kind: 'status', status: 500, body: 'x', headers: { 'x-oai-request-id': 'req-b' } },
    );
    const { client } = await clientFor(server.url);

    const first = await failure(client.runTurn(turn));
    const second = await failure(client.runTurn(turn));

    expect(first).toBeInstanceOf(InternalServerError);
    expect((first as InternalServerError).requestId).toBe('req-a');
    expect((second as InternalServerError).requestId).toBe('req-b');
  });

  it('names the cf-ray of a final 429 when there is no request id', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 429,
      body: 'slow',
      headers: { 'cf-ray': 'ray-9' },
    }));
    const { client } = await clientFor(server.url, 1);

    const error = await failure(client.runTurn(turn));

    expect(error).toBeInstanceOf(RetryLimitError);
    expect(error.message).toBe(
      'exceeded retry limit, last status: 429 Too Many Requests, request id: ray-9',
    );
    expect(server.requests).toHaveLength(2);
  });

  it('keeps every value of a repeated response header, and header names in lowercase', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 404,
      body: 'gone',
      headers: { 'Set-Cookie': ['a=1', 'b=2'] as unknown as string, 'X-Trace': 't' },
    }));
    const { client } = await clientFor(server.url);

    const error = (await failure(client.runTurn(turn))) as UnexpectedStatusError;

    expect(error.headers['set-cookie']).toBe('a=1, b=2');
    expect(error.headers['x-trace']).toBe('t');
  });
});

describe('429 answers that no retry can fix', () => {
  it.each([
    [{ type: 'usage_limit_reached', resets_at: 1_900_000_000 }, UsageLimitReachedError],
    [{ code: 'usage_limit_reached' }, UsageLimitReachedError],
    [{ type: 'usage_not_included' }, UsageNotIncludedError],
    [{ code: 'usage_not_included' }, UsageNotIncludedError],
    [{ type: 'insufficient_quota' }, QuotaExceededError],
    [{ code: 'insufficient_quota' }, QuotaExceededError],
  ])('fail at once for %j', async (errorBody, errorClass) => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 429, body: { error: errorBody } }));
    const { client, delays } = await clientFor(server.url, 4);

    const error = await failure(client.runTurn(turn));

    expect(error).toBeInstanceOf(errorClass);
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('says when a usage limit resets', async () => {
    await using server = await startResponsesServer();
    const resetsAt = 1_900_000_000;
    server.respond(() => ({
      kind: 'status',
      status: 429,
      body: { error: { type: 'usage_limit_reached', resets_at: resetsAt } },
    }));
    const { client } = await clientFor(server.url, 2);

    const error = (await failure(client.runTurn(turn))) as UsageLimitReachedError;

    expect(error.resetsAt).toBe(resetsAt);
    expect(error.message).toBe(
      `You've hit your usage limit. Try again at ${new Date(resetsAt * 1000).toLocaleString()}.`,
    );
  });

  it('a usage error code on another status is not special', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 403,
      body: { error: { code: 'insufficient_quota', message: 'no' } },
    }));
    const { client } = await clientFor(server.url, 2);

    const error = await failure(client.runTurn(turn));

    expect(error).toBeInstanceOf(UnexpectedStatusError);
  });
});

describe('Retry-After', () => {
  it('is honoured on 429 and 503 only, not on a 500 or 502', async () => {
    await using server = await startResponsesServer();
    const wait = { 'retry-after': '7' };
    server.enqueue(
      { kind: 'status', status: 500, body: 'a', headers: wait },
      { kind: 'status', status: 502, body: 'b', headers: wait },
      { kind: 'status', status: 503, body: 'c', headers: wait },
      { kind: 'status', status: 429, body: 'd', headers: wait },
      completedReply('ok'),
    );
    const { client, delays, notices } = await clientFor(server.url, 4);

    await client.runTurn(turn);

    expect(delays).toEqual([200, 400, 7000, 7000]);
    expect(notices).toEqual([
      { type: 'retrying_request', attempt: 1, max: 4, status: 500, delayMs: 200 },
      { type: 'retrying_request', attempt: 2, max: 4, status: 502, delayMs: 400 },
      { type: 'retrying_request', attempt: 3, max: 4, status: 503, delayMs: 7000 },
      { type: 'retrying_request', attempt: 4, max: 4, status: 429, delayMs: 7000 },
    ]);
  });

  it('a Retry-After over 60 s on a 503 ends the request at once', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 503,
      body: 'busy',
      headers: { 'retry-after': '61' },
    }));
    const { client, delays } = await clientFor(server.url, 4);

    const error = await failure(client.runTurn(turn));

    expect(error).toBeInstanceOf(UnexpectedStatusError);
    expect(delays).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a network retry with a null status', async () => {
    await using server = await startResponsesServer();
    server.enqueue({ kind: 'drop' }, completedReply('ok'));
    const { client, notices } = await clientFor(server.url, 1);

    await client.runTurn(turn);

    expect(notices).toEqual([
      { type: 'retrying_request', attempt: 1, max: 1, status: null, delayMs: 200 },
    ]);
  });
});

describe('aborting', () => {
  it('stops waiting before a retry when the signal fires during the wait', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 500, body: 'x' }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequest_max_retries = 4\nstream_max_retries = 4`,
    );
    const controller = new AbortController();
    const client = createModelClient({
      config,
      env: {},
      // the wait is where the abort happens; the sleep then fails as a real one would
      sleep: async (_ms, signal) => {
        controller.abort(new Error('user'));
        signal?.throwIfAborted();
      },
    });

    const error = await failure(client.runTurn(turn, { signal: controller.signal }));

    expect(error).toBeInstanceOf(TurnAbortedError);
    expect(error.cause).toEqual(new Error('user'));
    expect(server.requests).toHaveLength(1);
  });

  it('stops after a wait that ended although the signal fired', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 500, body: 'x' }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequest_max_retries = 4\nstream_max_retries = 4`,
    );
    const controller = new AbortController();
    const client = createModelClient({
      config,
      env: {},
      sleep: async () => {
        controller.abort();
      },
    });

    const error = await failure(client.runTurn(turn, { signal: controller.signal }));

    expect(error).toBeInstanceOf(TurnAbortedError);
    expect(server.requests).toHaveLength(1);
  });

  it('passes on a sleep failure that is not an abort', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 500, body: 'x' }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequest_max_retries = 4\nstream_max_retries = 4`,
    );
    const broken = new Error('timer broke');
    const client = createModelClient({
      config,
      env: {},
      sleep: async () => {
        throw broken;
      },
    });

    const error = await failure(client.runTurn(turn, { signal: new AbortController().signal }));

    expect(error).toBe(broken);
  });

  it('sends nothing when the signal has already fired', async () => {
    await using server = await startResponsesServer();
    const { client } = await clientFor(server.url, 2);

    const error = await failure(client.runTurn(turn, { signal: AbortSignal.abort() }));

    expect(error).toBeInstanceOf(TurnAbortedError);
    expect(server.requests).toHaveLength(0);
  });

  it('reports an abort while the request is in flight as TurnAbortedError', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'hang' }) satisfies Reply);
    const { client } = await clientFor(server.url, 2);
    const controller = new AbortController();

    const pending = failure(client.runTurn(turn, { signal: controller.signal }));
    await server.waitForRequests(1);
    controller.abort();

    expect(await pending).toBeInstanceOf(TurnAbortedError);
    expect(server.requests).toHaveLength(1);
  });
});
