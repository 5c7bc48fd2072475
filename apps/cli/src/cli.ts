import { createRequire } from 'node:module';

/** Streams and environment the CLI runs against; tests pass their own. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Runs the `codex` command line and resolves to its exit code. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.stdout.write(`codex-cli ${version()}\n`);
    return 0;
  }
  io.stderr.write('Usage: codex <exec|login|logout|app-server> [OPTIONS]\n');
  return 2;
}

function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}
