import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  createExternalAuthBridge,
  DEFAULT_AUTH_REFRESH_TIMEOUT_MS,
  ExternalAuthRefreshError,
  formatDurationMs,
} from '../src/app-server/external-auth-bridge.ts';
import { createJsonRpcConnection } from '../src/app-server/json-rpc-connection.ts';

type Message = Record<string, unknown> & { id?: unknown; method?: string };

/** A real connection over in-memory pipes, with the client side readable line by line. */
function connect(onRequest = async (_method: string, _params: unknown): Promise<unknown> => ({})) {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const logs: string[] = [];
  const received: Message[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  createInterface({ input: toClient }).on('line', (line) => {
    received.push(JSON.parse(line) as Message);
    for (const waiter of waiters.filter((w) => received.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const connection = createJsonRpcConnection({
    input: toServer,
    output: toClient,
    onRequest,
    onNotification: () => {},
    log: (line) => logs.push(line),
    now: () => 1234,
  });
  return {
    connection,
    logs,
    received,
    send: (message: unknown) =>
      toServer.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`),
    end: () => toServer.end(),
    waitForMessages: (count: number) =>
      received.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

describe('createExternalAuthBridge', () => {
  it('asks the parent app and returns ChatGPT tokens with its metadata', async () => {
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection });

    const pending = bridge.refresh({ reason: 'unauthorized', previousAccountId: 'org-1' });
    await peer.waitForMessages(1);
    const request = peer.received[0] as Message;
    peer.send({
      id: request.id,
      result: { accessToken: 'new', chatgptAccountId: 'org-2', chatgptPlanType: 'team' },
    });
    const tokens = await pending;

    expect(bridge.authMode).toBe('chatgpt');
    expect(await bridge.resolve()).toBeNull();
    expect(request).toEqual({
      method: 'account/chatgptAuthTokens/refresh',
      id: 0,
      params: { reason: 'unauthorized', previousAccountId: 'org-1' },
    });
    expect(tokens.accessToken.reveal()).toBe('new');
    expect(tokens.chatgptMetadata).toEqual({ accountId: 'org-2', planType: 'team' });
  });

  it('maps a JSON-RPC error reply to upstream text', async () => {
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection });

    const pending = bridge.refresh({ reason: 'unauthorized', previousAccountId: null });
    await peer.waitForMessages(1);
    peer.send({ id: peer.received[0]?.id, error: { code: -32000, message: 'refresh failed' } });

    await expect(pending).rejects.toThrow(
      new ExternalAuthRefreshError(
        'auth refresh request failed: code=-32000 message=refresh failed',
      ),
    );
  });

  it('gives up after the timeout and ignores the late answer', async () => {
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection, timeoutMs: 50 });

    const outcome = bridge.refresh({ reason: 'unauthorized', previousAccountId: null });

    await expect(outcome).rejects.toThrow('auth refresh request timed out after 50ms');
    peer.send({ id: peer.received[0]?.id, result: { accessToken: 'late', chatgptAccountId: 'a' } });
    peer.end();
    await peer.connection.closed;
    expect(peer.logs).toContain('could not find callback for 0');
    expect(peer.connection.pendingRequestCount()).toBe(0);
  });

  it('waits 10 000 ms for the parent app by default, then fails with upstream`s "after 10s"', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection });
    const settled = vi.fn();

    const outcome = bridge.refresh({ reason: 'unauthorized', previousAccountId: null });
    outcome.then(settled, settled);
    await peer.waitForMessages(1);
    await vi.advanceTimersByTimeAsync(9_999);
    const settledBeforeDeadline = settled.mock.calls.length;
    await vi.advanceTimersByTimeAsync(1);

    expect(DEFAULT_AUTH_REFRESH_TIMEOUT_MS).toBe(10_000);
    expect(settledBeforeDeadline).toBe(0);
    expect(settled).toHaveBeenCalledOnce();
    await expect(outcome).rejects.toThrow('auth refresh request timed out after 10s');
    expect(peer.connection.pendingRequestCount()).toBe(0);
  });

  it('says upstream`s "after 10s" for the default timeout', () => {
    expect(formatDurationMs(10_000)).toBe('10s');
    expect(formatDurationMs(1_500)).toBe('1.5s');
    expect(formatDurationMs(250)).toBe('250ms');
  });

  it('rejects an answer that is not a ChatgptAuthTokensRefreshResponse', async () => {
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection });

    const pending = bridge.refresh({ reason: 'unauthorized', previousAccountId: null });
    await peer.waitForMessages(1);
    peer.send({ id: peer.received[0]?.id, result: { accessToken: 'only-a-token' } });

    await expect(pending).rejects.toThrow(/invalid auth refresh response at chatgptAccountId/);
  });

  it('fails as canceled when the parent app closes the connection', async () => {
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection });

    const pending = bridge.refresh({ reason: 'unauthorized', previousAccountId: null });
    await peer.waitForMessages(1);
    peer.end();

    await expect(pending).rejects.toThrow('auth refresh request canceled: channel closed');
  });

  it('sends one request for concurrent refreshes of the same token, and reuses its answer (improvement 4)', async () => {
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection });
    const context = {
      reason: 'unauthorized',
      previousAccountId: 'org',
      rejectedToken: 'old',
    } as const;

    const all = Array.from({ length: 20 }, () => bridge.refresh(context));
    await peer.waitForMessages(1);
    peer.send({ id: 0, result: { accessToken: 'new', chatgptAccountId: 'org' } });
    const tokens = await Promise.all(all);
    const later = await bridge.refresh(context);

    expect(new Set(tokens.map((t) => t.accessToken.reveal()))).toEqual(new Set(['new']));
    expect(later.accessToken.reveal()).toBe('new');
    expect(bridge.requestCount).toBe(1);
    expect(peer.received).toHaveLength(1);
  });

  it('asks again for a newer rejected token or after reset', async () => {
    const peer = connect();
    const bridge = createExternalAuthBridge({ connection: peer.connection });
    const answer = async (count: number, token: string) => {
      await peer.waitForMessages(count);
      peer.send({
        id: peer.received[count - 1]?.id,
        result: { accessToken: token, chatgptAccountId: 'org' },
      });
    };

    const first = bridge.refresh({
      reason: 'unauthorized',
      previousAccountId: 'org',
      rejectedToken: 'a',
    });
    await answer(1, 'b');
    await first;
    const second = bridge.refresh({
      reason: 'unauthorized',
      previousAccountId: 'org',
      rejectedToken: 'b',
    });
    await answer(2, 'c');
    bridge.reset();
    const third = bridge.refresh({
      reason: 'unauthorized',
      previousAccountId: 'org',
      rejectedToken: 'b',
    });
    await answer(3, 'd');

    expect((await second).accessToken.reveal()).toBe('c');
    expect((await third).accessToken.reveal()).toBe('d');
    expect(bridge.requestCount).toBe(3);
  });
});

