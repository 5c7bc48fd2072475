import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { completedReply, writeScript } from '@codex/test-support';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  authTable,
  bin,
  makeCodexHome,
  providerConfig,
  useResponsesServer,
} from './helpers/codex-e2e.ts';

// Issue 11: each failing input stands for a class; each describe below is one class.

const server = useResponsesServer();

const envKeyConfig = () => providerConfig(server.url, 'env_key = "MOCK_API_KEY"');
const key = { MOCK_API_KEY: 'sk-env-key' };

/** The JSONL events of a `--json` run. */
function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('class: -c keys follow TOML dotted-key syntax', () => {
  it('routes the request by a quoted -c key, as written in the issue', async () => {
    const config = providerConfig('http://127.0.0.1:9/never', 'env_key = "MOCK_API_KEY"')
      .replace('model_provider = "mock"', 'model_provider = "corp"')
      .replace('[model_providers.mock]', '[model_providers.corp]');
    const home = await makeCodexHome(config);
    server.enqueue(completedReply('via override'));

    const result = await home.run(
      ['exec', '-c', `"model_providers"."corp"."base_url"="${server.url}"`, 'hi'],
      { env: key },
    );

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('via override');
    expect(server.requests).toHaveLength(1);
  });

  it('warns about an override naming nothing known, and fails under --strict-config', async () => {
    const home = await makeCodexHome(envKeyConfig());
    server.enqueue(completedReply('ok'));

    const lenient = await home.run(['exec', '-c', 'modle="gpt-5.1"', 'hi'], { env: key });
    const strict = await home.run(['exec', '--strict-config', '-c', 'modle="gpt-5.1"', 'hi'], {
      env: key,
    });

    expect(lenient.exitCode).toBe(0);
    expect(lenient.stderr).toBe('warning: unknown configuration field `modle` is ignored');
    expect(strict.exitCode).toBe(1);
    expect(strict.stderr).toContain('unknown configuration field `modle`');
    expect(server.requests).toHaveLength(1);
  });

  it('fails under --strict-config on an unknown top-level key of config.toml', async () => {
    const home = await makeCodexHome(`modle = "gpt-5.1"\n${envKeyConfig()}`);

    const result = await home.run(['exec', '--strict-config', 'hi'], { env: key });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('Error loading config.toml: unknown configuration field `modle`');
    expect(server.requests).toHaveLength(0);
  });
});

