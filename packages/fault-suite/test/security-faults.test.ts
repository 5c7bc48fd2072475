import { execFileSync } from 'node:child_process';
import { chmod, chown, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fakeJwt, type Reply, startResponsesServer } from '@codex/test-support';
import { execaNode } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startAppServer } from './helpers/app-server.ts';
import {
  CANARY,
  type CodexHome,
  codexBin,
  expectFailure,
  expectNoHangNoLeak,
  expectNoProcessLeft,
  isRunning,
  makeCodexHome,
  RUN_TIMEOUT_MS,
  recordedPids,
  recordRun,
  runExec,
} from './helpers/cli.ts';
import { mockProviderConfig, writeCanaryTokenScript, writeTokenScript } from './helpers/config.ts';

/** The canary as a server quoting it in a JSON string might write it. */
const encodings: readonly [string, (token: string) => string][] = [
  ['plain', (token) => token],
  [
    '\\u-escaped',
    (token) =>
      [...token].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  ],
];

/** SSE events that end a turn with an error, each quoting `quoted` (already JSON-string encoded). */
const failingEvents: readonly [string, (quoted: string) => string][] = [
  [
    'response.failed',
    (quoted) =>
      `{"type":"response.failed","response":{"id":"resp_1","error":{"code":"server_error","message":"key ${quoted} was rejected"}}}`,
  ],
  ['error', (quoted) => `{"type":"error","error":{"message":"key ${quoted} was rejected"}}`],
  [
    'response.incomplete',
    (quoted) =>
      `{"type":"response.incomplete","response":{"id":"resp_1","incomplete_details":{"reason":"key ${quoted}"}}}`,
  ],
];

function sseReply(type: string, data: string): Reply {
  const created = '{"type":"response.created","response":{"id":"resp_1"}}';
  return {
    kind: 'sse',
    events: `event: response.created\ndata: ${created}\n\nevent: ${type}\ndata: ${data}\n\n`,
  };
}

const CANARY_MIDDLE = CANARY.slice(10, 22);

async function providerWithCanaryCommand(reply: Reply): Promise<CodexHome> {
  const server = await startResponsesServer({ responder: () => reply });
  onTestFinished(() => server.close());
  const home = await makeCodexHome();
  await home.writeConfig(mockProviderConfig(server.url, { streamMaxRetries: 0 }));
  await writeCanaryTokenScript(home);
  return home;
}

describe('redaction of SSE error events quoting the token (issue 17, class 1)', () => {
  const cases = failingEvents.flatMap(([type, event]) =>
    encodings.map(([encoding, encode]) => [type, encoding, event, encode] as const),
  );

  it.each(cases)(
    '%s quoting it %s: human and --json output',
    async (type, _encoding, event, encode) => {
      for (const args of [[], ['--json']]) {
        const home = await providerWithCanaryCommand(sseReply(type, event(encode(CANARY))));
        const result = await runExec(home, { args });
        expectNoHangNoLeak(result);
        expect(result.exitCode).toBe(1);
        expect(`${result.stdout}\n${result.stderr}`).toContain('[REDACTED]');
      }
    },
  );

  it.each(cases)(
    '%s quoting it %s: app-server notifications',
    async (type, _encoding, event, encode) => {
      const home = await providerWithCanaryCommand(sseReply(type, event(encode(CANARY))));
      const app = startAppServer(home);
      const threadId = await app.startTurn();
      const completed = await app.next(
        (message) =>
          message['method'] === 'turn/completed' &&
          (message['params'] as { threadId: string }).threadId === threadId,
      );
      const errorNotice = await app.next((message) => message['method'] === 'error');
      app.child.stdin.end();
      const result = await app.child;

      expect(result.exitCode).toBe(0);
      expect(JSON.stringify(completed)).toContain('[REDACTED]');
      expect(JSON.stringify(errorNotice)).toContain('[REDACTED]');
      expect(app.lines.join('\n')).not.toContain(CANARY_MIDDLE);
      expect(String(result.stderr)).not.toContain(CANARY_MIDDLE);
    },
  );
});

describe('app-server lifetime (issue 17, class 7)', () => {
  it('exits when stdin closes while a turn waits on a hanging auth command, killing its processes', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(mockProviderConfig(server.url, { timeoutMs: 600_000 }));
    await writeTokenScript(home, ['sleep 300 &', 'echo $! >> "$PIDFILE"', 'wait'].join('\n'));
    const app = startAppServer(home);
    await app.startTurn();
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    while ((await recordedPids(home)).length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await recordedPids(home)).toHaveLength(2);

    const closedAt = Date.now();
    app.child.stdin.end();
    const result = await app.child;

    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(Date.now() - closedAt).toBeLessThan(5000);
    expect(app.child.pid !== undefined && (await isRunning(app.child.pid))).toBe(false);
    await expectNoProcessLeft(home, 2);
    expect(server.requests).toHaveLength(0);
  });
});

