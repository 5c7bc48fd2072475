/** Reads a stream to its end as bytes. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * Decodes piped text like upstream: strips a UTF-8 BOM, decodes UTF-16 with a BOM, rejects UTF-32
 * and invalid UTF-8.
 */
export function decodeInput(bytes: Buffer): string {
  if (hasPrefix(bytes, [0xff, 0xfe, 0x00, 0x00]) || hasPrefix(bytes, [0x00, 0x00, 0xfe, 0xff])) {
    throw new Error('UTF-32 input is not supported; re-encode it as UTF-8');
  }
  if (hasPrefix(bytes, [0xef, 0xbb, 0xbf])) return decodeUtf8(bytes.subarray(3));
  if (hasPrefix(bytes, [0xff, 0xfe])) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (hasPrefix(bytes, [0xfe, 0xff])) {
    const swapped = Buffer.from(bytes.subarray(2));
    if (swapped.length % 2 !== 0) throw new Error('input is not valid UTF-16');
    swapped.swap16();
    return new TextDecoder('utf-16le').decode(swapped);
  }
  return decodeUtf8(bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('input is not valid UTF-8');
  }
}

function hasPrefix(bytes: Buffer, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);
}
