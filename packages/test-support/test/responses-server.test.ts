import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { promisify } from 'node:util';
import {
  completedEvents,
  makeTempDir,
  startResponsesServer,
  toSseFrame,
  writeTokenQueueScript,
} from '@codex/test-support';
import { describe, expect, it } from 'vitest';

describe('startResponsesServer', () => {
  it('records requests and answers queued replies before the responder', async () => {
    await using server = await startResponsesServer();
    server.enqueue({ kind: 'status', status: 401, body: { error: { message: 'bad token' } } });

    const first = await fetch(`${server.url}/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer a', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm' }),
    });
    const second = await fetch(`${server.url}/responses`, { method: 'POST', body: '{}' });

    expect(first.status).toBe(401);
    expect(await first.json()).toEqual({ error: { message: 'bad token' } });
    expect(second.headers.get('content-type')).toBe('text/event-stream');
    expect(await second.text()).toContain('"type":"response.completed"');
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer a',
      undefined,
    ]);
    expect(server.requests[0]?.body).toEqual({ model: 'm' });
  });

  it('cuts the stream after the requested number of events', async () => {
    await using server = await startResponsesServer();
    const events = completedEvents('hello');
    server.enqueue({ kind: 'sse', events, dropAfterEvents: 2 });

    const received = await readRawBody(`${server.url}/responses`);

    expect(events.length).toBeGreaterThan(3);
    expect(received.status).toBe(200);
    expect(received.body).toBe(events.slice(0, 2).map(toSseFrame).join(''));
    expect(received.complete).toBe(false);
  });

  it('sends every event and ends the stream without dropAfterEvents', async () => {
    await using server = await startResponsesServer();
    const events = completedEvents('hello');
    server.enqueue({ kind: 'sse', events });

    const received = await readRawBody(`${server.url}/responses`);

    expect(received.body).toBe(events.map(toSseFrame).join(''));
    expect(received.complete).toBe(true);
  });
});

/**
 * POSTs to `url` with node:http and keeps whatever body bytes arrive before the connection ends or
 * is cut, so a truncated stream is observed as such rather than as an error.
 */
function readRawBody(url: string): Promise<{ status: number; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST' }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', () => {
        // a cut stream surfaces here as "aborted"; `complete` records it
      });
      response.on('close', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          complete: response.complete,
        }),
      );
    });
    request.on('error', reject);
    request.end('{}');
  });
}

describe('writeTokenQueueScript', () => {
  it('prints one token per run and counts runs', async () => {
    await using temp = await makeTempDir();
    const script = await writeTokenQueueScript(temp.dir, ['first', 'second']);
    const run = promisify(execFile);

    const one = await run(script.command, { cwd: temp.dir });
    const two = await run(script.relativeCommand, { cwd: temp.dir });

    expect([one.stdout, two.stdout]).toEqual(['first\n', 'second\n']);
    expect(await script.runs()).toBe(2);
  });
});
