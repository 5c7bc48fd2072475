import {
  codexVersion,
  createModelClient,
  InternalServerError,
  type ResponseEvent,
  StreamError,
  TurnAbortedError,
  UnexpectedStatusError,
  userMessage,
} from '@codex/core';
import { responseEvents, startResponsesServer } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { isTurnRetryable } from '../src/model-client.ts';
import { loadProviderConfig, recordingSleep, tomlString } from './helpers/provider-config.ts';

const turn = { input: [userMessage('hello')] };

function providerToml(url: string, extra = '') {
  return `base_url = ${tomlString(url)}\nstream_idle_timeout_ms = 5000\n${extra}`;
}

const functionCall = {
  type: 'response.output_item.done',
  item: { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
};

describe('the turn result', () => {
  it('falls back to the streamed deltas when no item arrived', async () => {
    await using server = await startResponsesServer();
    server.enqueue({
      kind: 'sse',
      events: [
        responseEvents.created('r'),
        responseEvents.textDelta('He'),
        responseEvents.textDelta('llo'),
        responseEvents.completed('r', null),
      ],
    });
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });

    const result = await client.runTurn(turn);

    expect(result).toEqual({ responseId: 'r', text: 'Hello', items: [], usage: null });
  });

  it('has no text when the items hold no assistant message, whatever the deltas said', async () => {
    await using server = await startResponsesServer();
    server.enqueue({
      kind: 'sse',
      events: [responseEvents.textDelta('ignored'), functionCall, responseEvents.completed('r')],
    });
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });

    const result = await client.runTurn(turn);

    expect(result.text).toBe('');
    expect(result.items).toEqual([functionCall.item]);
  });

  it("joins the last assistant message's output_text parts, skipping other parts and roles", async () => {
    const message = (role: string, content: unknown) => ({
      type: 'response.output_item.done',
      item: { type: 'message', role, content },
    });
    await using server = await startResponsesServer();
    server.enqueue({
      kind: 'sse',
      events: [
        message('assistant', [{ type: 'output_text', text: 'first' }]),
        message('assistant', [
          { type: 'output_text', text: 'A' },
          { type: 'refusal', refusal: 'no' },
          { type: 'output_text', text: 7 },
          null,
          'text',
          { type: 'output_text', text: 'B' },
        ]),
        message('user', [{ type: 'output_text', text: 'not the model' }]),
        message('assistant', 'not a list'),
        { type: 'response.output_item.done', item: { type: 'reasoning', role: 'assistant' } },
        responseEvents.completed('r'),
      ],
    });
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });

    const result = await client.runTurn(turn);

    expect(result.text).toBe('AB');
    expect(result.items).toHaveLength(5);
  });
});

describe('an onEvent that returns a promise', () => {
  it('holds the stream until it settles: the next event comes only after, and all in order', async () => {
    await using server = await startResponsesServer();
    server.enqueue({
      kind: 'sse',
      events: [
        responseEvents.created(),
        responseEvents.textDelta('a'),
        responseEvents.textDelta('b'),
        responseEvents.textDelta('c'),
        responseEvents.completed(),
      ],
    });
    const client = createModelClient({
      config: await loadProviderConfig(providerToml(server.url)),
      env: {},
    });
    const seen: string[] = [];
    let holding = false;
    let overlapped = false;

    await client.runTurn(turn, {
      onEvent: (event) => {
        if (holding) overlapped = true;
        seen.push(event.type === 'output_text_delta' ? event.delta : event.type);
        holding = true;
        // settles on a later turn of the event loop, after anything already queued
        return new Promise<void>((resolve) =>
          setImmediate(() => {
            holding = false;
            resolve();
          }),
        );
      },
    });

    expect(seen).toEqual(['created', 'a', 'b', 'c', 'completed']);
    expect(overlapped).toBe(false);
  });
});

describe('createModelClient stream', () => {
  it('yields each event of the request chain in order', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });
    const events: ResponseEvent[] = [];

    for await (const event of client.stream(turn)) events.push(event);

    // the default reply streams "ok" as two deltas
    expect(events.map((event) => event.type)).toEqual([
      'created',
      'output_text_delta',
      'output_text_delta',
      'output_item_done',
      'completed',
    ]);
  });

  it('throws the request error itself once the retries are spent', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 500, body: 'x' }));
    const config = await loadProviderConfig(providerToml(server.url, 'request_max_retries = 0'));
    const client = createModelClient({ config, env: {} });

    const error = await (async () => {
      for await (const _event of client.stream(turn)) {
        // drain
      }
    })().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InternalServerError);
  });

  it('throws a stream error as is', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'sse', events: [responseEvents.created()] }));
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });

    const error = await (async () => {
      for await (const _event of client.stream(turn)) {
        // drain
      }
    })().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
  });

  it('stops with TurnAbortedError when the signal fires while the body is read', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'sse',
      events: [responseEvents.created()],
      hangAfterEvents: true,
    }));
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });
    const controller = new AbortController();

    const error = await (async () => {
      for await (const _event of client.stream(turn, controller.signal)) controller.abort();
    })().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TurnAbortedError);
  });
});

