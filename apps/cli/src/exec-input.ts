// node:fs's `promises`, read when called: importing node:fs/promises would load it (with readline's
// internals, ~2 ms) in every `codex exec` turn, which calls none of these (issue 13)
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { imageFileToDataUrl } from '@codex/core';
import { CliError } from './cli-error.ts';

/** Reads `--output-schema FILE` with upstream's error texts. */
export async function readOutputSchema(file: string, cwd: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new CliError(`Failed to read output schema file ${file}: ${ioErrorText(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`Output schema file ${file} is not valid JSON: ${reason}`);
  }
}

/** Reads `-i FILE` as a `data:` URL (core's encoding), with a one-line error naming the file. */
export async function readImage(file: string, cwd: string): Promise<string> {
  try {
    return await imageFileToDataUrl(path.resolve(cwd, file));
  } catch (error) {
    throw new CliError(`Failed to read image ${file}: ${ioErrorText(error)}`);
  }
}

const osErrors: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory (os error 2)',
  EACCES: 'Permission denied (os error 13)',
  EISDIR: 'Is a directory (os error 21)',
  ENOTDIR: 'Not a directory (os error 20)',
};

/** Node's errno errors in the wording Rust's `io::Error` prints, which scripts may grep. */
export function ioErrorText(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && osErrors[code] !== undefined) return osErrors[code];
  return error instanceof Error ? error.message : String(error);
}
