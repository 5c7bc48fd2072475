import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  completedReply,
  makeTempDir,
  startResponsesServer,
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
    server.enqueue({ ...completedReply('hello'), dropAfterEvents: 2 });

    const response = await fetch(`${server.url}/responses`, { method: 'POST', body: '{}' });
    const text = await response.text().catch((error: unknown) => String(error));

    expect(text).not.toContain('response.completed');
  });
});

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