describe('class: output failures after the turn', () => {
  it('creates the missing parent directories of -o, as written in the issue', async () => {
    const home = await makeCodexHome(envKeyConfig());
    server.enqueue(completedReply('the answer'));

    const result = await home.run(['exec', '--json', '-o', 'missing-dir/out.md', 'hi'], {
      env: key,
    });

    expect(result.exitCode).toBe(0);
    expect(await readFile(path.join(home.dir, 'missing-dir', 'out.md'), 'utf8')).toBe('the answer');
  });

  it.each([
    ['a directory', 'taken', 'taken'],
    ['under a regular file', 'file/out.md', 'file/out.md'],
  ])('fails before any request when -o is %s, naming the path', async (_name, target) => {
    const home = await makeCodexHome(envKeyConfig());
    await mkdir(path.join(home.dir, 'taken'));
    await writeFile(path.join(home.dir, 'file'), '');

    const result = await home.run(['exec', '-o', target, 'hi'], { env: key });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `Failed to write last message file ${path.join(home.dir, target)}`,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('exits 1 when -o cannot be written after the turn, after printing the answer', async () => {
    const home = await makeCodexHome(envKeyConfig());
    const directory = path.join(home.dir, 'out');
    await mkdir(directory);
    // while the turn runs, the directory -o writes into is replaced by a file
    server.respond(async () => {
      await rm(directory, { recursive: true });
      await writeFile(directory, '');
      return completedReply('answer');
    });

    const result = await home.run(['exec', '-o', 'out/last.md', 'hi'], { env: key });

    expect(result.stdout).toBe('answer');
    expect(result.stderr).toContain(
      `Failed to write last message file ${path.join(directory, 'last.md')}`,
    );
    expect(result.exitCode).toBe(1);
  });

  it('exits 1 when stdout is closed before the answer is written', async () => {
    const home = await makeCodexHome(envKeyConfig());
    server.enqueue(completedReply('answer nobody reads'));
    // `true` exits at once, so the answer is written into a pipe nobody reads (EPIPE)
    const script = `"${process.execPath}" "${bin}" exec hi | true; echo "exit=\${PIPESTATUS[0]}"`;

    const result = await execa('bash', ['-c', script], {
      cwd: home.dir,
      env: { PATH: process.env['PATH'] ?? '', HOME: home.dir, CODEX_HOME: home.codexHome, ...key },
      extendEnv: false,
      reject: false,
    });

    expect(server.requests).toHaveLength(1);
    expect(result.stderr).toContain('Failed to write to stdout');
    expect(result.stdout).toBe('exit=1');
  });
});

describe('class: the credential store is read only when needed', () => {
  const truncated = '{"OPENAI_API_KEY":"sk-proj-ABCDEFGHIJKLMNOP';

  it('runs an env_key provider with a truncated auth.json, as written in the issue', async () => {
    const home = await makeCodexHome(envKeyConfig());
    await writeFile(path.join(home.codexHome, 'auth.json'), truncated);
    server.enqueue(completedReply('fine'));

    const result = await home.run(['exec', 'hi'], { env: key });

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('fine');
    expect(result.stderr).toBe('');
  });

  it.each([
    ['a bearer token', 'experimental_bearer_token = "sk-literal"'],
    ['an auth command', null],
    ['no credentials', ''],
  ])('runs a provider with %s despite a truncated auth.json', async (_name, lines) => {
    const home = await makeCodexHome();
    const command = await writeScript(home.dir, 'token.sh', 'echo tok-1');
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      lines === null
        ? providerConfig(server.url, '', authTable(command))
        : providerConfig(server.url, lines),
    );
    await writeFile(path.join(home.codexHome, 'auth.json'), truncated);
    server.enqueue(completedReply('fine'));

    const result = await home.run(['exec', 'hi']);

    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
  });

  it.each([
    ['exec', ['exec', 'hi']],
    ['login status', ['login', 'status']],
  ])(
    '%s: a broken auth.json it needs is one line naming the file and the way out',
    async (_name, args) => {
      const home = await makeCodexHome(providerConfig(server.url, 'requires_openai_auth = true'));
      const authFile = path.join(home.codexHome, 'auth.json');
      await writeFile(authFile, `${truncated}\u001b[31m\u0007`);

      const result = await home.run(args);

      expect(result.exitCode).toBe(1);
      const lines = result.stderr.split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(authFile);
      expect(lines[0]).toContain('`codex logout`');
      expect(lines[0]).toContain('`codex login`');
      expect(result.stderr).not.toContain('ABCDEFGH');
      expect(result.stderr).not.toContain('\u001b');
      expect(result.stderr).not.toContain('\u0007');
      expect(server.requests).toHaveLength(0);
    },
  );

  it('codex logout removes a broken auth.json without advising itself', async () => {
    const home = await makeCodexHome();
    const authFile = path.join(home.codexHome, 'auth.json');
    await writeFile(authFile, truncated);

    const result = await home.run(['logout']);

    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('Successfully logged out');
    await expect(readFile(authFile)).rejects.toThrow();
  });
});

describe('class: machine-readable errors in exec --json', () => {
  it.each([
    [{ kind: 'status', status: 401, body: { error: { message: 'no' } } }, 'unauthorized'],
    [{ kind: 'status', status: 400, body: { error: { message: 'bad' } } }, 'badRequest'],
    [
      { kind: 'status', status: 403, body: { error: { message: 'forbidden' } } },
      { httpConnectionFailed: { httpStatusCode: 403 } },
    ],
  ] as const)('ends a turn answered %j with codexErrorInfo %j', async (reply, info) => {
    const home = await makeCodexHome(
      providerConfig(server.url, 'env_key = "MOCK_API_KEY"\nrequest_max_retries = 0'),
    );
    server.respond(() => reply);

    const result = await home.run(['exec', '--json', 'hi'], { env: key });

    expect(result.exitCode).toBe(1);
    const all = events(result.stdout);
    expect(all.at(-2)).toMatchObject({ type: 'error', codexErrorInfo: info });
    expect(all.at(-1)).toMatchObject({ type: 'turn.failed', error: { codexErrorInfo: info } });
  });

  it('maps an auth-command failure to "unauthorized", the value the README documents', async () => {
    const home = await makeCodexHome();
    const command = await writeScript(home.dir, 'token.sh', 'exit 3');
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      providerConfig(server.url, '', authTable(command)),
    );

    const result = await home.run(['exec', '--json', 'hi']);

    expect(result.exitCode).toBe(1);
    expect(events(result.stdout).at(-1)).toMatchObject({
      type: 'turn.failed',
      error: { codexErrorInfo: 'unauthorized' },
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe('class: help for a subcommand', () => {
  it.each([
    [['help', 'exec'], 'Usage: codex exec [OPTIONS] [PROMPT]'],
    [['help', 'login'], 'Usage: codex login [OPTIONS] [COMMAND]'],
    [['help', 'logout'], 'Usage: codex logout [OPTIONS]'],
    [['help', 'app-server'], 'Usage: codex app-server [OPTIONS]'],
    [['help', 'login', 'status'], 'Usage: codex login status [OPTIONS]'],
    [['login', 'status', '--help'], 'Usage: codex login status [OPTIONS]'],
    [['login', 'help', 'status'], 'Usage: codex login status [OPTIONS]'],
    [['login', 'help'], 'Usage: codex login [OPTIONS] [COMMAND]'],
    [['-c', 'model="x"', 'help', 'exec'], 'Usage: codex exec [OPTIONS] [PROMPT]'],
    [['help'], 'Usage: codex [OPTIONS] <COMMAND>'],
  ])('%j prints that command’s own help', async (args, usage) => {
    const home = await makeCodexHome();

    const result = await home.run(args);

    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(usage);
  });

  it('rejects help for an unknown command as clap does', async () => {
    const home = await makeCodexHome();

    const result = await home.run(['help', 'frobnicate']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("unrecognized subcommand 'frobnicate'");
  });
});

describe('class: request-shaping keys', () => {
  it('sends -c model_reasoning_effort=high as reasoning.effort, as written in the issue', async () => {
    const home = await makeCodexHome(envKeyConfig());
    server.enqueue(completedReply('ok'));

    const result = await home.run(['exec', '-c', 'model_reasoning_effort=high', 'hi'], {
      env: key,
    });

    expect(result.exitCode).toBe(0);
    expect(server.requests[0]?.body).toMatchObject({
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
    });
  });

  it('sends model_verbosity as text.verbosity beside --output-schema', async () => {
    const home = await makeCodexHome(envKeyConfig());
    await writeFile(path.join(home.dir, 'schema.json'), '{"type":"object"}');
    server.enqueue(completedReply('{}'));

    const result = await home.run(
      ['exec', '-c', 'model_verbosity="low"', '--output-schema', 'schema.json', 'hi'],
      { env: key },
    );

    expect(result.exitCode).toBe(0);
    expect(server.requests[0]?.body).toMatchObject({
      text: { verbosity: 'low', format: { type: 'json_schema', schema: { type: 'object' } } },
    });
  });

  it.each([
    [['-c', 'model_reasoning_effort="extreme"'], 1, 'model_reasoning_effort: unknown variant'],
    [['-m', ''], 2, "invalid value '' for '--model <MODEL>'"],
    [['-c', 'model=""'], 1, 'model: the model must not be empty'],
  ])('rejects %j before any request', async (args, exitCode, message) => {
    const home = await makeCodexHome(envKeyConfig());

    const result = await home.run(['exec', ...args, 'hi'], { env: key });

    expect(result.exitCode).toBe(exitCode);
    expect(result.stderr).toContain(message);
    expect(server.requests).toHaveLength(0);
  });
});

describe('class: login status reports the active provider’s credential source', () => {
  it.each([
    [
      'env_key',
      'env_key = "MOCK_API_KEY"',
      key,
      0,
      "Using the API key in `MOCK_API_KEY` (env_key of model provider 'mock'; not shown)",
    ],
    [
      'env_key unset',
      'env_key = "MOCK_API_KEY"',
      {},
      1,
      "Not logged in: model provider 'mock' reads its API key from `MOCK_API_KEY`, which is not set",
    ],
    [
      'experimental_bearer_token',
      'experimental_bearer_token = "sk-literal-token"',
      {},
      0,
      "Using the experimental_bearer_token of model provider 'mock' (not shown)",
    ],
    [
      'CODEX_API_KEY',
      'requires_openai_auth = true',
      { CODEX_API_KEY: 'sk-codex-api-key' },
      0,
      'Logged in using an API key from `CODEX_API_KEY` (not shown)',
    ],
    [
      'env_key blank',
      'env_key = "MOCK_API_KEY"',
      { MOCK_API_KEY: '  ' },
      1,
      "Not logged in: model provider 'mock' reads its API key from `MOCK_API_KEY`, which is not set",
    ],
    [
      'a blank experimental_bearer_token',
      'experimental_bearer_token = ""',
      {},
      1,
      "Not logged in: the experimental_bearer_token of model provider 'mock' is empty",
    ],
    ['no credentials', '', {}, 0, "Model provider 'mock' uses no credentials"],
  ])('%s', async (_name, lines, env, exitCode, line) => {
    const home = await makeCodexHome(providerConfig(server.url, lines));

    const result = await home.run(['login', 'status'], { env });

    expect(result.exitCode).toBe(exitCode);
    expect(result.stderr).toBe(line);
    expect(result.stderr).not.toMatch(/sk-(env-key|literal-token|codex-api-key)/);
  });
});