describe('createJsonRpcConnection', () => {
  it('speaks upstream`s wire format: no "jsonrpc" member, notifications carry emittedAtMs', async () => {
    const peer = connect(async (method) => ({ echoed: method }));

    peer.send({ id: 'a', method: 'ping' });
    peer.connection.notify('account/updated', { authMode: null, planType: null });
    await peer.waitForMessages(2);

    expect(peer.received).toContainEqual({ id: 'a', result: { echoed: 'ping' } });
    expect(peer.received).toContainEqual({
      method: 'account/updated',
      params: { authMode: null, planType: null },
      emittedAtMs: 1234,
    });
  });

  it('answers other requests while one waits on the network or the parent app (concurrent handlers)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const peer = connect(async (method) => {
      if (method === 'slow') await gate;
      return { method };
    });

    peer.send({ id: 1, method: 'slow' });
    peer.send({ id: 2, method: 'fast' });
    peer.send('[1, 2]');
    peer.send({ id: 3.5, method: 'x' });
    peer.send({ id: 4, method: 7 });
    peer.send({ id: 5 });
    // every other message is answered while `slow` still waits
    await peer.waitForMessages(5);
    expect(peer.received).toHaveLength(5);
    expect(peer.received).toEqual(
      expect.arrayContaining([
        { id: 2, result: { method: 'fast' } },
        { error: { code: -32600, message: 'Invalid request: expected a JSON object' }, id: null },
        {
          error: { code: -32600, message: 'Invalid request: id must be a string or an integer' },
          id: null,
        },
        { error: { code: -32600, message: 'Invalid request: method must be a string' }, id: 4 },
        {
          error: {
            code: -32600,
            message: 'Invalid request: not a JSON-RPC request, notification or response',
          },
          id: 5,
        },
      ]),
    );

    release();
    await peer.waitForMessages(6);
    expect(peer.received[5]).toEqual({ id: 1, result: { method: 'slow' } });
  });

  it('answers a line over the length cap with a JSON-RPC error and keeps serving', async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const logs: string[] = [];
    createJsonRpcConnection({
      input: toServer,
      output: toClient,
      onRequest: async (method) => ({ method }),
      onNotification: () => {},
      log: (line) => logs.push(line),
      maxLineBytes: 1024,
    });
    const lines = createInterface({ input: toClient })[Symbol.asyncIterator]();
    // the long line arrives in pieces, without its newline for a while: never buffered past the cap
    toServer.write(`{"id":1,"method":"${'x'.repeat(800)}`);
    toServer.write(`${'y'.repeat(800)}`);
    toServer.write('"}\n{"id":2,"method":"next"}\n');

    const first = JSON.parse(String((await lines.next()).value)) as Message;
    const second = JSON.parse(String((await lines.next()).value)) as Message;
    expect(first).toEqual({
      error: {
        code: -32600,
        message: expect.stringMatching(
          /^Invalid request: message too large \(\d+ bytes; the limit is 1024\)$/,
        ),
      },
      id: null,
    });
    expect(logs.join('\n')).not.toContain('xxxx');
    expect(second).toEqual({ id: 2, result: { method: 'next' } });
  });

  it('survives deeply nested JSON: a parse error, then the next request is answered', async () => {
    const peer = connect(async (method) => ({ method }));
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

    peer.send(deep);
    peer.send(`{"id":9,"error":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`);
    peer.send({ id: 3, method: 'after' });
    await peer.waitForMessages(3);

    expect(
      peer.received.slice(0, 2).map((message) => (message['error'] as Message)['message']),
    ).toEqual([
      'Parse error: recursion limit exceeded (nesting deeper than 128)',
      'Parse error: recursion limit exceeded (nesting deeper than 128)',
    ]);
    expect(peer.received[2]).toEqual({ id: 3, result: { method: 'after' } });
  });

  it('holds requests, then stops reading input, while the parent app does not read its output (backpressure)', async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough({ highWaterMark: 1024 });
    createJsonRpcConnection({
      input: toServer,
      output: toClient,
      onRequest: async () => ({ padding: 'p'.repeat(200) }),
      onNotification: () => {},
      log: () => {},
    });
    // requests of ~1 KiB: the server holds up to 1 MiB of them unanswered, then pauses its input
    const total = 4000;
    const pad = 'q'.repeat(1000);
    let written = 0;
    // one request per turn of the event loop, until a write fails while the server has paused its input
    while (written < total) {
      written += 1;
      const accepted = toServer.write(`{"id":${written},"method":"m","params":{"pad":"${pad}"}}\n`);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!accepted && toServer.isPaused()) break;
    }
    expect(toServer.isPaused()).toBe(true);
    expect(written).toBeLessThan(total);
    // bounded: the server's unread output is a few answers over the mark, not one per request written
    expect(toClient.writableLength).toBeLessThan(64 * 1024);

    // the parent app reads again: the server resumes and every request written is answered
    const lines = createInterface({ input: toClient });
    const ids = new Set<unknown>();
    await new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        ids.add((JSON.parse(line) as Message).id);
        if (ids.size === written) resolve();
      });
    });
    expect(ids.size).toBe(written);
  });

  it('sees the end of its input while the parent app is not reading its output, and answers what came before', async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough({ highWaterMark: 1024 });
    const connection = createJsonRpcConnection({
      input: toServer,
      output: toClient,
      onRequest: async () => ({ padding: 'p'.repeat(4096) }), // one answer fills the output
      onNotification: () => {},
      log: () => {},
    });
    toServer.write('{"id":1,"method":"m"}\n');
    await new Promise<void>((resolve) => setImmediate(resolve));
    toServer.end('{"id":2,"method":"m"}\n'); // sent while the output is full, then the parent closes stdin

    await connection.closed;
    await connection.idle();
    const ids = (toClient.read() as Buffer)
      .toString()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as Message).id);
    expect(ids).toEqual([1, 2]);
  });

  it('turns a handler crash into -32603 and keeps serving', async () => {
    const peer = connect(async (method) => {
      if (method === 'boom') throw new Error('kaboom');
      return {};
    });

    peer.send({ id: 1, method: 'boom' });
    peer.send({ id: 2, method: 'ok' });
    await peer.waitForMessages(2);

    expect(peer.received).toEqual([
      { error: { code: -32603, message: 'kaboom' }, id: 1 },
      { id: 2, result: {} },
    ]);
  });
});
