import { readFileSync } from 'node:fs';
import type { CliIo } from './cli-io.ts';
import { runCommand } from './run-command.ts';
import { splitCommandLine } from './subcommand.ts';
import { topHelp, topUsage, UsageError } from './usage.ts';

export type { CliIo } from './cli-io.ts';

/** Runs the `codex` command line and resolves to its exit code (0 ok, 1 error, 2 bad usage). */
export function run(argv: readonly string[], rawIo: CliIo): Promise<number> {
  return runCommand(argv, rawIo, dispatch);
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  // `-c key=value` may come before the subcommand, as upstream's global flag
  const split = splitCommandLine(argv);
  const { command } = split;
  const rest = [...split.globals, ...split.rest];
  switch (command) {
    case '--version':
    case '-V':
      io.stdout.write(`codex-cli ${version()}\n`);
      return 0;
    case '--help':
    case '-h':
      io.stdout.write(topHelp);
      return 0;
    case 'help':
      return printHelp(split.rest, io);
    // subcommands load lazily: `--version` and `--help` never parse core, login or undici
    case 'exec':
    case 'e':
      return (await import('./commands/exec.ts')).runExec(rest, io);
    case 'login':
      return (await import('./commands/login.ts')).runLogin(rest, io);
    case 'logout':
      return (await import('./commands/logout.ts')).runLogout(rest, io);
    case 'app-server':
      return (await import('./commands/app-server.ts')).runAppServer(rest, io);
    case undefined:
      throw new UsageError("'codex' requires a subcommand", topUsage);
    case '-c':
    case '--config':
      // the loop above takes `-c` with its value; here it was the last argument
      throw new UsageError(
        "a value is required for '--config <key=value>' but none was supplied",
        topUsage,
      );
    default:
      throw new UsageError(
        command.startsWith('-')
          ? `unexpected argument '${command}' found`
          : `unrecognized subcommand '${command}'`,
        topUsage,
      );
  }
}

/**
 * `codex help [COMMAND]...`: the named command's own help (`codex help login status` is
 * `codex login status --help`), or the top-level help when none is named.
 */
async function printHelp(commands: readonly string[], io: CliIo): Promise<number> {
  if (commands.length === 0) {
    io.stdout.write(topHelp);
    return 0;
  }
  if (commands[0] === 'help') {
    io.stdout.write(topHelp);
    return 0;
  }
  return dispatch([...commands, '--help'], io);
}

// replaced with the package version by scripts/bundle.mjs, so the bundle reads no package.json
declare const CODEX_CLI_VERSION: string | undefined;

function version(): string {
  if (typeof CODEX_CLI_VERSION === 'string') return CODEX_CLI_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return (pkg as { version: string }).version;
}
