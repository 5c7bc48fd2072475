import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from '@codex/test-support';
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
    [['exec', '--bogus', 'hi'], "error: unexpected argument '--bogus' found"],
    [['exec', 'one', 'two'], "error: unexpected argument 'two' found"],
    [['exec', '-m'], "error: a value is required for '--model <MODEL>' but none was supplied"],
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

  it('wires the app-server subcommand to runAppServer', async () => {
    const io = captureIo();

    const code = await run(['app-server', '--help'], io);

    expect(typeof code).toBe('number');
    expect(io.stderrText()).not.toContain('unrecognized subcommand');
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
