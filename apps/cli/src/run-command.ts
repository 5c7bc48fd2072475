import type { CliIo } from './cli-io.ts';
import { redactingIo } from './redacting-io.ts';
import { formatUsageError, UsageError } from './usage.ts';

/** Runs one command line against an already split-off dispatcher: the subcommands `dispatch` knows. */
export type Dispatch = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * Runs `dispatch` with redacting stdout/stderr and turns what it throws into an exit code: a
 * {@link UsageError} prints usage (2), anything else one error line (1; the stack under `CODEX_DEBUG=1`).
 * Shared by the whole CLI (cli.ts) and the `exec`-only bundle (exec-main.ts).
 */
export async function runCommand(
  argv: readonly string[],
  rawIo: CliIo,
  dispatch: Dispatch,
): Promise<number> {
  const io = redactingIo(rawIo);
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(formatUsageError(error));
      return 2;
    }
    const { reportError } = await import('./report-error.ts');
    io.stderr.write(`${reportError(error, io.env)}\n`);
    return 1;
  }
}