describe('app-server concurrency (issue 17, class 6)', () => {
  it('answers other requests while account/read waits on a token endpoint that never answers, and exits on stdin close', async () => {
    const hanging = new Set<ServerResponse>();
    let refreshRequests = 0;
    let onRefresh: () => void = () => {};
    const refreshArrived = new Promise<void>((resolve) => {
      onRefresh = resolve;
    });
    const authority = createServer((request, response) => {
      refreshRequests += 1;
      hanging.add(response);
      request.resume();
      onRefresh();
    });
    await new Promise<void>((resolve) => authority.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const response of hanging) response.destroy();
          authority.closeAllConnections();
          authority.close(() => resolve());
        }),
    );
    const { port } = authority.address() as AddressInfo;
    const home = await makeCodexHome();
    await home.writeConfig('openai_base_url = "http://127.0.0.1:9/v1"\n');
    const idToken = fakeJwt({
      email: 'fault@example.com',
      'https://api.openai.com/auth': {
        chatgpt_account_id: 'acct-fault',
        chatgpt_plan_type: 'plus',
      },
    });
    await writeFile(
      path.join(home.dir, 'auth.json'),
      JSON.stringify({
        auth_mode: 'chatgpt',
        OPENAI_API_KEY: null,
        tokens: {
          id_token: idToken,
          access_token: fakeJwt({ exp: Math.floor(Date.now() / 1000) + 3600 }),
          refresh_token: CANARY,
          account_id: 'acct-fault',
        },
        last_refresh: new Date().toISOString(),
      }),
      { mode: 0o600 },
    );
    const app = startAppServer(home, {
      CODEX_REFRESH_TOKEN_URL_OVERRIDE: `http://127.0.0.1:${port}/oauth/token`,
    });
    app.send({ id: 1, method: 'initialize', params: { clientInfo: { name: 'f', version: '1' } } });
    await app.next((message) => message['id'] === 1);

    app.send({ id: 2, method: 'account/read', params: { refreshToken: true } });
    await refreshArrived;
    app.send({ id: 3, method: 'thread/start', params: {} });
    const answer = await app.next((message) => message['id'] === 3);

    expect(answer).toHaveProperty('result.thread.id');
    expect(app.lines.some((line) => (JSON.parse(line) as { id?: unknown }).id === 2)).toBe(false);
    expect(refreshRequests).toBe(1);

    const closedAt = Date.now();
    app.child.stdin.end();
    const result = await app.child;
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(Date.now() - closedAt).toBeLessThan(5000);
    expect(`${app.lines.join('\n')}${result.stderr}`).not.toContain(CANARY.slice(10, 22));
  });
});

describe('app-server input limits (issue 17, class 7)', () => {
  it('answers a 17 MiB line and a deeply nested error object with JSON-RPC errors and keeps serving', async () => {
    const home = await makeCodexHome();
    await home.writeConfig('openai_base_url = "http://127.0.0.1:9/v1"\n');
    const app = startAppServer(home);
    app.child.stdin.write(`{"id":1,"method":"${'x'.repeat(17 * 1024 * 1024)}"}\n`);
    app.child.stdin.write(`{"id":7,"error":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}\n`);
    app.send({ id: 2, method: 'initialize', params: { clientInfo: { name: 'f', version: '1' } } });

    const answer = await app.next((message) => message['id'] === 2);
    const errors = app.lines
      .map(
        (line) => JSON.parse(line) as { id?: unknown; error?: { code: number; message: string } },
      )
      .filter((message) => message.id === null);

    expect(answer).toHaveProperty('result');
    expect(errors.map((message) => message.error?.code)).toEqual([-32600, -32700]);
    expect(errors[0]?.error?.message).toMatch(
      /^Invalid request: message too large \(\d+ bytes; the limit is 16777216\)$/,
    );
    app.child.stdin.end();
    expect((await app.child).exitCode).toBe(0);
  });
});

