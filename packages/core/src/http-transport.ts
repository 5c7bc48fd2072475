// The request path's HTTP layer: one POST through undici's dispatch API, the body handed to the caller
// chunk by chunk. undici's `request()` wraps each body in a Node Readable with its async iterator and an
// AsyncResource: ~15% of a 64 KiB streamed turn on loopback (bench `request_path`), for buffering this
// file does with an array. The index is not loaded either (fetch, WebSocket, mocks, zlib, web streams).
import type { Dispatcher } from 'undici';
import { getGlobalDispatcher } from 'undici/lib/global.js';

/** Unread body bytes at which undici stops reading the socket until the consumer catches up. */
const HIGH_WATER_MARK_BYTES = 64 * 1024;

/**
 * A response body read as it arrives. Chunks that come before {@link ResponseBody.listen} are kept (up to
 * 64 KiB, then undici stops reading the socket) and handed over first.
 */
export interface ResponseBody {
  /**
   * Calls `onChunk` with each chunk as undici delivers it (in its socket callback); `onChunk` returns false to
   * stop reading the socket until {@link ResponseBody.resume}. Resolves at the end of the body; rejects with
   * the transport's error or the one given to `destroy`. One listener per body.
   */
  listen(onChunk: (chunk: Uint8Array) => boolean): Promise<void>;
  resume(): void;
  /**
   * The body as UTF-8 text (error answers are read this way). Never rejects: with `maxBytes` the body is cut
   * there, with `idleTimeoutMs` after that long without data, and a transport error cuts it too; the text is
   * then what arrived before, less the word the cut went through (it may be part of a secret), and the rest of
   * the response is dropped with its connection.
   */
  text(limits?: TextLimits): Promise<string>;
  /** Stops the response: the connection is aborted and `listen` rejects with `error`. */
  destroy(error?: Error): void;
  /** Reads the rest of the body and drops it, so the connection can serve the next request. */
  dump(): Promise<void>;
}

/** Bounds of {@link ResponseBody.text}. */
export interface TextLimits {
  /** Bytes to keep at most. */
  readonly maxBytes?: number;
  /** Time without data after which the read ends, in ms. */
  readonly idleTimeoutMs?: number;
}

/** An HTTP answer, from its status line on. */
export interface HttpResponse {
  readonly statusCode: number;
  /** Header names in lowercase; a repeated header's values joined with `, `. */
  readonly headers: Record<string, string>;
  readonly body: ResponseBody;
}

/** Options of {@link post}. */
export interface PostOptions {
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Time to wait for the response headers, in ms. */
  readonly headersTimeoutMs: number;
  /** Aborts the request at any point: before the headers (the promise rejects) or while the body is read. */
  readonly signal?: AbortSignal | undefined;
  /** Default: undici's global dispatcher. */
  readonly dispatcher?: Dispatcher | undefined;
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined)
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function abortReason(signal: AbortSignal): Error {
  const { reason } = signal;
  return reason instanceof Error
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}

const ignore = (): void => undefined;

/** Punctuation a secret is written with, plain or escaped (`\u0073`, `%73`), besides letters and digits. */
const WORD_PUNCTUATION = new Set(['_', '.', '~', '+', '/', '=', '-', '\\', '%']);

/**
 * `text` without the run of characters a secret may be written with at its end. A scan from the end: a regex
 * anchored at `$` would try every start of a long run, in time that grows with its square.
 */
function withoutLastWord(text: string): string {
  let end = text.length;
  while (end > 0) {
    const character = text.charAt(end - 1);
    const code = character.charCodeAt(0) | 0x20; // ASCII letters folded to lower case
    const alphanumeric = (code >= 0x61 && code <= 0x7a) || (character >= '0' && character <= '9');
    if (!alphanumeric && !WORD_PUNCTUATION.has(character)) break;
    end -= 1;
  }
  return text.slice(0, end);
}

/** The body of one response, fed by the dispatch handler below. */
class StreamedBody implements ResponseBody {
  // chunks not yet handed over: they came before a listener, or while it asked to stop
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #listener: ((chunk: Uint8Array) => boolean) | null = null;
  #stopped = false; // the listener returned false and resume() has not come yet
  #ended = false; // undici delivered the whole body
  #settled = false; // ended and handed over, or failed
  readonly #done: Promise<void>;
  #resolveDone: () => void = ignore;
  #rejectDone: (error: Error) => void = ignore;
  readonly #controller: Dispatcher.DispatchController;
  readonly #onSettled: () => void;

  constructor(controller: Dispatcher.DispatchController, onSettled: () => void) {
    this.#controller = controller;
    this.#onSettled = onSettled;
    this.#done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    this.#done.catch(ignore); // a body nobody reads may fail unobserved
  }

  /** undici's data: handed over at once when the listener is ready for it, else queued. */
  push(chunk: Uint8Array): void {
    if (this.#settled) return;
    if (this.#listener !== null && !this.#stopped && this.#queue.length === 0) {
      this.#deliver(chunk);
      return;
    }
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes >= HIGH_WATER_MARK_BYTES) this.#controller.pause();
  }

  /** undici's end of the body: settles once everything queued has been handed over. */
  end(): void {
    this.#ended = true;
    this.#finishIfDrained();
  }

  fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#queue = []; // as a destroyed stream: what was not read is gone
    this.#queuedBytes = 0;
    this.#rejectDone(error);
    this.#onSettled();
  }

  #deliver(chunk: Uint8Array): void {
    const listener = this.#listener as (chunk: Uint8Array) => boolean;
    let more: boolean;
    try {
      more = listener(chunk);
    } catch (error) {
      this.destroy(error as Error); // a listener's error stops this body, never undici's parser
      return;
    }
    if (!more) {
      this.#stopped = true;
      this.#controller.pause();
    }
  }

  /** Hands queued chunks over until the listener asks to stop (an index, not shift(): a queue of many tiny
   * chunks would cost its length squared). */
  #drain(): void {
    const queue = this.#queue;
    let next = 0;
    while (next < queue.length && !this.#stopped && !this.#settled) {
      const chunk = queue[next] as Uint8Array;
      next += 1;
      this.#queuedBytes -= chunk.length;
      this.#deliver(chunk);
    }
    // what the listener did not take yet stays queued, in order (a fail() meanwhile replaced the queue)
    if (this.#queue === queue) this.#queue = next === queue.length ? [] : queue.slice(next);
    if (!this.#stopped && !this.#settled && this.#controller.paused) this.#controller.resume();
    this.#finishIfDrained();
  }

  #finishIfDrained(): void {
    if (this.#settled || !this.#ended || this.#queue.length > 0) return;
    this.#settled = true;
    this.#resolveDone();
    this.#onSettled();
  }

  listen(onChunk: (chunk: Uint8Array) => boolean): Promise<void> {
    if (this.#listener !== null) throw new Error('the response body already has a listener');
    this.#listener = onChunk;
    this.#drain();
    return this.#done;
  }

  resume(): void {
    if (this.#listener === null) return;
    this.#stopped = false;
    this.#drain();
  }

  text({ maxBytes = Number.POSITIVE_INFINITY, idleTimeoutMs }: TextLimits = {}): Promise<string> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    return new Promise<string>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      // a body that did not end (cut at the limit, after a silence, by a transport error) loses its last word:
      // it may be a secret cut in two, which no redaction can recognise any more
      const finish = (complete: boolean): void => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve(complete ? text : withoutLastWord(text));
      };
      const cut = (why: string): void => {
        this.destroy(new Error(why));
        finish(false);
      };
      if (idleTimeoutMs !== undefined) {
        timer = setTimeout(() => cut('response body idle'), idleTimeoutMs);
      }
      this.listen((chunk) => {
        timer?.refresh();
        const room = maxBytes - size;
        if (chunk.length <= room) {
          // a body of exactly maxBytes that then ends is whole; only a byte more cuts it
          chunks.push(chunk);
          size += chunk.length;
          return true;
        }
        chunks.push(chunk.subarray(0, room));
        size = maxBytes;
        cut('response body over its limit');
        return false;
      }).then(
        () => finish(true),
        () => finish(false),
      );
    });
  }

  destroy(error: Error = new Error('response body destroyed')): void {
    if (this.#settled) return;
    this.fail(error);
    if (!this.#ended && !this.#controller.aborted) this.#controller.abort(error);
  }

  dump(): Promise<void> {
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#listener = () => true;
    this.resume();
    return this.#done;
  }
}

/**
 * Sends one POST with undici and resolves once the response headers arrive (any status); the body is
 * then read from {@link HttpResponse.body}. Backpressure: undici stops reading the socket while 64 KiB
 * wait unread.
 * @throws whatever undici reports before the headers (connection refused, headers timeout, TLS errors),
 *   or the signal's reason once it fires
 */
export function post(url: string, options: PostOptions): Promise<HttpResponse> {
  const { origin, pathname, search } = new URL(url);
  const { signal } = options;
  return new Promise<HttpResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let body: StreamedBody | null = null;
    let pendingAbort: Error | null = null;
    const onAbort = (): void => {
      const reason = abortReason(signal as AbortSignal);
      if (body !== null) {
        body.destroy(reason);
        return;
      }
      reject(reason); // Ctrl-C does not wait for undici to reach the request
      if (controller !== null) controller.abort(reason);
      else pendingAbort = reason;
    };
    const detach = (): void => signal?.removeEventListener('abort', onAbort);
    if (signal !== undefined) {
      if (signal.aborted) {
        reject(abortReason(signal));
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(next) {
        controller = next;
        if (pendingAbort !== null) next.abort(pendingAbort);
      },
      onResponseStart(next, statusCode, headers) {
        if (statusCode < 200) return; // informational: the answer is still to come
        body = new StreamedBody(next, detach);
        resolve({ statusCode, headers: flattenHeaders(headers), body });
      },
      onResponseData(_controller, chunk) {
        body?.push(chunk);
      },
      onResponseEnd() {
        body?.end();
      },
      onResponseError(_controller, error) {
        if (body !== null) {
          body.fail(error);
          return;
        }
        detach();
        reject(error);
      },
    };
    try {
      (options.dispatcher ?? getGlobalDispatcher()).dispatch(
        {
          origin,
          path: `${pathname}${search}`,
          method: 'POST',
          headers: options.headers,
          body: options.body,
          headersTimeout: Math.max(1, options.headersTimeoutMs),
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (error) {
      // undici refuses some requests at once (a closed dispatcher, an invalid header)
      detach();
      reject(error);
    }
  });
}
