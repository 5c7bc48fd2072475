import {
  completedEvents,
  type Reply,
  responseEvents,
  startResponsesServer,
} from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CANARY,
  type CodexHome,
  expectFailure,
  expectNoProcessLeft,
  makeCodexHome,
  runExec,
} from './helpers/cli.ts';
import {
  mockProviderConfig,
  type ProviderLimits,
  writeCanaryTokenScript,
} from './helpers/config.ts';

async function setup(
  reply: Reply,
  limits: ProviderLimits = {},
): Promise<{
  home: CodexHome;
  requests: () => number;
  receivedAtMs: () => number[];
  authorizations: () => string[];
}> {
  const server = await startResponsesServer({ responder: () => reply });
  onTestFinished(() => server.close());
  const home = await makeCodexHome();
  await home.writeConfig(mockProviderConfig(server.url, limits));
  await writeCanaryTokenScript(home);
  return {
    home,
    requests: () => server.requests.length,
    receivedAtMs: () => server.requests.map((request) => request.receivedAtMs),
    authorizations: () => server.requests.map((request) => request.headers['authorization'] ?? ''),
  };
}

describe('codex exec against a broken provider', () => {
  it('fails with a stream error when the provider drops the connection mid-stream', async () => {
    const { home, requests, authorizations } = await setup({
      kind: 'sse',
      events: completedEvents('never finished'),
      dropAfterEvents: 2,
    });

    const result = await runExec(home);

    expectFailure(result, 'stream disconnected before completion');
    // stream_max_retries = 1: the request, then one reconnect
    expect(requests()).toBe(2);
    expect(new Set(authorizations())).toEqual(new Set([`Bearer ${CANARY}`]));
    await expectNoProcessLeft(home);
  });

  it('fails with a stream error when the provider sends malformed SSE', async () => {
    const malformed = [
      'data: {"type":"response.created","response":{"id":\n\n',
      'event: response.output_text.delta\ndata: \u0000\u0001\u0002 not json\n\n',
      'retry: banana\nid\n: comment only\n\n',
      'data: [1,2,3]\n\n',
      'data: {"type":"response.output_text.delta","delta":42}\n\n',
    ].join('');
    const { home, requests, authorizations } = await setup({ kind: 'sse', events: malformed });

    const result = await runExec(home);

    expectFailure(result, 'stream disconnected before completion');
    // stream_max_retries = 1: the request, then one reconnect
    expect(requests()).toBe(2);
    expect(new Set(authorizations())).toEqual(new Set([`Bearer ${CANARY}`]));
    await expectNoProcessLeft(home);
  });

  it('fails with the idle timeout when the provider goes silent mid-stream', async () => {
    const { home, requests, authorizations } = await setup(
      { kind: 'sse', events: [responseEvents.created()], hangAfterEvents: true },
      { streamIdleTimeoutMs: 300 },
    );

    const result = await runExec(home);

    expectFailure(result, 'idle timeout waiting for SSE');
    // stream_max_retries = 1: the request, then one reconnect
    expect(requests()).toBe(2);
    expect(new Set(authorizations())).toEqual(new Set([`Bearer ${CANARY}`]));
    await expectNoProcessLeft(home);
  });

  it('fails in bounded time when the provider accepts the request and never answers', async () => {
    const { home, requests, authorizations } = await setup(
      { kind: 'hang' },
      { streamIdleTimeoutMs: 300 },
    );

    const result = await runExec(home);

    expectFailure(result, 'stream disconnected before completion');
    // no headers within the idle timeout is a transport error: 1 + request_max_retries attempts, and the
    // turn does not retry a request that spent its retries (improvement 14)
    expect(requests()).toBe(2);
    expect(new Set(authorizations())).toEqual(new Set([`Bearer ${CANARY}`]));
    await expectNoProcessLeft(home);
  });

  it('fails with the 401 after one refresh when the provider answers 401 forever', async () => {
    const { home, requests, authorizations } = await setup(
      { kind: 'status', status: 401, body: { error: { message: 'token rejected' } } },
      { requestMaxRetries: 0, streamMaxRetries: 0 },
    );

    const result = await runExec(home);

    expectFailure(result, 'unexpected status 401 Unauthorized: token rejected');
    // a bounded 401 budget (improvement 3): the first request, one refresh, one resend
    expect(requests()).toBe(2);
    expect(authorizations()).toEqual([`Bearer ${CANARY}`, `Bearer ${CANARY}-2`]);
    await expectNoProcessLeft(home, 2);
  });

  it('gives up after request_max_retries when the provider answers 500 forever', async () => {
    const { home, requests, authorizations } = await setup(
      { kind: 'status', status: 500, body: { error: { message: 'boom' } } },
      { requestMaxRetries: 1, streamMaxRetries: 1 },
    );

    const result = await runExec(home);

    expectFailure(result, /500|high demand/);
    // request_max_retries = 1: the request and one retry; no second layer at the turn (improvement 14)
    expect(requests()).toBe(2);
    expect(new Set(authorizations())).toEqual(new Set([`Bearer ${CANARY}`]));
    await expectNoProcessLeft(home);
  });

  // Request timestamps are recorded by the server and the exit time right after the process ends: the
  // bound holds however slowly codex starts, and sleeping for the header would break it by far.
  it.each([
    ['Retry-After seconds', { 'retry-after': '99999999' }, 1],
    ['Retry-After date', { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' }, 1],
    ['retry-after-ms', { 'retry-after-ms': '1e15' }, 1],
    ['a negative Retry-After', { 'retry-after': '-5' }, 2],
    ['a garbage Retry-After', { 'retry-after': 'soon, maybe' }, 2],
  ])('does not sleep for an absurd %s on a 429', async (_name, headers, expectedRequests) => {
    const { home, requests, receivedAtMs, authorizations } = await setup(
      { kind: 'status', status: 429, body: { error: { message: 'slow down' } }, headers },
      { requestMaxRetries: 1, streamMaxRetries: 0 },
    );

    const result = await runExec(home);
    const exitedAtMs = performance.now();

    expectFailure(result, /429/);
    // over 60 s: report at once without a retry; negative or garbage: the 200 ms backoff, once
    expect(requests()).toBe(expectedRequests);
    const [first = Number.NaN, second] = receivedAtMs();
    if (second !== undefined) expect(second - first).toBeLessThan(2_000);
    expect(exitedAtMs - first).toBeLessThan(4_000);
    expect(new Set(authorizations())).toEqual(new Set([`Bearer ${CANARY}`]));
    await expectNoProcessLeft(home);
  });
});
