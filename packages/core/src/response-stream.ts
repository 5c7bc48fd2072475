import { StringDecoder } from 'node:string_decoder';
import { StreamError, TurnAbortedError } from './errors.ts';
import { errorText, type ResponseEvent, toResponseEvent } from './response-events.ts';
import { createSseDataParser } from './sse-parser.ts';

/** Options for {@link parseResponsesSse}. */
export interface ParseResponsesSseOptions {
  /**
   * Fail with `idle timeout waiting for SSE` when no event arrives for this long, in ms (comments do not count
   * as events; the time a consumer holds a batch does not count as silence).
   */
  readonly idleTimeoutMs?: number;
  /** When it fires, a source error is reported as {@link TurnAbortedError}. */
  readonly signal?: AbortSignal;
}

/**
 * A body that hands over its chunks as they arrive (the request path's `ResponseBody`, see
 * http-transport.ts). Any other async iterable is read into one by {@link pumped}.
 */
export interface ChunkSource {
  /**
   * Calls `onChunk` with each chunk, in order; `onChunk` returns false to stop the flow until
   * {@link resume}. Resolves at the end of the body, rejects with its error (or the one given to `destroy`).
   */
  listen(onChunk: (chunk: Uint8Array | string) => boolean): Promise<void>;
  resume(): void;
  /** Stops the body; `listen`'s promise rejects with `error`. */
  destroy(error?: Error): void;
  /** Reads the rest of the body and drops it (a keep-alive connection stays usable). */
  dump?(): Promise<void>;
}

/** The longest delay Node's timers take (~24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** How long a body may take to end after `response.completed` before it is destroyed. */
const BODY_END_WAIT_MS = 1000;

/** Decoded text that may wait, with events the consumer has not taken, before the source is paused. */
const PENDING_TEXT_LIMIT = 64 * 1024;

function isChunkSource(source: object): source is ChunkSource {
  return typeof (source as { listen?: unknown }).listen === 'function';
}

/** Reads an async iterable (a Node stream, a generator) into the {@link ChunkSource} form. */
function pumped(source: AsyncIterable<Uint8Array | string>): ChunkSource {
  const iterator = source[Symbol.asyncIterator]();
  const destroyable = source as { destroy?: (error?: Error) => void };
  let stopped = false;
  let paused = false;
  let wakePump: (() => void) | null = null;
  let stop: ((error: Error) => void) | null = null;
  return {
    listen(onChunk) {
      return new Promise<void>((resolve, reject) => {
        stop = reject;
        const pump = async (): Promise<void> => {
          for (;;) {
            if (paused) await new Promise<void>((wake) => (wakePump = wake));
            if (stopped) return;
            const result = await iterator.next();
            if (stopped) return;
            if (result.done === true) {
              stopped = true;
              resolve();
              return;
            }
            paused = !onChunk(result.value);
          }
        };
        pump().catch((error: unknown) => {
          stopped = true;
          reject(error);
        });
      });
    },
    resume() {
      paused = false;
      wakePump?.();
      wakePump = null;
    },
    destroy(error) {
      if (stopped) return;
      stopped = true;
      stop?.(error ?? new Error('source destroyed'));
      wakePump?.();
      // a pending read would keep a generator's return() waiting; a stream is destroyed instead (with no
      // error when it is only released, so it emits none)
      if (typeof destroyable.destroy === 'function') destroyable.destroy(error);
      // Stryker disable next-line OptionalChaining: an async iterator's return() gives a promise
      else void iterator.return?.()?.catch(() => undefined);
    },
  };
}

/**
 * The events of a Responses API SSE body, one array per wake-up of the consumer (the batched form of
 * {@link parseResponsesSse}: a consumer pays one await per burst of chunks, not one per event). Chunks are
 * decoded and parsed as they arrive; the consumer takes what has been parsed. The last array ends with
 * `completed`.
 * @throws {StreamError} as {@link parseResponsesSse}
 */
