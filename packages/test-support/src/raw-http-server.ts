import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A plain node:http server on 127.0.0.1 whose handler writes each answer by hand (stalls, floods, cuts). */
export interface RawHttpServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` (no path). */
  readonly origin: string;
  /** Connections accepted so far. */
  connections(): number;
  /** The open connections. */
  readonly sockets: ReadonlySet<Socket>;
  close(): Promise<void>;
}

/**
 * Starts a server for the answers `startResponsesServer` cannot script: `handler` gets every request (its body is
 * read and dropped) and writes the answer itself. `close()` destroys open connections first.
 */
export async function startRawHttpServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<RawHttpServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((request, response) => {
    request.resume();
    handler(request, response);
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = async (): Promise<void> => {
    if (!server.listening) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    sockets,
    close,
    [Symbol.asyncDispose]: close,
  };
}
