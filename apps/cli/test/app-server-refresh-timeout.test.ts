import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { makeTempDir, startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { run } from '../src/cli.ts';

type Message = Record<string, unknown> & { id?: unknown; method?: string; params?: unknown };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A fake (unsigned) ChatGPT JWT with the claims the app-server reads. */
const chatgptToken = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
  email: 'user@example.com',
  'https://api.openai.com/auth': {
    chatgpt_plan_type: 'pro',
    chatgpt_account_id: 'org-1',
    chatgpt_user_id: 'user-1',
  },
})}.signature`;

/** The parent app's side of an in-process `codex app-server`: it writes stdin and reads stdout. */
function parentApp() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const messages: Message[] = [];
  const waiters: { match: (message: Message) => boolean; resolve: (m: Message) => void }[] = [];
  createInterface({ input: stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Message;
    messages.push(message);
    for (const waiter of waiters.filter((w) => w.match(message))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  const errors: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  // a server that stops early fails the wait at once instead of at the test timeout
  let exited: Promise<never> = new Promise(() => {});
  const watch = (exit: Promise<number>) => {
    exited = exit.then((code) => {
      throw new Error(`app-server exited (${code}): ${Buffer.concat(errors).toString('utf8')}`);
    });
    exited.catch(() => {});
  };
  let nextId = 1;
  const next = (match: (message: Message) => boolean): Promise<Message> => {
    const found = messages.find(match);
    return found
      ? Promise.resolve(found)
      : Promise.race([new Promise<Message>((resolve) => waiters.push({ match, resolve })), exited]);
  };
  const send = (message: object) => stdin.write(`${JSON.stringify(message)}\n`);
  const result = async (method: string, params?: unknown) => {
    const id = nextId++;
    send({ id, method, params });
    const answer = await next((message) => message.id === id && message.method === undefined);
    if (!('result' in answer)) throw new Error(`${method} failed: ${JSON.stringify(answer)}`);
    return answer['result'] as Record<string, unknown>;
  };
  return { stdin, stdout, stderr, messages, watch, next, send, result };
}

describe('codex app-server: the wait for a token refresh', () => {
  it('gives the parent app 10 s by default to answer a refresh, then fails the turn', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 401,
      body: { error: { message: 'expired' } },
    }));
    await using home = await makeTempDir('codex-app-server-timeout-');
    await writeFile(
      path.join(home.dir, 'config.toml'),
      `model = "mock-model"\nmodel_provider = "mock"\n\n[model_providers.mock]\nname = "Mock"\nbase_url = "${server.url}"\nrequest_max_retries = 0\nstream_max_retries = 0\nrequires_openai_auth = true\n`,
    );
    const app = parentApp();
    // no CODEX_APP_SERVER_AUTH_REFRESH_TIMEOUT_MS: the default applies
    const exit = run(['app-server'], {
      stdin: app.stdin,
      stdout: app.stdout,
      stderr: app.stderr,
      env: { HOME: home.dir, CODEX_HOME: home.dir, PATH: process.env['PATH'] ?? '' },
      cwd: home.dir,
    });
    app.watch(exit);
    onTestFinished(async () => {
      vi.useRealTimers();
      app.stdin.end();
      await exit;
    });
    await app.result('initialize', {
      clientInfo: { name: 'parent-app', version: '1.0.0' },
      capabilities: { experimentalApi: true },
    });
    app.send({ method: 'initialized' });
    await app.result('account/login/start', {
      type: 'chatgptAuthTokens',
      accessToken: chatgptToken,
      chatgptAccountId: 'org-1',
      chatgptPlanType: 'pro',
    });
    const thread = await app.result('thread/start', { model: 'mock-model' });
    const threadId = (thread['thread'] as { id: string }).id;
    const turnCompleted = (message: Message) =>
      message.method === 'turn/completed' &&
      (message.params as { threadId?: string }).threadId === threadId;

    // from here the refresh's wait runs on a clock the test moves
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await app.result('turn/start', {
      threadId,
      input: [{ type: 'text', text: 'hello', text_elements: [] }],
    });
    await app.next((message) => message.method === 'account/chatgptAuthTokens/refresh');
    await vi.advanceTimersByTimeAsync(9_999);
    // a round trip through the server: a turn that had failed by now would have been reported first
    await app.result('account/read', { refreshToken: false });
    const completedEarly = app.messages.some(turnCompleted);
    await vi.advanceTimersByTimeAsync(1);
    await app.result('account/read', { refreshToken: false });
    const completed = app.messages.find(turnCompleted);

    expect(completedEarly).toBe(false);
    expect(completed?.['params']).toMatchObject({
      turn: { status: 'failed', error: { message: 'auth refresh request timed out after 10s' } },
    });
    expect(server.requests).toHaveLength(1);
  });
});