describe('file trust, like ssh and git safe.directory (issue 17, class 5)', () => {
  async function commandHome(): Promise<CodexHome> {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeCanaryTokenScript(home);
    return home;
  }

  it('refuses a config.toml that others can write, naming the path and the fix', async () => {
    const home = await commandHome();
    const config = path.join(home.dir, 'config.toml');
    await chmod(config, 0o666);

    const result = await runExec(home);

    expectFailure(
      result,
      'refusing to run an auth command',
      config,
      'chmod go-w',
      'CODEX_ALLOW_UNSAFE_CONFIG=1',
    );
    expect(await recordedPids(home)).toEqual([]);
  });

  it('refuses a config.toml another user owns', async () => {
    const home = await commandHome();
    const config = path.join(home.dir, 'config.toml');
    await chown(config, 4242, 4242);

    const result = await runExec(home);

    expectFailure(result, `${config} is owned by uid 4242`, 'chown');
    expect(await recordedPids(home)).toEqual([]);
  });

  it('refuses a CODEX_HOME and an auth.json that group or others can write', async () => {
    const home = await commandHome();
    await chmod(home.dir, 0o777);
    expectFailure(await runExec(home), `${home.dir} is writable by group or others (mode 0777)`);
    await chmod(home.dir, 0o700);
    const auth = path.join(home.dir, 'auth.json');
    await writeFile(auth, '{"OPENAI_API_KEY":null}', { mode: 0o620 });
    await chmod(auth, 0o620);
    expectFailure(await runExec(home), `${auth} is writable by group or others (mode 0620)`);
  });

  it('refuses a config.toml others can write that points the stored API key at a base_url', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(`openai_base_url = ${JSON.stringify(server.url)}\n`);
    await writeFile(
      path.join(home.dir, 'auth.json'),
      JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: CANARY }),
      { mode: 0o600 },
    );
    const config = path.join(home.dir, 'config.toml');
    await chmod(config, 0o666);

    const result = await runExec(home);

    expectFailure(
      result,
      'refusing to send credentials to a base_url from it',
      config,
      'chmod go-w',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('runs it with the documented opt-out, CODEX_ALLOW_UNSAFE_CONFIG=1', async () => {
    const home = await commandHome();
    await chmod(path.join(home.dir, 'config.toml'), 0o666);

    const result = await runExec(home, { env: { CODEX_ALLOW_UNSAFE_CONFIG: '1' } });

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
  });
});

describe('hostile local files and URLs (issue 17, class 7)', () => {
  it.each([
    ['exec', ['exec', 'say ok'], 1, 'auth.json is not a regular file; remove it'],
    ['login status', ['login', 'status'], 1, 'auth.json is not a regular file; remove it'],
    ['logout', ['logout'], 0, 'Successfully logged out'],
  ])('refuses an auth.json that is a FIFO without hanging: %s', async (_name, args, code, text) => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(`openai_base_url = ${JSON.stringify(server.url)}\n`);
    execFileSync('mkfifo', [path.join(home.dir, 'auth.json')]);

    const result = recordRun(
      home,
      await execaNode(codexBin, args, {
        cwd: home.dir,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home.dir, CODEX_HOME: home.dir },
        extendEnv: false,
        stdin: 'ignore',
        reject: false,
        timeout: RUN_TIMEOUT_MS,
      }),
    );

    expect(result.timedOut).toBe(false);
    expect(result.exitCode, String(result.stderr)).toBe(code);
    expect(String(result.stderr)).toContain(text);
    expect(server.requests).toHaveLength(0);
  });

  it('never prints the password of a user:pass@ base_url', async () => {
    const home = await makeCodexHome();
    await home.writeConfig(
      [
        'model_provider = "mock"',
        '[model_providers.mock]',
        'name = "Mock"',
        'base_url = "http://alice:pw-secret-9d1e@127.0.0.1:9/v1"',
        'env_key = "MOCK_KEY"',
        'request_max_retries = 0',
        '',
      ].join('\n'),
    );

    const result = await runExec(home, { env: { MOCK_KEY: CANARY } });

    expectNoHangNoLeak(result);
    expect(result.exitCode).toBe(1);
    expect(`${result.stdout}${result.stderr}`).not.toContain('pw-secret-9d1e');
  });

  it('shows escape sequences in a command’s stderr escaped, never raw', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeTokenScript(
      home,
      "printf '\\033]52;c;Y3VybA==\\007\\033[2Jgone\\rover' >&2\nexit 3",
    );

    const result = await runExec(home);

    expectFailure(
      result,
      'exited with status exit status: 3',
      '\\x1b]52;c;Y3VybA==\\x07\\x1b[2Jgone\\x0dover',
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control character may reach the terminal
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/[\u0007\u001b\r]/);
  });

  it('names the NUL character in an auth command instead of Node’s "Received ..." text', async () => {
    const home = await makeCodexHome();
    await home.writeConfig(
      mockProviderConfig('http://127.0.0.1:9/v1').replace(
        'command = "./token.sh"',
        'command = "./tok\\u0000en.sh"',
      ),
    );

    const result = await runExec(home);

    expectFailure(result, 'failed to start: its command, args or cwd contain a NUL character');
    expect(String(result.stderr)).not.toContain('Received');
  });
});
