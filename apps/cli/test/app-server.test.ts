import { existsSync, readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loginWithApiKey } from '@codex/login';
import {
  completedReply,
  type LoginIssuer,
  makeTempDir,
  type Reply,
  type ResponsesServer,
  startLoginIssuer,
  startResponsesServer,
} from '@codex/test-support';
import { Ajv, type ValidateFunction } from 'ajv';
import { execaNode } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.cjs', import.meta.url));
const schemaDir = fileURLToPath(new URL('./fixtures/app-server-schema/', import.meta.url));

// ---------------------------------------------------------------------------------------------
// upstream's generated JSON Schema (0.169.0), compiled once

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();
function schema(file: string): ValidateFunction {
  let validate = compiled.get(file);
  if (validate === undefined) {
    validate = ajv.compile(JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')));
    compiled.set(file, validate);
  }
  return validate;
}

/** The response schema of each client request method we implement. */
const responseSchemas: Readonly<Record<string, string>> = {
  initialize: 'v1/InitializeResponse.json',
  'account/login/start': 'v2/LoginAccountResponse.json',
  'account/login/cancel': 'v2/CancelLoginAccountResponse.json',
  'account/read': 'v2/GetAccountResponse.json',
  'account/logout': 'v2/LogoutAccountResponse.json',
  'thread/start': 'v2/ThreadStartResponse.json',
  'turn/start': 'v2/TurnStartResponse.json',
};

type Message = Record<string, unknown> & { id?: unknown; method?: string; params?: unknown };

/** Validates one message the server sent; returns the problems found (empty when valid). */
function validateServerMessage(message: Message, sentMethods: Map<unknown, string>): string[] {
  const problems: string[] = [];
  const check = (file: string, value: unknown) => {
    const validate = schema(file);
    if (!validate(value)) {
      problems.push(`${file}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value)}`);
    }
  };
  if ('jsonrpc' in message) problems.push('upstream does not send a "jsonrpc" member');
  if (typeof message.method === 'string' && 'id' in message) {
    check('ServerRequest.json', message);
  } else if (typeof message.method === 'string') {
    check('ServerNotification.json', message);
  } else if ('error' in message) {
    if (message.id === null) {
      // JSON-RPC 2.0 §5: a parse error has no request id to echo; the error body still follows the schema
      check('JSONRPCError.json', { ...message, id: 0 });
    } else {
      check('JSONRPCError.json', message);
    }
  } else {
    check('JSONRPCResponse.json', message);
    const method = sentMethods.get(message.id);
    const file = method === undefined ? undefined : responseSchemas[method];
    if (file === undefined)
      problems.push(`response to an unknown request: ${JSON.stringify(message)}`);
    else check(file, message['result']);
  }
  check('JSONRPCMessage.json', message.id === null ? { ...message, id: 0 } : message);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// a parent app talking to `codex app-server` over stdio

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A fake (unsigned) ChatGPT JWT with the claims Codex reads. */
function fakeJwt(claims: { email?: string; plan?: string; accountId?: string; userId?: string }) {
  const auth: Record<string, string> = {};
  if (claims.plan) auth['chatgpt_plan_type'] = claims.plan;
  if (claims.accountId) auth['chatgpt_account_id'] = claims.accountId;
  if (claims.userId) auth['chatgpt_user_id'] = claims.userId;
  const payload = {
    ...(claims.email ? { email: claims.email } : {}),
    'https://api.openai.com/auth': auth,
  };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.signature`;
}

interface Waiter {
  readonly match: (message: Message) => boolean;
  readonly resolve: (message: Message) => void;
  readonly reject: (error: Error) => void;
}

class ParentApp {
  readonly messages: Message[] = [];
  readonly problems: string[] = [];
  readonly sentMethods = new Map<unknown, string>();
  readonly stderr: string[] = [];
  readonly child: AppServerProcess;
  #nextId = 1;
  #consumed = new Set<Message>();
  #waiters: Waiter[] = [];
  #closed = false;

  constructor(child: AppServerProcess) {
    this.child = child;
    const stdout = child.stdout;
    const stderr = child.stderr;
    if (!stdout || !stderr) throw new Error('child has no stdout/stderr');
    const lines = createInterface({ input: stdout });
    lines.on('line', (line) => this.#receive(line));
    // fail fast (instead of timing out) when the server exits while a test still waits for it
    lines.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiters.splice(0)) {
        waiter.reject(new Error(`app-server closed stdout: ${this.stderr.join('\n')}`));
      }
    });
    createInterface({ input: stderr }).on('line', (line) => this.stderr.push(line));
  }

  #receive(line: string): void {
    let message: Message;
    try {
      message = JSON.parse(line) as Message;
    } catch {
      this.problems.push(`not JSON: ${line}`);
      return;
    }
    this.problems.push(...validateServerMessage(message, this.sentMethods));
    this.messages.push(message);
    for (const waiter of [...this.#waiters]) {
      if (!this.#consumed.has(message) && waiter.match(message)) {
        this.#consumed.add(message);
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  }

  /** The next not-yet-consumed message matching `match` (already received or future). */
  next(match: (message: Message) => boolean): Promise<Message> {
    const found = this.messages.find((message) => !this.#consumed.has(message) && match(message));
    if (found) {
      this.#consumed.add(found);
      return Promise.resolve(found);
    }
    if (this.#closed) return Promise.reject(new Error('app-server closed stdout'));
    return new Promise((resolve, reject) => this.#waiters.push({ match, resolve, reject }));
  }

  sendRaw(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  send(message: object): void {
    this.sendRaw(JSON.stringify(message));
  }

  /** Sends a request and resolves with the server's whole answer (`result` or `error`). */
  async call(method: string, params?: unknown): Promise<Message> {
    const id = this.#nextId++;
    this.sentMethods.set(id, method);
    this.send(params === undefined ? { id, method } : { id, method, params });
    return this.next((message) => message.id === id && message.method === undefined);
  }

  /** Sends a request and resolves with its result; fails on an error answer. */
  async result(method: string, params?: unknown): Promise<Record<string, unknown>> {
    const answer = await this.call(method, params);
    if ('error' in answer) throw new Error(`${method} failed: ${JSON.stringify(answer['error'])}`);
    return answer['result'] as Record<string, unknown>;
  }

  notification(method: string): Promise<Message> {
    return this.next((message) => message.method === method && !('id' in message));
  }

  serverRequest(method: string): Promise<Message> {
    return this.next((message) => message.method === method && 'id' in message);
  }

  async initialize(experimentalApi = true): Promise<Record<string, unknown>> {
    const result = await this.result('initialize', {
      clientInfo: { name: 'parent-app', version: '1.0.0' },
      capabilities: { experimentalApi },
    });
    this.send({ method: 'initialized' });
    return result;
  }

  async loginWithTokens(accessToken: string, chatgptAccountId: string, plan: string | null = null) {
    return this.call('account/login/start', {
      type: 'chatgptAuthTokens',
      accessToken,
      chatgptAccountId,
      chatgptPlanType: plan,
    });
  }

  /** Starts a thread and a turn; resolves with their ids once turn/start answered. */
  async startTurn(text = 'Hello'): Promise<{ threadId: string; turnId: string }> {
    const thread = await this.result('thread/start', { model: 'mock-model' });
    const threadId = (thread['thread'] as { id: string }).id;
    const turn = await this.result('turn/start', {
      threadId,
      input: [{ type: 'text', text, text_elements: [] }],
    });
    return { threadId, turnId: (turn['turn'] as { id: string }).id };
  }

  turnCompleted(threadId: string): Promise<Message> {
    return this.next(
      (message) =>
        message.method === 'turn/completed' &&
        (message.params as { threadId?: string }).threadId === threadId,
    );
  }

  /** Closes stdin and waits for the server to exit. */
  async close(): Promise<number | undefined> {
    this.child.stdin?.end();
    const result = await this.child;
    return result.exitCode;
  }
}

// ---------------------------------------------------------------------------------------------

let server: ResponsesServer;
let home: { dir: string; dispose: () => Promise<void> };
let apps: ParentApp[];

beforeEach(async () => {
  server = await startResponsesServer();
  home = await makeTempDir('codex-app-server-');
  apps = [];
});

afterEach(async () => {
  for (const app of apps) {
    if (app.child.exitCode === null) app.child.kill();
    await app.child.catch(() => {});
  }
  await server.close();
  await home.dispose();
});

async function writeConfig(extra = ''): Promise<void> {
  await writeFile(
    path.join(home.dir, 'config.toml'),
    `model = "mock-model"
model_provider = "mock_provider"
${extra}

[model_providers.mock_provider]
name = "Mock provider for test"
base_url = "${server.url}"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
requires_openai_auth = true
`,
  );
}

function spawnAppServer(env: Record<string, string>, args: readonly string[] = ['app-server']) {
  return execaNode(bin, [...args], {
    cwd: home.dir,
    extendEnv: false,
    env: { PATH: process.env['PATH'] ?? '', HOME: home.dir, CODEX_HOME: home.dir, ...env },
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
  });
}

type AppServerProcess = ReturnType<typeof spawnAppServer>;

function startAppServer(
  env: Record<string, string> = {},
  args: readonly string[] = ['app-server'],
): ParentApp {
  const app = new ParentApp(spawnAppServer(env, args));
  apps.push(app);
  return app;
}

const unauthorized: Reply = {
  kind: 'status',
  status: 401,
  body: { error: { message: 'unauthorized' } },
};

const initialToken = fakeJwt({
  email: 'initial@example.com',
  plan: 'pro',
  accountId: 'org-initial',
  userId: 'user-1',
});
const refreshedToken = fakeJwt({
  email: 'refreshed@example.com',
  plan: 'pro',
  accountId: 'org-initial',
  userId: 'user-1',
});

/** What the run left in $CODEX_HOME besides the launcher's code cache (cache/v8, code-cache.e2e.test.ts). */
async function filesInHome(): Promise<string[]> {
  const names = await readdir(home.dir, { recursive: true });
  return names.filter((name) => name !== 'cache' && !name.startsWith(`cache${path.sep}`)).sort();
}

/** Every message the server sent validated against upstream's schema. */
function expectValidWire(app: ParentApp): void {
  expect(app.problems).toEqual([]);
}

describe('codex app-server (built bin)', () => {
  it('set_auth_token_updates_account_and_notifies', async () => {
    await writeConfig();
    const app = startAppServer();
    await app.initialize();
    const token = fakeJwt({
      email: 'embedded@example.com',
      plan: 'pro',
      accountId: 'org-embedded',
    });

    const answer = await app.loginWithTokens(token, 'org-embedded');
    const completed = await app.notification('account/login/completed');
    const updated = await app.notification('account/updated');
    const account = await app.result('account/read', { refreshToken: false });

    expect(answer['result']).toEqual({ type: 'chatgptAuthTokens' });
    expect(completed['params']).toEqual({ loginId: null, success: true, error: null });
    expect(updated['params']).toEqual({ authMode: 'chatgptAuthTokens', planType: 'pro' });
    expect(account).toMatchObject({
      account: { type: 'chatgpt', email: 'embedded@example.com', planType: 'pro' },
      requiresOpenaiAuth: true,
    });
    expect(await filesInHome()).toEqual(['config.toml']);
    expect(await app.close()).toBe(0);
    expectValidWire(app);
  });

  it('uses the plan the parent app names over the token claim', async () => {
    await writeConfig();
    const app = startAppServer();
    await app.initialize();

    await app.loginWithTokens(initialToken, 'org-initial', 'business');
    const updated = await app.notification('account/updated');
    const account = await app.result('account/read');

    expect(updated['params']).toEqual({ authMode: 'chatgptAuthTokens', planType: 'business' });
    expect(account['account']).toMatchObject({ planType: 'business' });
    expectValidWire(app);
  });

  it('gates chatgptAuthTokens login behind the experimentalApi capability', async () => {
    await writeConfig();
    const app = startAppServer();
    await app.initialize(false);

    const answer = await app.loginWithTokens(initialToken, 'org-initial');

    expect(answer['error']).toEqual({
      code: -32600,
      message: 'account/login/start.chatgptAuthTokens requires experimentalApi capability',
    });
    expectValidWire(app);
  });

  it('rejects external tokens when login is forced to API keys or to another workspace', async () => {
    await writeConfig('forced_chatgpt_workspace_id = "org-required"');
    const app = startAppServer();
    await app.initialize();

    const wrongWorkspace = await app.loginWithTokens(initialToken, 'org-initial');
    const notAJwt = await app.loginWithTokens('not-a-jwt', 'org-required');

    expect(wrongWorkspace['error']).toEqual({
      code: -32600,
      message: 'External auth must use workspace org-required, but received "org-initial".',
    });
    expect(notAJwt['error']).toEqual({
      code: -32603,
      message: 'failed to set external auth: invalid ID token format',
    });
    expectValidWire(app);
  });

  it('refuses external ChatGPT tokens when forced_login_method is api', async () => {
    await writeConfig('forced_login_method = "api"');
    const app = startAppServer();
    await app.initialize();

    const answer = await app.loginWithTokens(initialToken, 'org-initial');

    expect(answer['error']).toEqual({
      code: -32600,
      message: 'External ChatGPT auth is disabled. Use API key login instead.',
    });
    expectValidWire(app);
  });

  it('account_read_refresh_token_is_noop_in_external_mode', async () => {
    await writeConfig();
    const app = startAppServer();
    await app.initialize();
    const token = fakeJwt({
      email: 'embedded@example.com',
      plan: 'pro',
      accountId: 'org-embedded',
    });
    await app.loginWithTokens(token, 'org-embedded');
    await app.notification('account/updated');

    const account = await app.result('account/read', { refreshToken: true });
    // requests are handled in order: a refresh request would have been sent before this answer
    await app.result('account/read', {});

    expect(account['account']).toEqual({
      type: 'chatgpt',
      email: 'embedded@example.com',
      planType: 'pro',
    });
    expect(app.messages.filter((message) => 'id' in message && 'method' in message)).toEqual([]);
    expect(server.requests).toHaveLength(0);
    expectValidWire(app);
  });

  it('external_auth_refreshes_on_unauthorized', async () => {
    await writeConfig();
    server.enqueue(unauthorized, completedReply('turn ok'));
    const app = startAppServer();
    await app.initialize();
    await app.loginWithTokens(initialToken, 'org-initial');

    const { threadId } = await app.startTurn();
    const refresh = await app.serverRequest('account/chatgptAuthTokens/refresh');
    app.send({
      id: refresh.id,
      result: {
        accessToken: refreshedToken,
        chatgptAccountId: 'org-initial',
        chatgptPlanType: 'team',
      },
    });
    const completed = await app.turnCompleted(threadId);

    expect(refresh['params']).toEqual({ reason: 'unauthorized', previousAccountId: 'org-initial' });
    expect(completed['params']).toMatchObject({ turn: { status: 'completed', error: null } });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${initialToken}`);
    expect(server.requests[1]?.headers['authorization']).toBe(`Bearer ${refreshedToken}`);
    const deltas = app.messages
      .filter((message) => message.method === 'item/agentMessage/delta')
      .map((message) => (message.params as { delta: string }).delta);
    expect(deltas.join('')).toBe('turn ok');
    const account = await app.result('account/read');
    expect(account['account']).toMatchObject({ email: 'refreshed@example.com', planType: 'team' });
    expect(await filesInHome()).toEqual(['config.toml']);
    expect(await app.close()).toBe(0);
    expectValidWire(app);
  });

  it('sends one refresh request for concurrent 401s on the same token (improvement 4)', async () => {
    await writeConfig();
    server.enqueue(unauthorized, unauthorized);
    server.respond(() => completedReply('turn ok'));
    const app = startAppServer();
    await app.initialize();
    await app.loginWithTokens(initialToken, 'org-initial');

    const first = await app.startTurn('one');
    const second = await app.startTurn('two');
    await server.waitForRequests(2);
    const refresh = await app.serverRequest('account/chatgptAuthTokens/refresh');
    app.send({
      id: refresh.id,
      result: { accessToken: refreshedToken, chatgptAccountId: 'org-initial' },
    });
    const completions = await Promise.all([
      app.turnCompleted(first.threadId),
      app.turnCompleted(second.threadId),
    ]);

    expect(
      completions.map((message) => (message.params as { turn: { status: string } }).turn.status),
    ).toEqual(['completed', 'completed']);
    const refreshRequests = app.messages.filter(
      (message) => message.method === 'account/chatgptAuthTokens/refresh',
    );
    expect(refreshRequests).toHaveLength(1);
    expect(server.requests).toHaveLength(4);
    expect(server.requests.slice(2).map((request) => request.headers['authorization'])).toEqual([
      `Bearer ${refreshedToken}`,
      `Bearer ${refreshedToken}`,
    ]);
    expectValidWire(app);
  });

  it('external_auth_refresh_error_fails_turn', async () => {
    await writeConfig();
    server.enqueue(unauthorized);
    const app = startAppServer();
    await app.initialize();
    await app.loginWithTokens(initialToken, 'org-initial');

    const { threadId, turnId } = await app.startTurn();
    const refresh = await app.serverRequest('account/chatgptAuthTokens/refresh');
    app.send({ id: refresh.id, error: { code: -32000, message: 'refresh failed' } });
    const error = await app.notification('error');
    const completed = await app.turnCompleted(threadId);

    const expected = 'auth refresh request failed: code=-32000 message=refresh failed';
    expect(error['params']).toMatchObject({
      threadId,
      turnId,
      willRetry: false,
      error: { message: expected },
    });
    expect(completed['params']).toMatchObject({
      turn: { id: turnId, status: 'failed', error: { message: expected } },
    });
    expect(server.requests).toHaveLength(1);
    expectValidWire(app);
  });

  it('external_auth_refresh_mismatched_workspace_fails_turn', async () => {
    await writeConfig('forced_chatgpt_workspace_id = "org-initial"');
    server.enqueue(unauthorized);
    const app = startAppServer();
    await app.initialize();
    await app.loginWithTokens(initialToken, 'org-initial');

    const { threadId } = await app.startTurn();
    const refresh = await app.serverRequest('account/chatgptAuthTokens/refresh');
    app.send({
      id: refresh.id,
      result: {
        accessToken: fakeJwt({ email: 'other@example.com', plan: 'pro', accountId: 'org-other' }),
        chatgptAccountId: 'org-other',
        chatgptPlanType: 'pro',
      },
    });
    const completed = await app.turnCompleted(threadId);

    expect(completed['params']).toMatchObject({
      turn: {
        status: 'failed',
        error: {
          message: 'external auth refresh returned workspace "org-other", expected "org-initial"',
        },
      },
    });
    expect(server.requests).toHaveLength(1);
    const account = await app.result('account/read');
    expect(account['account']).toMatchObject({ email: 'initial@example.com' });
    expectValidWire(app);
  });

  it('external_auth_refresh_invalid_access_token_fails_turn', async () => {
    await writeConfig();
    server.enqueue(unauthorized);
    const app = startAppServer();
    await app.initialize();
    await app.loginWithTokens(initialToken, 'org-initial');

    const { threadId } = await app.startTurn();
    const refresh = await app.serverRequest('account/chatgptAuthTokens/refresh');
    app.send({
      id: refresh.id,
      result: { accessToken: 'not-a-jwt', chatgptAccountId: 'org-initial' },
    });
    const completed = await app.turnCompleted(threadId);

    expect(completed['params']).toMatchObject({
      turn: { status: 'failed', error: { message: 'invalid ID token format' } },
    });
    expect(server.requests).toHaveLength(1);
    expect(await filesInHome()).toEqual(['config.toml']);
    expectValidWire(app);
  });

  it('fails the turn when the parent app does not answer the refresh in time, then keeps serving', async () => {
    await writeConfig();
    server.enqueue(unauthorized);
    const app = startAppServer({ CODEX_APP_SERVER_AUTH_REFRESH_TIMEOUT_MS: '300' });
    await app.initialize();
    await app.loginWithTokens(initialToken, 'org-initial');

    const { threadId } = await app.startTurn();
    const refresh = await app.serverRequest('account/chatgptAuthTokens/refresh');
    const completed = await app.turnCompleted(threadId);
    // the late answer finds no callback: it is ignored and the server keeps serving
    app.send({
      id: refresh.id,
      result: { accessToken: refreshedToken, chatgptAccountId: 'org-initial' },
    });
    const account = await app.result('account/read');

    expect(completed['params']).toMatchObject({
      turn: { status: 'failed', error: { message: 'auth refresh request timed out after 300ms' } },
    });
    expect(account['account']).toMatchObject({ email: 'initial@example.com' });
    expect(server.requests).toHaveLength(1);
    expect(await app.close()).toBe(0);
    expect(app.stderr.join('\n')).toContain(`could not find callback for ${refresh.id}`);
    expectValidWire(app);
  });

  it('logout_account_removes_auth_and_notifies', async () => {
    await writeConfig();
    await loginWithApiKey(home.dir, 'sk-test-key', 'file');
    expect(existsSync(path.join(home.dir, 'auth.json'))).toBe(true);
    const app = startAppServer();
    await app.initialize();

    const answer = await app.call('account/logout');
    const updated = await app.notification('account/updated');
    const account = await app.result('account/read', { refreshToken: false });

    expect(answer['result']).toEqual({});
    expect(updated['params']).toEqual({ authMode: null, planType: null });
    expect(existsSync(path.join(home.dir, 'auth.json'))).toBe(false);
    expect(account['account']).toBeNull();
    expectValidWire(app);
  });

  it('logs out external tokens and forgets them', async () => {
    await writeConfig();
    const app = startAppServer();
    await app.initialize();
    await app.loginWithTokens(initialToken, 'org-initial');
    await app.notification('account/updated');

    await app.result('account/logout');
    const updated = await app.notification('account/updated');
    const account = await app.result('account/read');

    expect(updated['params']).toEqual({ authMode: null, planType: null });
    expect(account['account']).toBeNull();
    expectValidWire(app);
  });

  it('logs in with an API key and reports it; forced ChatGPT login refuses it', async () => {
    await writeConfig();
    const app = startAppServer();
    await app.initialize();

    const answer = await app.call('account/login/start', { type: 'apiKey', apiKey: 'sk-app-key' });
    const updated = await app.notification('account/updated');
    const account = await app.result('account/read');
    server.enqueue(completedReply('hi'));
    const { threadId } = await app.startTurn();
    await app.turnCompleted(threadId);

    expect(answer['result']).toEqual({ type: 'apiKey' });
    expect(updated['params']).toEqual({ authMode: 'apikey', planType: null });
    expect(account['account']).toEqual({ type: 'apiKey' });
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-app-key');
    expect(app.stderr.join('\n')).not.toContain('sk-app-key');
    expectValidWire(app);

    await writeConfig('forced_login_method = "chatgpt"');
    const forced = startAppServer();
    await forced.initialize();
    const refused = await forced.call('account/login/start', { type: 'apiKey', apiKey: 'sk-x' });
    expect(refused['error']).toEqual({
      code: -32600,
      message: 'API key login is disabled. Use ChatGPT login instead.',
    });
    expectValidWire(forced);
  });

  it('answers bad input with JSON-RPC errors and keeps serving, writing nothing to disk', async () => {
    await writeConfig();
    const app = startAppServer();

    const early = await app.call('account/read');
    await app.initialize();
    app.sendRaw('{not json');
    const parseError = await app.next((message) => message.id === null);
    const unknown = await app.call('account/teleport', {});
    const wrongParams = await app.call('account/read', { refreshToken: 'yes' });
    const wrongLogin = await app.call('account/login/start', { type: 'chatgptAuthTokens' });
    const emptyModel = await app.call('thread/start', { model: ' ' });
    const again = await app.call('initialize', { clientInfo: { name: 'x', version: '1' } });
    app.send({ id: 4242, result: { accessToken: 'x', chatgptAccountId: 'y' } });
    const stillServing = await app.result('account/read');

    expect(early['error']).toEqual({ code: -32600, message: 'Not initialized' });
    expect(parseError['error']).toMatchObject({ code: -32700 });
    expect(unknown['error']).toMatchObject({ code: -32601 });
    expect(wrongParams['error']).toMatchObject({ code: -32602 });
    expect(wrongLogin['error']).toMatchObject({ code: -32602 });
    expect(emptyModel['error']).toEqual({
      code: -32602,
      message: 'Invalid params: `model` must not be empty',
    });
    expect(again['error']).toEqual({ code: -32600, message: 'Already initialized' });
    expect(stillServing).toMatchObject({ account: null, requiresOpenaiAuth: true });
    expect(await app.close()).toBe(0);
    expect(app.stderr.join('\n')).toContain('could not find callback for 4242');
    expect(await filesInHome()).toEqual(['config.toml']);
    expectValidWire(app);
  });

  // class: root options before the subcommand apply to every subcommand (issue 11 item 6)
  it.each([
    [['-c', 'profile=lb', 'app-server']],
    [['--config', 'profile=lb', 'app-server']],
    [['-cprofile=lb', 'app-server']],
    [['app-server', '-c', 'profile=lb']],
  ])('applies %j to the threads it starts', async (args) => {
    await writeFile(
      path.join(home.dir, 'config.toml'),
      `[profiles.lb]
model = "lb-model"
model_provider = "lb_provider"

[model_providers.lb_provider]
name = "LB"
base_url = "${server.url}"
request_max_retries = 0
stream_max_retries = 0
`,
    );
    server.enqueue(completedReply('via lb'));
    const app = startAppServer({}, args);
    await app.initialize();

    const thread = await app.result('thread/start', {});
    const threadId = (thread['thread'] as { id: string }).id;
    await app.result('turn/start', {
      threadId,
      input: [{ type: 'text', text: 'hi', text_elements: [] }],
    });
    const completed = await app.turnCompleted(threadId);

    expect(thread['modelProvider']).toBe('lb_provider');
    expect(thread['model']).toBe('lb-model');
    expect(completed['params']).toMatchObject({ turn: { status: 'completed' } });
    expect(server.requests).toHaveLength(1);
    expectValidWire(app);
  });

  // class: machine-readable turn errors carry the TurnError value (issue 11 item 7)
  it.each([
    [{ kind: 'status', status: 401, body: { error: { message: 'no' } } }, 'unauthorized'],
    [{ kind: 'status', status: 400, body: { error: { message: 'bad' } } }, 'badRequest'],
    [{ kind: 'status', status: 500, body: { error: { message: 'down' } } }, 'internalServerError'],
    [
      { kind: 'status', status: 404, body: { error: { message: 'gone' } } },
      { httpConnectionFailed: { httpStatusCode: 404 } },
    ],
  ] as const)(
    'reports %j as codexErrorInfo %j on error and turn/completed',
    async (reply, info) => {
      await writeConfig();
      server.enqueue(reply as Reply);
      const app = startAppServer();
      await app.initialize();
      await app.loginWithTokens(initialToken, 'org-initial');

      const { threadId } = await app.startTurn();
      if (reply.status === 401) {
        const refresh = await app.serverRequest('account/chatgptAuthTokens/refresh');
        app.send({ id: refresh.id, error: { code: -32000, message: 'no new token' } });
      }
      const error = await app.notification('error');
      const completed = await app.turnCompleted(threadId);

      expect(error['params']).toMatchObject({ error: { codexErrorInfo: info } });
      expect(completed['params']).toMatchObject({ turn: { error: { codexErrorInfo: info } } });
      expectValidWire(app);
    },
  );
});

