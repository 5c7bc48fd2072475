import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

export type AuthorityRequest = { method: string; path: string; body: unknown };
export type AuthorityReply =
  | { status: number; body: unknown; delayMs?: number; headers?: Record<string, string> }
  | 'hang';

/** A token authority on 127.0.0.1:0 that records requests and answers with `respond`. */
export async function startTokenAuthority(
  respond: (request: AuthorityRequest, index: number) => AuthorityReply,
): Promise<{
  url: string;
  origin: string;
  requests: AuthorityRequest[];
  /** The headers of each request, in the order of `requests`. */
  headers: IncomingMessage['headers'][];
}> {
  const requests: AuthorityRequest[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text
      }
      const recorded = { method: request.method ?? '', path: request.url ?? '', body };
      requests.push(recorded);
      headers.push(request.headers);
      const reply = respond(recorded, requests.length - 1);
      if (reply === 'hang') {
        hanging.add(response);
        return;
      }
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) {
          response.destroy();
        }
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return { url: `${origin}/oauth/token`, origin, requests, headers };
}
