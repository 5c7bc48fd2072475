import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { completedReply, makeTempDir, startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../src/cli.ts';
import { captureIo } from './helpers/captured-io.ts';

describe('run', () => {
  it('prints the version', async () => {
    const io = captureIo();

    const code = await run(['--version'], io);

    expect(code).toBe(0);
    expect(io.stdoutText()).toMatch(/^codex-cli \d+\.\d+\.\d+\n$/);
  });

  it('prints help on stdout with exit 0', async () => {
    const io = captureIo();

    const code = await run(['--help'], io);

    expect(code).toBe(0);
    expect(io.stdoutText()).toContain('Usage: codex [OPTIONS] <COMMAND>');
    expect(io.stdoutText()).toContain('exec');
  });

  it('prints exec help', async () => {
    const io = captureIo();

    const code = await run(['exec', '--help'], io);

    expect(code).toBe(0);
    expect(io.stdoutText()).toContain('--output-schema <FILE>');
  });

  it.each([
    [[], "error: 'codex' requires a subcommand"],
    [['frobnicate'], "error: unrecognized subcommand 'frobnicate'"],
    [['-c'], "error: a value is required for '--config <key=value>' but none was supplied"],
    [['--config'], "error: a value is required for '--config <key=value>' but none was supplied"],
    [['--bogus', 'exec'], "error: unexpected argument '--bogus' found"],
    [['-p', 'work', 'exec'], "error: unexpected argument '-p' found"],
    [['exec', '--bogus', 'hi'], "error: unexpected argument '--bogus' found"],
    [['exec', 'one', 'two'], "error: unexpected argument 'two' found"],
    [['exec', '--model'], "error: a value is required for '--model <MODEL>' but none was supplied"],
    [['exec', '-m'], "error: a value is required for '--model <MODEL>' but none was supplied"],
    [['exec', '-c'], "error: a value is required for '--config <key=value>' but none was supplied"],
    [['exec', '--sandbox', 'nope', 'hi'], "error: invalid value 'nope' for '--sandbox"],
    [['exec', '--color', 'blue', 'hi'], "error: invalid value 'blue' for '--color"],
    [['login', 'sideways'], "error: unexpected argument 'sideways' found"],
    [['logout', 'now'], "error: unexpected argument 'now' found"],
  ])('exits 2 with a usage error for %j', async (argv, message) => {
    const io = captureIo();

    const code = await run(argv, io);

    expect(code).toBe(2);
    expect(io.stderrText()).toContain(message);
    expect(io.stderrText()).toContain('Usage: codex');
    expect(io.stderrText()).toContain("For more information, try '--help'.");
    expect(io.stdoutText()).toBe('');
  });

  it('routes app-server --help to the app-server command', async () => {
    const io = captureIo();

    const code = await run(['app-server', '--help'], io);

    expect(code).toBe(0);
    expect(io.stdoutText()).toContain('Usage: codex app-server [OPTIONS]');
    expect(io.stdoutText()).toContain('JSON-RPC over stdio');
    expect(io.stderrText()).toBe('');
  });

  it('runs app-server until stdin ends, with the -c overrides given before it', async () => {
    const temp = await makeTempDir();
    onTestFinished(() => temp.dispose());
    const messages = [
      { id: 1, method: 'initialize', params: { clientInfo: { name: 'test', version: '1' } } },
      { method: 'initialized' },
      { id: 2, method: 'account/read', params: {} },
    ];
    const io = captureIo({
      input: messages.map((message) => `${JSON.stringify(message)}\n`).join(''),
      env: { CODEX_HOME: temp.dir },
      cwd: temp.dir,
    });

    // the built-in openai provider requires OpenAI auth; this one does not
    const code = await run(
      [
        '-c',
        'model_provider="corp"',
        '--config=model_providers.corp.base_url="http://127.0.0.1:9/v1"',
        'app-server',
      ],
      io,
    );

    expect(code).toBe(0);
    const replies = io
      .stdoutText()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id?: unknown; result?: unknown });
    expect(replies.find((reply) => reply.id === 2)?.result).toMatchObject({
      account: null,
      requiresOpenaiAuth: false,
    });
  });

  it('passes app-server usage errors through as exit 2', async () => {
    const io = captureIo();

    const code = await run(['app-server', 'extra'], io);

    expect(code).toBe(2);
    expect(io.stderrText()).toContain("error: unexpected argument 'extra' found");
    expect(io.stderrText()).toContain('Usage: codex app-server [OPTIONS]');
  });

  it('refuses --with-api-key on a TTY stdin with upstream text', async () => {
    const io = captureIo({ stdinIsTty: true });

    const code = await run(['login', '--with-api-key'], io);

    expect(code).toBe(1);
    expect(io.stderrText()).toBe(
      '--with-api-key expects the API key on stdin. Try piping it, e.g. `printenv OPENAI_API_KEY | codex login --with-api-key`.\n',
    );
  });

  it('refuses exec without a prompt on a TTY stdin with upstream text', async () => {
    const temp = await makeTempDir();
    onTestFinished(() => temp.dispose());
    await writeFile(path.join(temp.dir, 'config.toml'), 'model = "gpt-test"\n');
    const io = captureIo({ stdinIsTty: true, env: { CODEX_HOME: temp.dir }, cwd: temp.dir });

    const code = await run(['exec'], io);

    expect(code).toBe(1);
    expect(io.stderrText()).toBe(
      'No prompt provided. Either specify one as an argument or pipe the prompt into stdin.\n',
    );
    expect(io.stdoutText()).toBe('');
  });

  it('streams exec text deltas to a TTY stdout as separate writes', async () => {
    await using server = await startResponsesServer();
    server.enqueue(completedReply('Hello there'));
    const temp = await makeTempDir();
    onTestFinished(() => temp.dispose());
    const config = [
      'model_provider = "mock"',
      '[model_providers.mock]',
      'name = "Mock"',
      `base_url = "${server.url}"`,
      'env_key = "MOCK_KEY"',
    ].join('\n');
    await writeFile(path.join(temp.dir, 'config.toml'), config);
    const io = captureIo({
      stdoutIsTty: true,
      env: { CODEX_HOME: temp.dir, MOCK_KEY: 'k' },
      cwd: temp.dir,
    });

    const code = await run(['exec', 'hi'], io);

    expect(code).toBe(0);
    // completedReply sends the text as two deltas, then the whole message
    expect(io.stdoutWrites()).toEqual(['Hello ', 'there', '\n']);
  });

  it('writes an empty -o file with upstream warning when the turn fails', async () => {
    const temp = await makeTempDir();
    onTestFinished(() => temp.dispose());
    const config = [
      'model_provider = "mock"',
      '[model_providers.mock]',
      'name = "Mock"',
      'base_url = "http://127.0.0.1:9/v1"',
      'env_key = "MOCK_KEY_THAT_IS_UNSET"',
    ].join('\n');
    await writeFile(path.join(temp.dir, 'config.toml'), config);
    const io = captureIo({ env: { CODEX_HOME: temp.dir }, cwd: temp.dir });
    const file = path.join(temp.dir, 'last.txt');

    const code = await run(['exec', '-o', file, 'hi'], io);

    expect(code).toBe(1);
    expect(await readFile(file, 'utf8')).toBe('');
    expect(io.stderrText()).toContain('MOCK_KEY_THAT_IS_UNSET');
    expect(io.stderrText()).toContain(
      `Warning: no last agent message; wrote empty content to ${file}`,
    );
  });
});
