import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

const UUID_BYTES = 16;

/**
 * A random (version 4) UUID, e.g. `3b241101-e2bb-4255-8caf-4136c566a962`, from the kernel's CSPRNG read
 * through /dev/urandom, so a `codex exec` turn does not load node:crypto for its thread id: loading it
 * initialises OpenSSL and seeds its DRBG, ~20M instructions, ~8% of a turn (bench/README.md). Where
 * /dev/urandom is not a readable character device (Windows, a bare chroot, a FIFO put in its place) or
 * gives only zero bytes (/dev/zero bound over it), node:crypto's `randomUUID`.
 * @param source the random device (tests point it elsewhere)
 */
export function randomUuid(source = '/dev/urandom'): string {
  const bytes = readRandomDevice(source);
  if (bytes === undefined) return process.getBuiltinModule('node:crypto').randomUUID();
  // RFC 9562: version 4 in the high nibble of byte 6, variant 10 in the high bits of byte 8
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function readRandomDevice(source: string): Buffer | undefined {
  let fd: number;
  try {
    // non-blocking: a FIFO in its place must not hang the turn (the fstat below then refuses it)
    fd = openSync(source, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isCharacterDevice()) return undefined;
    const bytes = Buffer.alloc(UUID_BYTES);
    let filled = 0;
    while (filled < UUID_BYTES) {
      const read = readSync(fd, bytes, filled, UUID_BYTES - filled, null);
      if (read === 0) return undefined;
      filled += read;
    }
    // 16 zero bytes come from /dev/zero, not from a random device (odds 2^-128)
    return bytes.some((byte) => byte !== 0) ? bytes : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