describe('codex app-server ChatGPT sign-in (built bin, loopback issuer)', () => {
  let authority: LoginIssuer;
  beforeEach(async () => {
    authority = await startLoginIssuer();
  });
  afterEach(async () => {
    await authority.close();
  });

  const loginEnv = () => ({
    CODEX_LOGIN_ISSUER: authority.url,
    CODEX_LOGIN_CALLBACK_PORT: '0',
  });

  it('login_account_chatgpt_succeeds_and_notifies: auth URL, browser sign-in, completed + updated', async () => {
    await writeConfig();
    const app = startAppServer(loginEnv());
    await app.initialize();
    const started = await app.result('account/login/start', { type: 'chatgpt' });
    expect(started['type']).toBe('chatgpt');
    const authUrl = String(started['authUrl']);
    expect(authUrl.startsWith(`${authority.url}/oauth/authorize?`)).toBe(true);
    const visit = await authority.signIn(authUrl);
    expect(visit.status).toBe(200);
    const completed = await app.notification('account/login/completed');
    expect(completed.params).toEqual({ loginId: started['loginId'], success: true, error: null });
    const updated = await app.notification('account/updated');
    expect(updated.params).toEqual({ authMode: 'chatgpt', planType: 'pro' });
    const account = await app.result('account/read', {});
    expect(account['account']).toEqual({
      type: 'chatgpt',
      email: 'user@example.com',
      planType: 'pro',
    });
    expect(await filesInHome()).toContain('auth.json');
    expectValidWire(app);
  });

  it('login_account_chatgpt_start_can_be_cancelled', async () => {
    await writeConfig();
    const app = startAppServer(loginEnv());
    await app.initialize();
    const started = await app.result('account/login/start', { type: 'chatgpt' });
    const cancel = await app.result('account/login/cancel', { loginId: started['loginId'] });
    expect(cancel).toEqual({ status: 'canceled' });
    const completed = await app.notification('account/login/completed');
    expect(completed.params).toEqual({
      loginId: started['loginId'],
      success: false,
      error: 'Login was not completed',
    });
    const again = await app.result('account/login/cancel', { loginId: started['loginId'] });
    expect(again).toEqual({ status: 'notFound' });
    expect(await filesInHome()).not.toContain('auth.json');
    expectValidWire(app);
  });

  it('login_account_chatgpt_includes_forced_workspace_allowlist_query_param', async () => {
    await writeConfig('forced_chatgpt_workspace_id = ["org-a", "org-b"]');
    const app = startAppServer(loginEnv());
    await app.initialize();
    const started = await app.result('account/login/start', { type: 'chatgpt' });
    expect(new URL(String(started['authUrl'])).searchParams.get('allowed_workspace_id')).toBe(
      'org-a,org-b',
    );
    await app.result('account/login/cancel', { loginId: started['loginId'] });
    expectValidWire(app);
  });

  it('login_account_chatgpt_device_code_succeeds_and_notifies', async () => {
    await writeConfig();
    const app = startAppServer(loginEnv());
    await app.initialize();
    const started = await app.result('account/login/start', { type: 'chatgptDeviceCode' });
    expect(started).toMatchObject({
      type: 'chatgptDeviceCode',
      verificationUrl: `${authority.url}/codex/device`,
    });
    await authority.approveDevice(String(started['userCode']));
    const completed = await app.notification('account/login/completed');
    expect(completed.params).toEqual({ loginId: started['loginId'], success: true, error: null });
    const updated = await app.notification('account/updated');
    expect(updated.params).toEqual({ authMode: 'chatgpt', planType: 'pro' });
    expectValidWire(app);
  });

  it('login_account_chatgpt_rejected_when_forced_api', async () => {
    await writeConfig('forced_login_method = "api"');
    const app = startAppServer(loginEnv());
    await app.initialize();
    const answer = await app.call('account/login/start', { type: 'chatgpt' });
    expect(answer['error']).toMatchObject({
      code: -32600,
      message: 'ChatGPT login is disabled. Use API key login instead.',
    });
    expectValidWire(app);
  });
});
