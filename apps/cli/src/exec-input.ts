import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Reads `--output-schema FILE` with upstream's error texts. */
export async function readOutputSchema(file: string, cwd: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new Error(`Failed to read output schema file ${file}: ${ioErrorText(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Output schema file ${file} is not valid JSON: ${reason}`);
  }
}

const imageTypes: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** Reads `-i FILE` as a `data:` URL for an `input_image` item. */
export async function readImageDataUrl(file: string, cwd: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.resolve(cwd, file));
  } catch (error) {
    throw new Error(`Failed to read image ${file}: ${ioErrorText(error)}`);
  }
  const mime = sniffImageType(bytes) ?? imageTypes[path.extname(file).toLowerCase()];
  if (mime === undefined) {
    throw new Error(`Failed to read image ${file}: unsupported image format`);
  }
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

function sniffImageType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'image/png';
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  ) {
    return 'image/webp';
  }
  return undefined;
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
