// node:fs's `promises`, read when called: importing node:fs/promises would load it (with readline's
// internals, ~2 ms) in every `codex exec` turn, which calls none of these (issue 13)
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { CliError } from './cli-error.ts';
import { ioErrorText } from './exec-input.ts';

function failure(file: string, error: unknown): CliError {
  return new CliError(`Failed to write last message file ${file}: ${ioErrorText(error)}`);
}

/**
 * Makes sure `-o FILE` can be written before any request is sent: missing parent directories are
 * created (as `mkdir -p` does); a directory, an unwritable file or an unusable parent fails at once.
 * @throws {CliError} `Failed to write last message file <path>: <reason>`
 */
export async function prepareOutputFile(file: string): Promise<void> {
  try {
    const info = await fs.stat(file);
    if (info.isDirectory()) {
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    await fs.access(file, constants.W_OK);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw failure(file, error);
  }
  const parent = path.dirname(file);
  try {
    await fs.mkdir(parent, { recursive: true });
    await fs.access(parent, constants.W_OK);
  } catch (error) {
    throw failure(file, error);
  }
}

/**
 * Writes `-o FILE` after the turn.
 * @throws {CliError} `Failed to write last message file <path>: <reason>`
 */
export async function writeOutputFile(file: string, text: string): Promise<void> {
  try {
    await fs.writeFile(file, text);
  } catch (error) {
    throw failure(file, error);
  }
}

/**
 * Resolves once everything written to `stream` so far is handed to the OS, with the first write
 * error the stream reported (a closed pipe, a full disk), or null.
 */
export function watchOutputStream(stream: NodeJS.WritableStream): {
  settle(): Promise<Error | null>;
} {
  let failed: Error | null = null;
  const onError = (error: Error) => {
    failed ??= error;
  };
  stream.on('error', onError);
  return {
    settle: async () => {
      await new Promise<void>((resolve) => {
        try {
          stream.write('', () => resolve());
        } catch (error) {
          failed ??= error as Error;
          resolve();
        }
      });
      // an EPIPE is reported on the next tick after the write callback
      await new Promise<void>((resolve) => setImmediate(resolve));
      stream.removeListener('error', onError);
      return failed;
    },
  };
}