describe('request identity', () => {
  it('sends the per-turn model and session id, else the client defaults', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {}, sessionId: 'session-default' });

    await client.runTurn({ ...turn, model: 'turn-model', sessionId: 'turn-session' });
    await client.runTurn(turn);

    const [first, second] = server.requests;
    expect(first?.body).toMatchObject({ model: 'turn-model', prompt_cache_key: 'turn-session' });
    expect(first?.headers['session_id']).toBe('turn-session');
    expect(second?.body).toMatchObject({
      model: 'test-model',
      prompt_cache_key: 'session-default',
    });
    expect(second?.headers).toMatchObject({
      session_id: 'session-default',
      'x-client-request-id': 'session-default',
    });
  });

  it('keeps one random session id for the client when none is given', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });
    const other = createModelClient({ config, env: {} });

    await client.runTurn(turn);
    await client.runTurn(turn);
    await other.runTurn(turn);

    const ids = server.requests.map((request) => request.headers['session_id']);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('names this package version in the User-Agent by default', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {}, originator: 'codex_cli_rs' });

    await client.runTurn(turn);

    expect(server.requests[0]?.headers['user-agent']).toMatch(
      new RegExp(`^codex_cli_rs/${codexVersion().replaceAll('.', '\\.')} \\(`),
    );
    expect(server.requests[0]?.headers['originator']).toBe('codex_cli_rs');
  });

  it.each([
    [{ CODEX_INTERNAL_ORIGINATOR_OVERRIDE: 'bad\nvalue' }, 'from_option', 'from_option'],
    [{ CODEX_INTERNAL_ORIGINATOR_OVERRIDE: '' }, 'from_option', 'from_option'],
    [{}, 'caf\u00e9', 'codex_exec'],
    [{ CODEX_INTERNAL_ORIGINATOR_OVERRIDE: 'with\ttab ok' }, 'x', 'with\ttab ok'],
  ])('skips an originator that cannot be a header (%j, %j)', async (env, originator, sent) => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env, originator });

    await client.runTurn(turn);

    expect(server.requests[0]?.headers['originator']).toBe(sent);
  });

  it('lets configured headers choose originator and User-Agent, never accept or content-type', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      providerToml(
        server.url,
        'http_headers = { originator = "mine", "User-Agent" = "agent/1", Accept = "text/plain", "Content-Type" = "text/plain", session_id = "ignored" }',
      ),
    );
    const client = createModelClient({ config, env: {}, sessionId: 's' });

    await client.runTurn(turn);

    expect(server.requests[0]?.headers).toMatchObject({
      originator: 'mine',
      'user-agent': 'agent/1',
      accept: 'text/event-stream',
      'content-type': 'application/json',
      session_id: 's',
    });
  });
});

describe('isTurnRetryable', () => {
  it('retries broken streams and server errors only', () => {
    const status = (code: number) =>
      new UnexpectedStatusError({ status: code, url: 'http://h', headers: {}, body: '' });

    expect(isTurnRetryable(new StreamError('cut'))).toBe(true);
    expect(isTurnRetryable(new InternalServerError())).toBe(true);
    expect(isTurnRetryable(status(500))).toBe(true);
    expect(isTurnRetryable(status(502))).toBe(true);
    expect(isTurnRetryable(status(499))).toBe(false);
    expect(isTurnRetryable(status(401))).toBe(false);
    expect(isTurnRetryable(new Error('other'))).toBe(false);
  });
});

describe('turn-level retries', () => {
  it('waits the backoff before each new try and stops at stream_max_retries', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'sse', events: [responseEvents.created()] }));
    const config = await loadProviderConfig(
      providerToml(server.url, 'request_max_retries = 0\nstream_max_retries = 1'),
    );
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep, random: () => 0 });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([180]);
  });
});

describe('the default wait between retries', () => {
  it('really waits the delay the server asked for', async () => {
    await using server = await startResponsesServer();
    server.enqueue({
      kind: 'status',
      status: 503,
      body: 'busy',
      headers: { 'retry-after-ms': '120' },
    });
    const config = await loadProviderConfig(providerToml(server.url, 'request_max_retries = 1'));
    const client = createModelClient({ config, env: {} });

    await client.runTurn(turn);

    const [first, second] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(100);
  });

  it('stops waiting when the turn is aborted', async () => {
    await using server = await startResponsesServer();
    // a minute's wait that only the abort can end within the test timeout
    server.respond(() => ({
      kind: 'status',
      status: 503,
      body: 'busy',
      headers: { 'retry-after-ms': '60000' },
    }));
    const config = await loadProviderConfig(providerToml(server.url, 'request_max_retries = 1'));
    const notices: string[] = [];
    const controller = new AbortController();
    const client = createModelClient({
      config,
      env: {},
      onNotice: (notice) => {
        notices.push(notice.type);
        if (notice.type === 'retrying_request') controller.abort();
      },
    });

    const error = await client
      .runTurn(turn, { signal: controller.signal })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TurnAbortedError);
    expect(notices).toEqual(['retrying_request']);
    expect(server.requests).toHaveLength(1);
  });
});
