import {
  ClientErrorResponse,
  JSON_RPC_ERROR_CODES,
  JsonRpcError,
  type JsonRpcErrorBody,
  type RequestId,
  ServerRequestCanceledError,
  ServerRequestTimeoutError,
} from './json-rpc.ts';
import { jsonDepthExceeds, MAX_JSON_DEPTH, MAX_LINE_BYTES, readLines } from './line-reader.ts';

/** Handles one client request; resolves to its result or throws a {@link JsonRpcError}. */
export type RequestHandler = (method: string, params: unknown, id: RequestId) => Promise<unknown>;

/** Handles one client notification. */
export type NotificationHandler = (method: string, params: unknown) => void;

export interface JsonRpcConnectionOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly onRequest: RequestHandler;
  readonly onNotification: NotificationHandler;
  /** Diagnostics for the operator (stderr); never gets token values. */
  readonly log: (line: string) => void;
  readonly now?: () => number;
  /** Longest line read, in bytes; default 16 MiB. */
  readonly maxLineBytes?: number;
}

interface PendingRequest {
  readonly method: string;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/** A JSON-RPC peer over newline-delimited JSON, in upstream's wire format (no `"jsonrpc"` member). */
export interface JsonRpcConnection {
  /**
   * Sends a notification: `{"method", "params", "emittedAtMs"}`. While the parent app is not reading (the
   * output's buffer is full) it returns a promise that settles once the output drains or closes, so a
   * producer such as a streaming turn can wait instead of queueing without bound; otherwise undefined.
   */
  notify(method: string, params: unknown): Promise<void> | undefined;
  /** Sends a server-to-client request and resolves with the client's result. */
  request(
    method: string,
    params: unknown,
    options?: { readonly timeoutMs?: number },
  ): Promise<unknown>;
  /** Resolves when the input ends (requests still being handled answer when they finish). */
  readonly closed: Promise<void>;
  /** Resolves when every request handler has answered. */
  idle(): Promise<void>;
  /** Server-to-client requests still waiting for an answer. */
  pendingRequestCount(): number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isRequestId = (value: unknown): value is RequestId =>
  typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));

/** An error body that is not `{code, message}`, for a one-line message (never throws on deep values). */
function describeBody(body: unknown): string {
  try {
    return JSON.stringify(body) ?? '';
  } catch {
    return 'malformed error';
  }
}

/** Lines read from a parent that is not reading our output wait up to this many characters; then stdin pauses. */
const HELD_INPUT_BYTES = 1024 * 1024;

