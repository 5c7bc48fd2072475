/** Credential files on disk: non-blocking reads that refuse non-regular files, atomic 0600 writes. */
// node:fs's `promises`, read when called: importing node:fs/promises would load it (with readline's
// internals, ~2 ms) in every `codex exec` turn, which calls none of these (issue 13)
import { closeSync, constants, promises as fs, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AuthStorageError } from './errors.ts';

/** A source name fit for one line: control characters escaped (a path may hold any byte). */
export function printable(source: string): string {
  let out = '';
  for (const char of source) {
    const code = char.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    out += control ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  }
  return out;
}

// O_NONBLOCK: opening a FIFO must not wait for a writer; fstat on the open handle then refuses it (no race).
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function notRegular(file: string): AuthStorageError {
  return new AuthStorageError(
    `${printable(file)} is not a regular file; remove it, then run \`codex login\` to sign in again`,
  );
}

/** Reads a credentials file; refuses a FIFO, directory or device without blocking. Null when absent. */
export function readRegularFileSync(file: string): string | null {
  let descriptor: number;
  try {
    descriptor = openSync(file, READ_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    if (!fstatSync(descriptor).isFile()) throw notRegular(file);
    return readFileSync(descriptor, 'utf8');
  } finally {
    closeSync(descriptor);
  }
}

/** A temp file older than this is left over from a killed writer, whatever its pid says now. */
const STALE_TEMP_MS = 60_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `.<name>.<pid>.<hex>.tmp` files a killed writer left next to `file` (they may hold a key):
 * those of a process that no longer runs, or older than a minute. A live writer's temp file is kept.
 */
export async function removeStaleTempFiles(
  file: string,
  nowMs: number = Date.now(),
): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    const temp = path.join(dir, name);
    try {
      const stat = await fs.lstat(temp);
      // this process's own temp may be a concurrent save in flight: only its age makes it stale
      const stale =
        !Number.isSafeInteger(pid) ||
        nowMs - stat.mtimeMs > STALE_TEMP_MS ||
        (pid !== process.pid && !processAlive(pid));
      if (stale) await fs.rm(temp, { force: true });
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

/**
 * Writes a file atomically: a temp file (mode 0600) in the same directory, then rename.
 * Readers see the old or the new content, never a torn write. Temp files a killed writer left are removed.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  // CODEX_HOME holds credentials: created 0700 whatever the umask (umask 000 would leave it 0777)
  const created = await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await fs.chmod(dir, 0o700);
  await removeStaleTempFiles(file);
  const temp = path.join(
    dir,
    // node:crypto loaded here, on a write, not by every turn that imports this module
    `.${path.basename(file)}.${process.pid}.${process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
