// How src/response-stream.ts paces its source: the idle timeout counts silence only, a consumer that stops
// taking batches stops the source, and one event larger than the pause threshold still arrives.
import { setTimeout as delay } from 'node:timers/promises';
import { type ResponseEvent, StreamError } from '@codex/core';
import { responseEvents, toSseFrame } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { parseResponsesSseBatches } from '../src/response-stream.ts';

const frame = (event: unknown) => toSseFrame(event);

async function types(source: AsyncIterable<string>, idleTimeoutMs?: number): Promise<string[]> {
  const seen: string[] = [];
  const options = idleTimeoutMs === undefined ? {} : { idleTimeoutMs };
  for await (const batch of parseResponsesSseBatches(source, options)) {
    for (const event of batch) seen.push(event.type);
  }
  return seen;
}

describe('the idle timeout', () => {
  it('counts only silence: events that keep coming within it keep the stream alive past it', async () => {
    async function* steady(): AsyncGenerator<string> {
      yield frame(responseEvents.created());
      for (let index = 0; index < 5; index += 1) {
        await delay(40); // 5 x 40 ms: longer in all than the 100 ms timeout, never silent that long
        yield frame(responseEvents.textDelta(`part ${index}`));
      }
      yield frame(responseEvents.completed());
    }

    const seen = await types(steady(), 100);

    expect(seen.at(-1)).toBe('completed');
    expect(seen.filter((type) => type === 'output_text_delta')).toHaveLength(5);
  });

  it('fails with upstream text after a silence longer than it, following earlier chunks', async () => {
    async function* stalls(): AsyncGenerator<string> {
      yield frame(responseEvents.created());
      await delay(30);
      yield frame(responseEvents.textDelta('then silence'));
      await new Promise(() => undefined); // never again
    }

    const error = await types(stalls(), 80).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toBe(
      'stream disconnected before completion: idle timeout waiting for SSE',
    );
  });
});

describe('pacing the source', () => {
  it('stops pulling from a source while its consumer holds a batch, and releases it at return()', async () => {
    let pulled = 0;
    let finished = false;
    async function* endless(): AsyncGenerator<string> {
      try {
        yield frame(responseEvents.created());
        for (;;) {
          pulled += 1;
          yield frame(responseEvents.textDelta('x'.repeat(1000)));
        }
      } finally {
        finished = true;
      }
    }
    const batches = parseResponsesSseBatches(endless());

    const first = await batches.next();
    // the consumer now holds its batch; let the source run as far as it is allowed to
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    const pulledWhileHeld = pulled;
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));

    expect(first.done).toBe(false);
    // ~64 KiB of decoded text waits at most (plus the chunk that crossed it): 1 KiB deltas, so < 100
    expect(pulledWhileHeld).toBeLessThan(100);
    expect(pulled).toBe(pulledWhileHeld);
    await batches.return(undefined);
    expect(finished).toBe(true);
  });

  it('keeps reading an event larger than the pause threshold, split over many chunks', async () => {
    const big = frame(responseEvents.textDelta('y'.repeat(300 * 1024)));
    async function* pieces(): AsyncGenerator<string> {
      yield frame(responseEvents.created());
      for (let offset = 0; offset < big.length; offset += 1024)
        yield big.slice(offset, offset + 1024);
      yield frame(responseEvents.completed());
    }
    const events: ResponseEvent[] = [];

    for await (const batch of parseResponsesSseBatches(pieces())) events.push(...batch);

    expect(events.map((event) => event.type)).toEqual([
      'created',
      'output_text_delta',
      'completed',
    ]);
    expect(events[1]?.type === 'output_text_delta' && events[1].delta.length).toBe(300 * 1024);
  });
});

describe('what the idle timeout counts', () => {
  it('fails a stream that sends only comments: keep-alive lines are not events (as upstream)', async () => {
    async function* ticks(): AsyncGenerator<string> {
      yield frame(responseEvents.created());
      for (;;) {
        await delay(20);
        yield ': keep-alive\n\n';
      }
    }

    const error = await types(ticks(), 100).catch((caught: unknown) => caught);

    expect((error as Error).message).toBe(
      'stream disconnected before completion: idle timeout waiting for SSE',
    );
  });

  it('does not count the time a consumer holds a batch while the source waits for it', async () => {
    async function* plenty(): AsyncGenerator<string> {
      yield frame(responseEvents.created());
      // far more than the 64 KiB the source may run ahead, so it is paused while the batch is held
      for (let index = 0; index < 200; index += 1) {
        yield frame(responseEvents.textDelta('x'.repeat(1000)));
      }
      yield frame(responseEvents.completed());
    }
    let deltas = 0;
    let held = false;

    for await (const batch of parseResponsesSseBatches(plenty(), { idleTimeoutMs: 100 })) {
      if (!held) {
        held = true;
        await delay(250); // a slow consumer: longer than the timeout
      }
      deltas += batch.filter((event) => event.type === 'output_text_delta').length;
    }

    expect(deltas).toBe(200);
  });
});
