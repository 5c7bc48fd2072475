import { describe, expect, it } from 'vitest';
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
});
