import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { parseResponsesSse, type ResponseEvent, StreamError, TurnAbortedError } from '@codex/core';
import { completedEvents, responseEvents, toSseFrame } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { parseResponsesSseBatches } from '../src/response-stream.ts';

async function collect(
  source: AsyncIterable<Uint8Array | string>,
  options: Parameters<typeof parseResponsesSse>[1] = {},
): Promise<ResponseEvent[]> {
  const events: ResponseEvent[] = [];
  for await (const event of parseResponsesSse(source, options)) events.push(event);
  return events;
}

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

const frames = (...events: unknown[]) => events.map(toSseFrame).join('');

describe('what follows the end of a turn', () => {
  it('drops events after response.completed in the same chunk', async () => {
    const events = await collect(
      chunks(frames(...completedEvents('hi'), responseEvents.textDelta('late'))),
    );

    expect(events.at(-1)?.type).toBe('completed');
    expect(events.filter((event) => event.type === 'output_text_delta')).toHaveLength(2);
  });

  it('fails with the first failure, dropping the events after it', async () => {
    const seen: ResponseEvent[] = [];
    const source = chunks(
      frames(
        responseEvents.failed('server_error', 'first'),
        responseEvents.textDelta('after'),
        responseEvents.failed('server_error', 'second'),
      ),
    );

    const error = await (async () => {
      for await (const event of parseResponsesSse(source)) seen.push(event);
    })().catch((caught: unknown) => caught);

    expect((error as Error).message).toBe('stream disconnected before completion: first');
    expect(seen).toEqual([]);
  });
});

describe('releasing the source', () => {
  it('destroys a stream it stops reading after response.completed', async () => {
    const stream = new PassThrough();
    stream.write(frames(...completedEvents('hi')));

    const events = await collect(stream, { idleTimeoutMs: 5000 });

    expect(events.at(-1)?.type).toBe('completed');
    expect(stream.destroyed).toBe(true);
  });

  it('ends a generator it stops reading after response.completed', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<string> {
      try {
        yield frames(...completedEvents('hi'));
        yield frames(responseEvents.textDelta('never read'));
      } finally {
        finished = true;
      }
    }

    await collect(source());

    expect(finished).toBe(true);
  });

  it('yields no empty batches for chunks without events', async () => {
    const batches: ResponseEvent[][] = [];

    for await (const batch of parseResponsesSseBatches(
      chunks(
        ': keep-alive\n\n',
        frames(responseEvents.created()),
        ': x\n\n',
        frames(responseEvents.completed()),
      ),
    )) {
      batches.push(batch);
    }

    expect(batches.map((batch) => batch.map((event) => event.type))).toEqual([
      ['created'],
      ['completed'],
    ]);
  });
});

describe('timeouts and failures of the source', () => {
  it('has no idle timeout unless asked for one', async () => {
    async function* slow(): AsyncGenerator<string> {
      yield frames(responseEvents.created());
      // a slow server: the next chunk comes later than any timer of a few ms
      await delay(50);
      yield frames(responseEvents.completed());
    }

    const events = await collect(slow());

    expect(events.map((event) => event.type)).toEqual(['created', 'completed']);
  });

  it('reports a broken source with its message and cause', async () => {
    const broken = new Error('socket hang up');
    async function* source(): AsyncGenerator<string> {
      yield frames(responseEvents.created());
      throw broken;
    }

    const error = await collect(source()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).message).toBe(
      'stream disconnected before completion: socket hang up',
    );
    expect((error as StreamError).cause).toBe(broken);
  });

  it('reports a source that fails after an abort as TurnAbortedError with the reason', async () => {
    const controller = new AbortController();
    async function* source(): AsyncGenerator<string> {
      yield frames(responseEvents.created());
      controller.abort('user pressed Ctrl-C');
      throw new Error('aborted');
    }

    const error = await collect(source(), { signal: controller.signal }).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(TurnAbortedError);
    expect((error as TurnAbortedError).cause).toBe('user pressed Ctrl-C');
  });
});