export async function* parseResponsesSseBatches(
  input: AsyncIterable<Uint8Array | string> | ChunkSource,
  { idleTimeoutMs, signal }: ParseResponsesSseOptions = {},
): AsyncGenerator<ResponseEvent[], void, undefined> {
  const source = isChunkSource(input) ? input : pumped(input);
  let batch: ResponseEvent[] = [];
  let pendingText = 0;
  let completed = false;
  // an event that ends the stream with an error; the events before it are delivered first
  let failure = null as { error: unknown } | null;
  let broken = null as { error: unknown } | null; // the source failed (or was destroyed)
  let ended = false;
  let wake: (() => void) | null = null;
  const wakeConsumer = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const parser = createSseDataParser((data) => {
    lastActivity = nowMs(); // an event, as upstream's timeout counts: comments and partial events do not
    if (completed || failure !== null) return; // nothing after the end belongs to the turn
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
      // Stryker disable next-line BlockStatement: without the return, `parsed` stays undefined and toResponseEvent(undefined) is null, which is skipped too
    } catch {
      return; // upstream skips frames that are not JSON
    }
    let event: ResponseEvent | null;
    try {
      event = toResponseEvent(parsed);
    } catch (error) {
      failure = { error };
      return;
    }
    if (event === null) return;
    batch.push(event);
    if (event.type === 'completed') completed = true;
  });
  // StringDecoder: Node 20's TextDecoder in streaming mode takes ICU's slow path (~4x slower here)
  const decoder = new StringDecoder('utf8');
  // The idle timeout: one timer per turn, re-armed when it fires (refreshing a Node timer for every chunk cost
  // ~1% of a 64 KiB turn); each event notes the time. It counts only while the stream owes us an event: not
  // while the consumer holds a batch (the source may be paused for it). process.uptime() is monotonic and,
  // unlike the global `performance`, loads nothing (perf_hooks is 9 built-in modules).
  const nowMs = (): number => process.uptime() * 1000;
  // Node's timers take at most 2^31-1 ms and fire after 1 ms beyond it
  const idleLimitMs =
    idleTimeoutMs === undefined ? undefined : Math.min(idleTimeoutMs, 2_147_483_647);
  let lastActivity = nowMs();
  let holding = false; // the consumer has a batch
  let timer: NodeJS.Timeout | undefined;
  const checkIdle = (): void => {
    if (holding) lastActivity = nowMs();
    const idleMs = nowMs() - lastActivity;
    if (idleLimitMs !== undefined && idleMs < idleLimitMs) {
      timer = setTimeout(checkIdle, idleLimitMs - idleMs);
    } else {
      source.destroy(new StreamError('idle timeout waiting for SSE'));
    }
  };
  if (idleLimitMs !== undefined) timer = setTimeout(checkIdle, idleLimitMs);
  const onChunk = (chunk: Uint8Array | string): boolean => {
    if (completed || failure !== null) return true;
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    parser.feed(text);
    pendingText += text.length;
    if (batch.length === 0 && failure === null) return true; // no event complete yet: read on
    wakeConsumer();
    return pendingText < PENDING_TEXT_LIMIT;
  };
  source.listen(onChunk).then(
    () => {
      ended = true;
      wakeConsumer();
    },
    (error: unknown) => {
      broken = { error };
      wakeConsumer();
    },
  );
  try {
    for (;;) {
      if (batch.length === 0 && failure === null && broken === null && !ended) {
        lastActivity = nowMs(); // waiting for the stream starts now
        await new Promise<void>((resolve) => (wake = resolve));
      }
      // a turn that was cancelled gets no more events
      if (broken !== null && signal?.aborted) throw new TurnAbortedError({ cause: signal.reason });
      if (batch.length > 0) {
        const events = batch;
        const last = completed; // `completed` ends the batch it is in; later chunks add nothing
        batch = [];
        pendingText = 0;
        holding = true;
        try {
          yield events;
        } finally {
          holding = false;
          lastActivity = nowMs();
        }
        if (last) return;
        source.resume();
        continue; // more may have arrived while the consumer had the batch
      }
      if (failure !== null) throw failure.error;
      if (broken !== null) {
        const { error } = broken;
        if (error instanceof StreamError) throw error;
        throw new StreamError(errorText(error), { cause: error });
      }
      if (ended) throw new StreamError('stream closed before response.completed');
    }
  } finally {
    clearTimeout(timer);
    // release the connection whether the stream finished or we stopped early
    if (ended || broken !== null) {
      // nothing left to release
    } else if (completed && source.dump !== undefined) {
      // The server is done and the body's end is at most a moment away: read it rather than abort, which
      // could close the keep-alive connection. A body that has not ended in time is destroyed after all.
      const stalled = setTimeout(() => source.destroy(), BODY_END_WAIT_MS);
      stalled.unref();
      source
        .dump()
        .catch(() => undefined)
        .finally(() => clearTimeout(stalled));
    } else {
      source.destroy();
    }
  }
}

/**
 * Parses a Responses API SSE body (bytes or text chunks) into {@link ResponseEvent}s, ending after
 * `response.completed`. Frames whose data is not JSON are skipped.
 * @throws {StreamError} on idle timeout, a broken source, `response.failed`/`incomplete`, or an end
 *   without `response.completed` (`stream closed before response.completed`)
 */
export async function* parseResponsesSse(
  source: AsyncIterable<Uint8Array | string>,
  options: ParseResponsesSseOptions = {},
): AsyncGenerator<ResponseEvent, void, undefined> {
  for await (const events of parseResponsesSseBatches(source, options)) {
    for (const event of events) yield event;
  }
}