/** Starts reading `input` line by line and dispatching messages; writes answers to `output`. */
export function createJsonRpcConnection(options: JsonRpcConnectionOptions): JsonRpcConnection {
  const { input, output, onRequest, onNotification, log, now = Date.now } = options;
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const pending = new Map<RequestId, PendingRequest>();
  // Requests are handled concurrently: one waiting on the network or on the parent app never holds up
  // the others. Each handler starts in arrival order, so `initialize` takes effect before what follows.
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    const task = work.catch((error: unknown) => {
      log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };
  let nextId = 0;
  let inputClosed = false;

  // Backpressure: while stdout's buffer is full (the parent app stopped reading), lines read from stdin wait
  // (up to HELD_INPUT_BYTES, then stdin is paused); stdin is still read so that its end is seen.
  let reader: ReturnType<typeof readLines> | null = null;
  let holding = false;
  let held: string[] = [];
  let heldBytes = 0;
  let outputGone = false; // stdout failed (EPIPE) or closed: the parent is gone
  const release = (): void => {
    holding = false;
    // by index, not shift(): many short lines would cost their count squared
    const lines = held;
    held = [];
    let next = 0;
    while (!holding && next < lines.length) {
      const line = lines[next] as string;
      next += 1;
      heldBytes -= line.length;
      handleLine(line);
    }
    // a write that filled the output again holds the rest, ahead of anything read since
    if (next < lines.length) held = [...lines.slice(next), ...held];
    if (!holding && reader?.paused) reader.resume();
  };
  const write = (message: object): void => {
    if (outputGone || !output.writable) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      log(
        `could not serialize a message: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    if (!output.write(`${text}\n`) && !holding && !inputClosed) {
      holding = true;
      output.once('drain', release);
    }
  };
  const sendError = (id: RequestId | null, error: JsonRpcErrorBody): void => write({ error, id });
  // one promise for every producer waiting on a full output; settles on drain, close or error
  let drained: Promise<void> | undefined;
  const whenDrained = (): Promise<void> | undefined => {
    // a Writable tells whether its buffer is full; a plain stream-like object never holds a producer back
    if (
      !output.writable ||
      (output as { writableNeedDrain?: boolean }).writableNeedDrain !== true
    ) {
      return undefined;
    }
    drained ??= new Promise<void>((resolve) => {
      const settle = (): void => {
        output.off('drain', settle);
        output.off('close', settle);
        output.off('error', settle);
        drained = undefined;
        resolve();
      };
      output.on('drain', settle);
      output.on('close', settle);
      output.on('error', settle);
    });
    return drained;
  };

  const dispatchRequest = (id: RequestId, method: string, params: unknown): void =>
    track(
      (async () => {
        try {
          const result = await onRequest(method, params, id);
          write({ id, result: result ?? {} });
        } catch (error) {
          if (error instanceof JsonRpcError) {
            write({ error: error.toBody(), id });
          } else {
            const message = error instanceof Error ? error.message : String(error);
            write({ error: { code: JSON_RPC_ERROR_CODES.internalError, message }, id });
          }
        }
      })(),
    );

  const settleResponse = (message: Record<string, unknown>): void => {
    const id = message['id'];
    const entry = isRequestId(id) ? pending.get(id) : undefined;
    if (entry === undefined || !isRequestId(id)) {
      // a late answer to a timed-out request lands here too; nothing to answer, keep serving
      log(`could not find callback for ${JSON.stringify(id)}`);
      return;
    }
    pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    if ('error' in message) {
      const body = message['error'];
      if (
        isObject(body) &&
        typeof body['code'] === 'number' &&
        typeof body['message'] === 'string'
      ) {
        entry.reject(
          new ClientErrorResponse({
            code: body['code'],
            message: body['message'],
            data: body['data'],
          }),
        );
      } else {
        entry.reject(new ClientErrorResponse({ code: 0, message: describeBody(body) }));
      }
      return;
    }
    entry.resolve(message['result']);
  };

  const handleLine = (line: string): void => {
    if (line.trim() === '') return;
    if (jsonDepthExceeds(line)) {
      log('Failed to deserialize JSONRPCMessage: recursion limit exceeded');
      sendError(null, {
        code: JSON_RPC_ERROR_CODES.parseError,
        message: `Parse error: recursion limit exceeded (nesting deeper than ${MAX_JSON_DEPTH})`,
      });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      log(`Failed to deserialize JSONRPCMessage: ${detail}`);
      sendError(null, { code: JSON_RPC_ERROR_CODES.parseError, message: `Parse error: ${detail}` });
      return;
    }
    if (!isObject(message)) {
      sendError(null, {
        code: JSON_RPC_ERROR_CODES.invalidRequest,
        message: 'Invalid request: expected a JSON object',
      });
      return;
    }
    const { id, method } = message;
    const hasId = 'id' in message && id !== null;
    if (hasId && !isRequestId(id)) {
      sendError(null, {
        code: JSON_RPC_ERROR_CODES.invalidRequest,
        message: 'Invalid request: id must be a string or an integer',
      });
      return;
    }
    if ('method' in message) {
      if (typeof method !== 'string') {
        if (hasId) {
          sendError(id as RequestId, {
            code: JSON_RPC_ERROR_CODES.invalidRequest,
            message: 'Invalid request: method must be a string',
          });
        } else {
          log('ignoring a notification whose method is not a string');
        }
        return;
      }
      if (hasId) {
        dispatchRequest(id as RequestId, method, message['params']);
      } else {
        try {
          onNotification(method, message['params']);
        } catch (error) {
          log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return;
    }
    if (hasId && ('result' in message || 'error' in message)) {
      settleResponse(message);
      return;
    }
    sendError(hasId ? (id as RequestId) : null, {
      code: JSON_RPC_ERROR_CODES.invalidRequest,
      message: 'Invalid request: not a JSON-RPC request, notification or response',
    });
  };

  let resolveClosed: () => void = () => undefined;
  const closeChannel = (): void => {
    if (inputClosed) return;
    inputClosed = true;
    for (const [id, entry] of pending) {
      pending.delete(id);
      if (entry.timer) clearTimeout(entry.timer);
      entry.reject(new ServerRequestCanceledError('channel closed'));
    }
    resolveClosed();
  };
  // a parent whose end of stdout is gone cannot read answers: the channel ends as when stdin closes
  const onOutputGone = (): void => {
    outputGone = true;
    closeChannel();
  };
  output.on('error', onOutputGone);
  output.on('close', onOutputGone);
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
    reader = readLines(
      input,
      {
        onLine: (line) => {
          if (!holding) {
            handleLine(line);
            return;
          }
          held.push(line);
          heldBytes += line.length;
          if (heldBytes > HELD_INPUT_BYTES && reader !== null && !reader.paused) reader.pause();
        },
        onOverlong: (bytes) => {
          log(`dropped a ${bytes}-byte line: longer than ${maxLineBytes} bytes`);
          sendError(null, {
            code: JSON_RPC_ERROR_CODES.invalidRequest,
            message: `Invalid request: message too large (${bytes} bytes; the limit is ${maxLineBytes})`,
          });
        },
        onClose: () => {
          // what the parent sent before closing is still handled, even while its output waits
          const lines = held;
          held = [];
          for (const line of lines) handleLine(line);
          heldBytes = 0;
          closeChannel();
        },
      },
      maxLineBytes,
    );
  });

  return {
    notify(method, params) {
      write({ method, params, emittedAtMs: now() });
      return whenDrained();
    },
    request(method, params, { timeoutMs } = {}) {
      if (inputClosed) return Promise.reject(new ServerRequestCanceledError('channel closed'));
      const id = nextId++;
      return new Promise<unknown>((resolve, reject) => {
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                // drop the callback: a late answer is logged and ignored
                pending.delete(id);
                reject(new ServerRequestTimeoutError(method, timeoutMs));
              }, timeoutMs);
        pending.set(id, { method, resolve, reject, timer });
        write({ method, id, params });
      });
    },
    closed,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    pendingRequestCount: () => pending.size,
  };
}
