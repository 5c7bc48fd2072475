import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { completedReply } from './response-events.ts';

/** A request the server received, with its JSON body parsed when it is JSON. */
export interface RecordedRequest {
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  readonly body: unknown;
  /** `performance.now()` when the request headers arrived. */
  readonly receivedAtMs: number;
}

/** How the server answers one request. */
export type Reply =
  | {
      readonly kind: 'sse';
      /** Event objects sent as `data:` frames (with an `event:` line of their `type`), or raw SSE text. */
      readonly events: readonly unknown[] | string;
      readonly status?: number;
      readonly headers?: Readonly<Record<string, string>>;
      /** Destroy the socket after this many events, before the stream ends. */
      readonly dropAfterEvents?: number;
      /** After the events, keep the connection open without ending it (an idle stream). */
      readonly hangAfterEvents?: boolean;
    }
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly body?: string | object;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Destroy the connection without answering. */
  | { readonly kind: 'drop' }
  /** Accept the request and never answer. */
  | { readonly kind: 'hang' };

export type Responder = (request: RecordedRequest) => Reply | Promise<Reply>;

/** A real Responses API server on 127.0.0.1, scripted per test. */
export interface ResponsesServer extends AsyncDisposable {
  /** Base URL to put in `base_url`, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Replies used in order for the next requests, before the responder. */
  enqueue(...replies: Reply[]): void;
  /** Answers every request once the queue is empty (default: a completed "ok" stream). */
  respond(responder: Responder): void;
  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** Starts a scriptable Responses API server on an ephemeral loopback port. */
export async function startResponsesServer(
  options: { readonly responder?: Responder; readonly pathPrefix?: string } = {},
): Promise<ResponsesServer> {
  const { pathPrefix = '/v1' } = options;
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  let responder: Responder = options.responder ?? (() => completedReply('ok'));

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAtMs = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown = rawBody;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      // keep the raw text: a test may send something that is not JSON on purpose
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const recorded: RecordedRequest = {
      index: requests.length,
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers,
      rawBody,
      body,
      receivedAtMs,
    };
    requests.push(recorded);
    for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const reply = queue.shift() ?? (await responder(recorded));
    await send(reply, response);
  }

  async function send(reply: Reply, response: ServerResponse): Promise<void> {
    switch (reply.kind) {
      case 'drop':
        response.socket?.destroy();
        return;
      case 'hang':
        return;
      case 'status': {
        const isJson = typeof reply.body === 'object';
        const text = isJson ? JSON.stringify(reply.body) : (reply.body ?? '');
        response.writeHead(reply.status, {
          'content-type': isJson ? 'application/json' : 'text/plain',
          ...reply.headers,
        });
        response.end(text);
        return;
      }
      case 'sse': {
        response.writeHead(reply.status ?? 200, { ...sseHeaders, ...reply.headers });
        const frames =
          typeof reply.events === 'string' ? [reply.events] : reply.events.map(toSseFrame);
        for (const [index, frame] of frames.entries()) {
          if (reply.dropAfterEvents !== undefined && index >= reply.dropAfterEvents) break;
          if (!response.write(frame)) await once(response, 'drain');
        }
        if (reply.dropAfterEvents !== undefined) {
          // flush what was written, then cut the connection mid-stream
          response.socket?.end();
          response.socket?.destroySoon();
          return;
        }
        if (reply.hangAfterEvents) return;
        response.end();
        return;
      }
    }
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const close = async (): Promise<void> => {
    if (!server.listening) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url: `http://127.0.0.1:${port}${pathPrefix}`,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    respond: (next) => {
      responder = next;
    },
    waitForRequests: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Formats one event object as an SSE frame: an `event:` line naming its type, then `data:`. */
export function toSseFrame(event: unknown): string {
  const type = (event as { type?: unknown } | null)?.type;
  const eventLine = typeof type === 'string' ? `event: ${type}\n` : '';
  return `${eventLine}data: ${JSON.stringify(event)}\n\n`;
}
