import { CliError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { decodeInput, readAll } from './read-stdin.ts';

/**
 * Resolves the `codex exec` prompt like upstream: the argument as is, else stdin when it is `-` or
 * piped.
 * @throws {CliError} with upstream's text when there is no prompt.
 */
export async function readPrompt(argument: string | undefined, io: CliIo): Promise<string> {
  if (argument !== undefined && argument !== '-') return argument;
  const forced = argument === '-';
  if (!forced && io.stdin.isTTY === true) {
    throw new CliError(
      'No prompt provided. Either specify one as an argument or pipe the prompt into stdin.',
    );
  }
  if (!forced) io.stderr.write('Reading prompt from stdin...\n');
  let text: string;
  try {
    text = decodeInput(await readAll(io.stdin));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`Failed to read prompt from stdin: ${reason}`);
  }
  if (text.trim() === '') throw new CliError('No prompt provided via stdin.');
  return text;
}
