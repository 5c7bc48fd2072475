import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { completedReply, writeScript, writeTokenQueueScript } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import {
  authTable,
  inputTexts,
  makeCodexHome,
  occurrences,
  providerConfig,
  useResponsesServer,
} from './helpers/codex-e2e.ts';

const server = useResponsesServer();

const unauthorized = {
  kind: 'status',
  status: 401,
  body: { error: { message: 'token rejected', type: 'invalid_request_error' } },
} as const;

describe('codex exec (built bin)', () => {
  it('answers with an env_key provider: answer on stdout, key as bearer', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "MOCK_API_KEY"'));
    server.enqueue(completedReply('Hello from mock'));

    const result = await home.run(['exec', 'say hello'], { env: { MOCK_API_KEY: 'sk-env-1' } });

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('Hello from mock');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe('/v1/responses');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-env-1');
    expect(inputTexts(server.requests[0]?.body)).toContain('say hello');
    expect(server.requests[0]?.body).toMatchObject({ model: 'gpt-test' });
    expect(result.stderr).not.toContain('sk-env-1');
  });

  it('fails without a request when the env_key variable is missing', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "MOCK_API_KEY"'));

    const result = await home.run(['exec', 'hi']);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('MOCK_API_KEY');
    expect(server.requests).toHaveLength(0);
  });

  it('sends the token of an auth command (default refresh interval)', async () => {
    const home = await makeCodexHome();
    const script = await writeTokenQueueScript(home.dir, ['tok-1', 'tok-2']);
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      providerConfig(server.url, '', authTable(script.command)),
    );
    server.enqueue(completedReply('ok'));

    const result = await home.run(['exec', 'hi']);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('ok');
    expect(await script.runs()).toBe(1);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-1',
    ]);
    expect(result.stderr).not.toContain('tok-1');
  });

  it('refresh_interval_ms = 0: a 401 reruns the command and resends once', async () => {
    const home = await makeCodexHome();
    const script = await writeTokenQueueScript(home.dir, ['tok-1', 'tok-2', 'tok-3']);
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      providerConfig(server.url, '', authTable(script.command, 'refresh_interval_ms = 0')),
    );
    server.enqueue(unauthorized, completedReply('after refresh'));

    const result = await home.run(['exec', 'hi']);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('after refresh');
    expect(await script.runs()).toBe(2);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-1',
      'Bearer tok-2',
    ]);
  });

  it('always-401 ends the turn after one refresh: exit 1, 2 runs, 2 requests (improvement 3)', async () => {
    const home = await makeCodexHome();
    const script = await writeTokenQueueScript(home.dir, ['tok-1', 'tok-2', 'tok-3', 'tok-4']);
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      providerConfig(server.url, '', authTable(script.command, 'refresh_interval_ms = 0')),
    );
    server.respond(() => unauthorized);

    const result = await home.run(['exec', 'hi']);

    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unexpected status 401 Unauthorized');
    expect(await script.runs()).toBe(2);
    expect(server.requests).toHaveLength(2);
    expect(result.stderr).not.toMatch(/tok-\d/);
  });

  it.each([
    ['failing', 'echo "backend down" >&2; exit 3', '', 'exited with'],
    ['hanging', 'sleep 30', 'timeout_ms = 300', 'timed out after 300 ms'],
    ['empty', 'exit 0', '', 'produced an empty token'],
    ['multi-line', 'echo one; echo two', '', 'printed 2 lines; expected a single token'],
  ])(
    'fails closed with a %s command: exit 1, no request, its error once (improvement 1, §4.2)',
    async (_kind, body, extra, message) => {
      const home = await makeCodexHome();
      const command = await writeScript(home.dir, 'token.sh', body);
      await writeFile(
        path.join(home.codexHome, 'config.toml'),
        providerConfig(server.url, '', authTable(command, extra)),
      );

      const result = await home.run(['exec', 'hi']);

      expect(result.exitCode).toBe(1);
      expect(server.requests).toHaveLength(0);
      expect(occurrences(result.stderr, message)).toBe(1);
      expect(result.stderr).toContain(`provider auth command \`${command}\``);
      expect(result.stdout).toBe('');
    },
  );

  it.each([
    [
      'auth combined with env_key',
      (url: string) => providerConfig(url, 'env_key = "X"', authTable('/bin/true')),
      'Error loading config.toml: model_providers.mock: provider auth cannot be combined with env_key',
    ],
    ['an unknown model_provider', () => 'model_provider = "nope"\n', 'Error loading config.toml: '],
  ])(
    'reports a config error (%s) on one line: exit 1, no request',
    async (_name, config, message) => {
      const home = await makeCodexHome(config(server.url));

      const result = await home.run(['exec', 'hi']);

      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(server.requests).toHaveLength(0);
    },
  );

  it('reports broken TOML with the prefix and no stack trace', async () => {
    const home = await makeCodexHome('model = = 1\n');

    const result = await home.run(['exec', 'hi']);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^Error loading config.toml: /);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('prints a stack trace only when CODEX_DEBUG=1', async () => {
    const home = await makeCodexHome('model = = 1\n');

    const result = await home.run(['exec', 'hi'], { env: { CODEX_DEBUG: '1' } });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^\s+at /m);
  });

  it('turns unknown keys into errors with --strict-config', async () => {
    const config = providerConfig(server.url, 'env_key = "K"', 'unknown_top_level_key = 1\n');
    const home = await makeCodexHome(config);
    server.enqueue(completedReply('lenient'));

    const lenient = await home.run(['exec', 'hi'], { env: { K: 'k' } });
    const strict = await home.run(['exec', '--strict-config', 'hi'], { env: { K: 'k' } });

    expect(lenient.exitCode).toBe(0);
    expect(strict.exitCode).toBe(1);
    expect(strict.stderr).toContain('Error loading config.toml: ');
    expect(strict.stderr).toContain('unknown_top_level_key');
    expect(server.requests).toHaveLength(1);
  });

  it('applies -c overrides as TOML values, before or after the subcommand', async () => {
    const home = await makeCodexHome(providerConfig('http://127.0.0.1:9/v1', 'env_key = "K"'));
    server.enqueue(completedReply('one'), completedReply('two'));

    const after = await home.run(
      ['exec', '-c', `model_providers.mock.base_url="${server.url}"`, '-c', 'model=gpt-b', 'hi'],
      { env: { K: 'k' } },
    );
    const before = await home.run(
      ['-c', `model_providers.mock.base_url='${server.url}'`, 'exec', '-m', 'gpt-c', 'hi'],
      { env: { K: 'k' } },
    );

    expect([after.exitCode, before.exitCode]).toEqual([0, 0]);
    expect(server.requests.map((request) => (request.body as { model: string }).model)).toEqual([
      'gpt-b',
      'gpt-c',
    ]);
  });

  it('reports a malformed -c override with upstream text', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));

    const result = await home.run(['exec', '-c', 'no_equals_sign', 'hi'], { env: { K: 'k' } });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Invalid override (missing '='): no_equals_sign");
    expect(server.requests).toHaveLength(0);
  });

  it('--json prints the event stream @openai/codex-sdk reads', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    server.enqueue(completedReply('json answer'));

    const result = await home.run(['exec', '--json', 'hi'], { env: { K: 'k' } });

    expect(result.exitCode).toBe(0);
    const events = result.stdout.split('\n').map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual([
      'thread.started',
      'turn.started',
      'item.completed',
      'turn.completed',
    ]);
    expect(events[0].thread_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[2].item).toEqual({ id: 'item_0', type: 'agent_message', text: 'json answer' });
    expect(events[3].usage).toMatchObject({
      input_tokens: 12,
      cached_input_tokens: 2,
      output_tokens: 5,
    });
  });

  it('names the turn by its thread id (session_id, x-client-request-id, prompt_cache_key) and loads none of what it does not use', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    const probe = path.join(home.dir, 'probe.cjs');
    // reports at exit which of these built-ins the process loaded, node:crypto (OpenSSL's set-up, ~8% of a
    // turn), fs/promises (with readline's internals) and node:module, and whether it built process.stdin
    await writeFile(
      probe,
      [
        "const unused = ['NativeModule crypto', 'NativeModule internal/fs/promises', 'NativeModule module'];",
        "const stdin = Object.getOwnPropertyDescriptor(process, 'stdin');",
        'let stdinBuilt = false;',
        "Object.defineProperty(process, 'stdin', { ...stdin, get() { stdinBuilt = true; return stdin.get.call(this); } });",
        "process.on('exit', () => process.stderr.write('[loaded: ' + [...unused.filter((name) => process.moduleLoadList.includes(name)), ...(stdinBuilt ? ['process.stdin'] : [])].join(', ') + ']'));",
        '',
      ].join('\n'),
    );
    server.enqueue(completedReply('named'));

    // stdin is a pipe here, as in a script: a turn with its prompt in argv never opens it
    const result = await home.run(['exec', '--json', 'hi'], {
      env: { K: 'k', NODE_OPTIONS: `--require ${probe}` },
    });

    expect(result.exitCode).toBe(0);
    const threadId = JSON.parse(result.stdout.split('\n')[0] ?? '{}').thread_id as string;
    // a version 4 UUID (RFC 9562: version nibble 4, variant bits 10)
    expect(threadId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const request = server.requests[0];
    expect(request?.headers['session_id']).toBe(threadId);
    expect(request?.headers['x-client-request-id']).toBe(threadId);
    expect((request?.body as { prompt_cache_key?: string } | undefined)?.prompt_cache_key).toBe(
      threadId,
    );
    expect(result.stderr).toContain('[loaded: ]');
  });

  it('--json reports a failed turn as error then turn.failed, exit 1', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    server.respond(() => unauthorized);

    const result = await home.run(['exec', '--experimental-json', 'hi'], { env: { K: 'k' } });

    expect(result.exitCode).toBe(1);
    const events = result.stdout.split('\n').map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual([
      'thread.started',
      'turn.started',
      'error',
      'turn.failed',
    ]);
    expect(events[3].error.message).toContain('401');
  });

  it('-o writes the last message to a file', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    server.enqueue(completedReply('saved answer'));

    const result = await home.run(['exec', '-o', 'last.txt', 'hi'], { env: { K: 'k' } });

    expect(result.exitCode).toBe(0);
    expect(await readFile(path.join(home.dir, 'last.txt'), 'utf8')).toBe('saved answer');
  });

  it('reads the prompt from stdin when none is given', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    server.enqueue(completedReply('piped'));

    const result = await home.run(['exec'], { input: 'prompt from stdin\n', env: { K: 'k' } });

    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('Reading prompt from stdin...');
    expect(inputTexts(server.requests[0]?.body)).toEqual(['prompt from stdin\n']);
  });

  it('refuses an empty stdin prompt with upstream text', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));

    const result = await home.run(['exec', '-'], { input: '   ', env: { K: 'k' } });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('No prompt provided via stdin.');
    expect(server.requests).toHaveLength(0);
  });

  // Each usage error's text is covered in-process by cli.test.ts; this checks the spawned bin's exit code.
  it('exits 2 on bad usage, printing the usage and sending nothing', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));

    const result = await home.run(['exec', '--no-such-flag', 'hi'], { env: { K: 'k' } });

    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("error: unexpected argument '--no-such-flag' found");
    expect(result.stderr).toContain('Usage: codex exec [OPTIONS] [PROMPT]');
    expect(server.requests).toHaveLength(0);
  });

  it('sends --output-schema as text.format and -i images as input_image data URLs', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    await writeFile(path.join(home.dir, 'schema.json'), JSON.stringify(schema));
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await writeFile(path.join(home.dir, 'pixel.png'), png);
    server.enqueue(completedReply('{"a":"b"}'));

    const result = await home.run(
      ['exec', '--output-schema', 'schema.json', '-i', 'pixel.png', 'describe'],
      { env: { K: 'k' } },
    );

    expect(result.exitCode).toBe(0);
    const body = server.requests[0]?.body as {
      text?: { format?: { schema?: unknown } };
      input: { content: { type: string; image_url?: string }[] }[];
    };
    expect(body.text?.format?.schema).toMatchObject(schema);
    const parts = body.input.flatMap((item) => item.content);
    expect(parts).toContainEqual({
      type: 'input_image',
      image_url: `data:image/png;base64,${png.toString('base64')}`,
    });
  });

  it.each([
    [
      'missing.json',
      null,
      'Failed to read output schema file missing.json: No such file or directory (os error 2)',
    ],
    ['bad.json', '{not json', 'Output schema file bad.json is not valid JSON: '],
  ])('rejects --output-schema %s with upstream text', async (file, content, message) => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    if (content !== null) await writeFile(path.join(home.dir, file), content);

    const result = await home.run(['exec', '--output-schema', file, 'hi'], { env: { K: 'k' } });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(message);
    expect(server.requests).toHaveLength(0);
  });

  it('accepts the compatibility no-op flags', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    server.enqueue(completedReply('fine'));

    const result = await home.run(
      [
        'exec',
        '-s',
        'read-only',
        '--skip-git-repo-check',
        '--add-dir',
        home.dir,
        '--color',
        'never',
        '--thread-source',
        'user',
        '-C',
        home.codexHome,
        'hi',
      ],
      { env: { K: 'k' } },
    );

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('fine');
  });

  it('says once on stderr that it waits for a slow auth command (improvement 11)', async () => {
    const home = await makeCodexHome();
    const command = await writeScript(home.dir, 'slow-token.sh', 'sleep 2.5; echo tok-after-wait');
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      providerConfig(server.url, '', authTable(command, 'timeout_ms = 30000')),
    );
    server.enqueue(completedReply('eventually'));

    const result = await home.run(['exec', 'hi']);

    expect(result.exitCode).toBe(0);
    expect(occurrences(result.stderr, `Waiting for provider auth command \`${command}\``)).toBe(1);
    expect(result.stderr).not.toContain('tok-after-wait');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer tok-after-wait');
  });

  it('stops a running turn on Ctrl-C (SIGINT) and exits 130', async () => {
    const home = await makeCodexHome(providerConfig(server.url, 'env_key = "K"'));
    server.respond(() => ({ kind: 'hang' }));

    const child = home.start(['exec', 'hi'], { K: 'k' });
    // if the CLI ended before sending, fail on the assertion below instead of waiting forever
    await Promise.race([server.waitForRequests(1), child]);
    child.kill('SIGINT');
    const result = await child;

    expect(server.requests).toHaveLength(1);
    expect(result.exitCode).toBe(130);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^ERROR: /m);
  });

  it('reports a CODEX_HOME that does not exist with upstream text', async () => {
    const home = await makeCodexHome();
    const missing = path.join(home.dir, 'no-such-home');

    const result = await home.run(['exec', 'hi'], { env: { CODEX_HOME: missing } });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `Error finding codex home: CODEX_HOME points to "${missing}", but that path does not exist`,
    );
  });
});
