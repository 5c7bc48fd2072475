// The request path's HTTP layer (src/http-transport.ts) against a real node:http server on 127.0.0.1:
// chunks before and after listen(), backpressure, a listener that throws, aborts, text() and dump().
import { once } from 'node:events';
import { startRawHttpServer } from '@codex/test-support';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { post } from '../src/http-transport.ts';

type Handler = Parameters<typeof startRawHttpServer>[0];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(handler: Handler) {
  const server = await startRawHttpServer(handler);
  const dispatcher = new Agent();
  cleanups.push(async () => {
    await server.close();
    await dispatcher.close();
  });
  return {
    url: `${server.origin}/v1/responses`,
    dispatcher,
    connections: server.connections,
    sockets: server.sockets,
  };
}

const send = (url: string, dispatcher: Agent, signal?: AbortSignal) =>
  post(url, { headers: {}, body: '{}', headersTimeoutMs: 10_000, dispatcher, signal });

/** A body of `size` bytes whose every byte says where it is, so a lost or reordered piece shows. */
function patterned(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index += 1) bytes[index] = index % 251;
  return bytes;
}

describe('post', () => {
  it('hands over the chunks that came before listen(), then the rest, in order', async () => {
    let sendRest = (): void => undefined;
    let firstWritten = (): void => undefined;
    const written = new Promise<void>((resolve) => {
      firstWritten = resolve;
    });
    const { url, dispatcher } = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first,', () => firstWritten());
      sendRest = () => response.end('second');
    });
    const response = await send(url, dispatcher);
    await written;
    const chunks: string[] = [];
    const done = response.body.listen((chunk) => {
      chunks.push(Buffer.from(chunk).toString());
      return true;
    });
    sendRest();
    await done;

    expect(response.statusCode).toBe(200);
    expect(chunks.join('')).toBe('first,second');
  });

  it('stops reading while the listener asks, and loses nothing when it resumes', async () => {
    const body = patterned(2 * 1024 * 1024);
    const { url, dispatcher } = await serve((_request, response) => {
      response.writeHead(200);
      response.end(body);
    });
    const response = await send(url, dispatcher);
    const received: Buffer[] = [];
    let paused = false;
    let insideListen = false;
    let deliveredWhilePaused = 0;
    let pauses = 0;
    insideListen = true;
    const done = response.body.listen((chunk) => {
      // chunks that came before listen() are handed over in one go; after that, a pause holds
      if (paused && !insideListen) deliveredWhilePaused += 1;
      received.push(Buffer.from(chunk));
      paused = true;
      pauses += 1;
      setImmediate(() => {
        paused = false;
        response.body.resume();
      });
      return false;
    });
    insideListen = false;
    await done;

    expect(Buffer.concat(received).equals(body)).toBe(true);
    expect(deliveredWhilePaused).toBe(0);
    expect(pauses).toBeGreaterThan(1);
  });

  it('stops the body with the error of a listener that throws, and the dispatcher stays usable', async () => {
    const { url, dispatcher } = await serve((_request, response) => {
      response.writeHead(200);
      response.end('payload');
    });
    const failure = new Error('listener failed');
    const response = await send(url, dispatcher);

    await expect(
      response.body.listen(() => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    const next = await send(url, dispatcher);
    expect(await next.body.text()).toBe('payload');
  });

  it('rejects at once with the reason when the signal fires before the answer, and closes the connection', async () => {
    let requestArrived = (): void => undefined;
    const arrived = new Promise<void>((resolve) => {
      requestArrived = resolve;
    });
    const { url, dispatcher, sockets } = await serve(() => requestArrived()); // never answers
    const controller = new AbortController();
    const pending = send(url, dispatcher, controller.signal);
    await arrived;
    const [socket] = sockets;
    const closed = socket === undefined ? Promise.resolve() : once(socket, 'close');
    controller.abort(new Error('user pressed Ctrl-C'));

    await expect(pending).rejects.toThrow('user pressed Ctrl-C');
    await closed;
  });

  it('fails listen() with the reason when the signal fires while the body is read', async () => {
    const { url, dispatcher } = await serve((_request, response) => {
      response.writeHead(200);
      response.write('start'); // and never ends
    });
    const controller = new AbortController();
    const response = await send(url, dispatcher, controller.signal);
    const done = response.body.listen(() => {
      controller.abort(new Error('cancelled'));
      return true;
    });

    await expect(done).rejects.toThrow('cancelled');
  });

  it('dump() reads the rest of a body and drops it, keeping the connection for the next request', async () => {
    let served = 0;
    const { url, dispatcher, connections } = await serve((_request, response) => {
      served += 1;
      response.writeHead(200);
      response.end(served === 1 ? patterned(1024 * 1024) : 'second answer');
    });
    const first = await send(url, dispatcher);
    await first.body.dump();
    // undici hands a kept-alive socket to the next request one event-loop turn after a response ends
    await new Promise((resolve) => setImmediate(resolve));
    const second = await send(url, dispatcher);

    expect(await second.body.text()).toBe('second answer');
    expect(connections()).toBe(1);
  });

  it('gives header names in lowercase and joins repeated ones', async () => {
    const { url, dispatcher } = await serve((_request, response) => {
      response.setHeader('X-Request-Id', 'req_1');
      response.setHeader('Set-Cookie', ['a=1', 'b=2']);
      response.writeHead(503);
      response.end('busy');
    });
    const response = await send(url, dispatcher);

    expect(response.statusCode).toBe(503);
    expect(response.headers['x-request-id']).toBe('req_1');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
    expect(await response.body.text()).toBe('busy');
  });
});
