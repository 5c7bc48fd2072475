import { PassThrough } from 'node:stream';
import {
  ContextWindowExceededError,
  CyberPolicyError,
  InvalidRequestError,
  parseResponsesSse,
  QuotaExceededError,
  type ResponseEvent,
  ServerOverloadedError,
  StreamError,
  UsageNotIncludedError,
} from '@codex/core';
import { completedEvents, responseEvents, toSseFrame } from '@codex/test-support';
import { describe, expect, it } from 'vitest';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for (const part of parts) yield encoder.encode(part);
}

async function collect(source: AsyncIterable<Uint8Array | string>): Promise<ResponseEvent[]> {
  const events: ResponseEvent[] = [];
  for await (const event of parseResponsesSse(source)) events.push(event);
  return events;
}

describe('parseResponsesSse', () => {
  it('parses frames split across chunks and stops after response.completed', async () => {
    const text = completedEvents('hi').map(toSseFrame).join('');
    const split = [
      text.slice(0, 7),
      text.slice(7, 50),
      text.slice(50),
      toSseFrame(responseEvents.textDelta('late')),
    ];

    const events = await collect(chunks(...split));

    expect(events.map((event) => event.type)).toEqual([
      'created',
      'output_text_delta',
      'output_text_delta',
      'output_item_done',
      'completed',
    ]);
  });

  it('skips data that is not JSON and event types it does not know', async () => {
    const events = await collect(
      chunks(
        'data: not json\n\n',
        toSseFrame({ type: 'response.in_progress' }),
        toSseFrame({ type: 'response.reasoning_summary_text.delta', delta: 'r', summary_index: 0 }),
        toSseFrame({ type: 'response.reasoning_text.delta', delta: 'x', content_index: 1 }),
        toSseFrame({ type: 'response.function_call_arguments.delta', delta: '{', item_id: 'fc_1' }),
        toSseFrame(responseEvents.completed('resp_2', null)),
      ),
    );

    expect(events).toEqual([
      { type: 'reasoning_summary_delta', delta: 'r', summaryIndex: 0 },
      { type: 'reasoning_content_delta', delta: 'x', contentIndex: 1 },
      { type: 'tool_call_input_delta', delta: '{', itemId: 'fc_1', callId: null },
      { type: 'completed', responseId: 'resp_2', usage: null, endTurn: null },
    ]);
  });

  it('fails when the stream ends before response.completed', async () => {
    await expect(collect(chunks(toSseFrame(responseEvents.created())))).rejects.toThrow(
      'stream disconnected before completion: stream closed before response.completed',
    );
  });

  it('fails on an unparsable response.completed', async () => {
    await expect(
      collect(chunks(toSseFrame({ type: 'response.completed', response: {} }))),
    ).rejects.toThrow(
      /^stream disconnected before completion: failed to parse ResponseCompleted: /,
    );
  });

  it('reports response.incomplete with its reason', async () => {
    await expect(
      collect(chunks(toSseFrame(responseEvents.incomplete('max_output_tokens')))),
    ).rejects.toThrow(
      'stream disconnected before completion: Incomplete response returned, reason: max_output_tokens',
    );
  });

  it.each([
    [
      'context_length_exceeded',
      ContextWindowExceededError,
      "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
    ],
    [
      'insufficient_quota',
      QuotaExceededError,
      'Quota exceeded. Check your plan and billing details.',
    ],
    [
      'usage_not_included',
      UsageNotIncludedError,
      'To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.',
    ],
    [
      'server_is_overloaded',
      ServerOverloadedError,
      'Selected model is at capacity. Please try a different model.',
    ],
    [
      'slow_down',
      ServerOverloadedError,
      'Selected model is at capacity. Please try a different model.',
    ],
    ['invalid_prompt', InvalidRequestError, 'bad prompt'],
    ['cyber_policy', CyberPolicyError, 'bad prompt'],
    ['server_error', StreamError, 'stream disconnected before completion: bad prompt'],
  ] as const)('maps response.failed %s to upstream text', async (code, errorClass, message) => {
    const error = await collect(
      chunks(toSseFrame(responseEvents.failed(code, 'bad prompt'))),
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toBe(message);
  });

  it('reports response.failed without an error object', async () => {
    await expect(
      collect(chunks(toSseFrame({ type: 'response.failed', response: { id: 'r' } }))),
    ).rejects.toThrow('stream disconnected before completion: response.failed event received');
  });

  it('fails with upstream text when no chunk arrives within the idle timeout', async () => {
    async function* stalled(): AsyncGenerator<string> {
      yield toSseFrame(responseEvents.created());
      await new Promise(() => {});
    }

    const error = await (async () => {
      for await (const _event of parseResponsesSse(stalled(), { idleTimeoutMs: 20 })) {
        // drain
      }
    })().catch((caught: unknown) => caught);

    expect((error as Error).message).toBe(
      'stream disconnected before completion: idle timeout waiting for SSE',
    );
  });

  it('reads the event-stream line rules: CRLF, CR (also split across chunks), comments, several data lines', async () => {
    const delta = (text: string) => JSON.stringify(responseEvents.textDelta(text));
    const completed = JSON.stringify(responseEvents.completed('resp_lines'));
    const events = await collect(
      chunks(
        ': a comment\r\n',
        `event: response.output_text.delta\r\ndata: ${delta('crlf')}\r\n\r\n`,
        `data:${delta('no space')}\r`,
        `\r`, // CR CR: the line ends, then a blank line ends the event
        `data: ${delta('split cr').slice(0, 10)}`,
        `${delta('split cr').slice(10)}\r`,
        '\n\n', // CRLF split across chunks, then LF: one blank line
        'data: {"type": "response.output_text.delta",\ndata: "delta": "two lines"}\n\n',
        'id: 7\nretry: 10\ndata\n\n', // a data field without a value: not JSON, skipped
        `data: ${completed}\n\n`,
      ),
    );

    expect(events).toEqual([
      { type: 'output_text_delta', delta: 'crlf' },
      { type: 'output_text_delta', delta: 'no space' },
      { type: 'output_text_delta', delta: 'split cr' },
      { type: 'output_text_delta', delta: 'two lines' },
      expect.objectContaining({ type: 'completed', responseId: 'resp_lines' }),
    ]);
  });

  it('delivers the events before a response.failed in the same chunk, then fails', async () => {
    const seen: ResponseEvent[] = [];
    const text = [
      responseEvents.created('resp_failed'),
      responseEvents.textDelta('partial'),
      responseEvents.failed('server_error', 'boom'),
    ]
      .map(toSseFrame)
      .join('');

    const error = await (async () => {
      for await (const event of parseResponsesSse(chunks(text))) seen.push(event);
    })().catch((caught: unknown) => caught);

    expect(seen.map((event) => event.type)).toEqual(['created', 'output_text_delta']);
    expect((error as Error).message).toContain('boom');
  });

  it('fails with the idle-timeout text on a stream that stalls, and destroys it', async () => {
    const stream = new PassThrough();
    stream.write(toSseFrame(responseEvents.created()));

    const error = await (async () => {
      for await (const _event of parseResponsesSse(stream, { idleTimeoutMs: 20 })) {
        // drain
      }
    })().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toBe(
      'stream disconnected before completion: idle timeout waiting for SSE',
    );
    expect(stream.destroyed).toBe(true);
  });

  it('keeps a multi-byte character whole when a chunk ends inside it', async () => {
    const bytes = new TextEncoder().encode(
      [responseEvents.textDelta('héllo 🙂'), responseEvents.completed('resp_utf8')]
        .map(toSseFrame)
        .join(''),
    );
    const emoji = bytes.indexOf(0xf0); // the first byte of the 4-byte emoji
    async function* split(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, emoji + 2);
      yield bytes.subarray(emoji + 2);
    }

    const events = await collect(split());

    expect(events[0]).toEqual({ type: 'output_text_delta', delta: 'héllo 🙂' });
  });
});
