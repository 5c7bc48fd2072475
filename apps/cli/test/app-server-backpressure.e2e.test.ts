// `codex app-server` while its parent app stops reading stdout: the turn waits for the output to drain
// instead of queueing the model's stream in memory, so the model server is held back too, and nothing is lost
// once the parent reads again.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { makeTempDir, responseEvents, startRawHttpServer, toSseFrame } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { bin, providerConfig } from './helpers/codex-e2e.ts';

const DELTAS = 32 * 1024; // of 1 KiB each: 32 MiB, far more than the pipes and socket buffers hold
const STUCK_MS = 500; // how long the model server must wait on a full socket to count as held back

/** A model server streaming DELTAS deltas; reports when it is held back and when it got everything out. */
async function startFloodServer() {
  let finished = false;
  let onAllSent: () => void = () => undefined;
  const allSent = new Promise<void>((resolve) => {
    onAllSent = resolve;
  });
  let onStuck: () => void = () => undefined;
  const stuck = new Promise<void>((resolve) => {
    onStuck = resolve;
  });
  const send = async (response: ServerResponse): Promise<void> => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(toSseFrame(responseEvents.created('resp_flood')));
    const frame = toSseFrame(responseEvents.textDelta('d'.repeat(1024)));
    for (let index = 0; index < DELTAS; index += 1) {
      if (!response.write(frame)) {
        const timer = setTimeout(onStuck, STUCK_MS); // nobody took the bytes for that long
        await once(response, 'drain');
        clearTimeout(timer);
      }
    }
    response.write(toSseFrame(responseEvents.completed('resp_flood')));
    response.end();
    finished = true;
    onAllSent();
  };
  const server = await startRawHttpServer((_request, response) => {
    void send(response);
  });
  onTestFinished(() => server.close());
  return { url: `${server.origin}/v1`, stuck, allSent, finished: () => finished };
}

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown };

/** Starts `codex app-server` against `url` and a turn on a new thread; counts the deltas it writes. */
async function startFloodedAppServer(url: string) {
  const temp = await makeTempDir('codex-backpressure-');
  onTestFinished(() => temp.dispose());
  await writeFile(
    path.join(temp.dir, 'config.toml'),
    providerConfig(url, 'experimental_bearer_token = "tok"\nstream_max_retries = 0'),
  );
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [bin, 'app-server'], {
    cwd: temp.dir,
    env: { PATH: process.env['PATH'] ?? '', HOME: temp.dir, CODEX_HOME: temp.dir },
  });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout });
  const answers = new Map<number, (message: Message) => void>();
  const counts = { deltas: 0 };
  let completed: (message: Message) => void = () => undefined;
  const turnCompleted = new Promise<Message>((resolve) => {
    completed = resolve;
  });
  lines.on('line', (line) => {
    const message = JSON.parse(line) as Message;
    if (message.method === 'item/agentMessage/delta') counts.deltas += 1;
    else if (message.method === 'turn/completed') completed(message);
    else if (message.id !== undefined && message.method === undefined) {
      answers.get(message.id)?.(message);
    }
  });
  let nextId = 1;
  const call = (method: string, params: unknown): Promise<Message> => {
    const id = nextId++;
    const answer = new Promise<Message>((resolve) => answers.set(id, resolve));
    child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    return answer;
  };
  await call('initialize', { clientInfo: { name: 'test', version: '1' }, capabilities: {} });
  child.stdin.write(`${JSON.stringify({ method: 'initialized' })}\n`);
  const thread = await call('thread/start', { model: 'gpt-test' });
  const threadId = (thread.result as { thread: { id: string } }).thread.id;
  await call('turn/start', {
    threadId,
    input: [{ type: 'text', text: 'flood me', text_elements: [] }],
  });
  return { child, lines, counts, turnCompleted, exited, stderr: () => stderr };
}

describe('codex app-server and a parent app that stops reading', () => {
  it('holds the model stream while stdout is full, then delivers every delta', async () => {
    const flood = await startFloodServer();
    const app = await startFloodedAppServer(flood.url);

    app.lines.pause(); // the parent app stops reading
    // held back (the model server cannot get its stream out), or not: it sent everything regardless
    await Promise.race([flood.stuck, flood.allSent]);
    const finishedWhileUnread = flood.finished();
    app.lines.resume();
    const done = await app.turnCompleted;

    expect(finishedWhileUnread).toBe(false);
    expect((done.params?.['turn'] as { status?: string } | undefined)?.status).toBe('completed');
    expect(app.counts.deltas).toBe(DELTAS);
  }, 60_000);

  it('still ends when the parent closes stdin while not reading stdout', async () => {
    const flood = await startFloodServer();
    const app = await startFloodedAppServer(flood.url);

    app.lines.pause();
    await Promise.race([flood.stuck, flood.allSent]);
    app.child.stdin.end(); // and never reads again

    expect(await app.exited).toBe(0);
    expect(flood.finished()).toBe(false);
  }, 60_000);

  it('stops the turn and ends, logging once, when the parent closes its end of stdout', async () => {
    const flood = await startFloodServer();
    const app = await startFloodedAppServer(flood.url);

    app.child.stdout.destroy(); // the parent goes away; stdin stays open

    expect(await app.exited).toBe(0);
    expect(flood.finished()).toBe(false);
    expect(app.stderr().match(/stdout:/g)?.length ?? 0).toBeLessThanOrEqual(1);
  }, 60_000);
});
