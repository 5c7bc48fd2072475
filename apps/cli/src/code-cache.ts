// The V8 code cache of dist/codex.bundle.js, for bin.ts: where it lives, when it is trusted, how it is
// read and written. A code cache is code: V8 runs the bytecode in it instead of compiling the bundle,
// and in a release build it checks only the source's length, its own version and its flags, with no
// checksum (a few flipped bytes crash V8). So this module trusts a cache only when
// - every directory on the way ($CODEX_HOME, cache/, cache/v8/) and the file belong to this user and no
//   one else can write them (cache/, cache/v8/ and the file must not be symlinks), and the file is a
//   regular file of sane size: someone who could write it could run code as this user, before
//   config.toml's trust check;
// - the CRC-32 written in its first 4 bytes matches the rest, computed together with the bundle's
//   identity (build digest, size and mtime: a hand-edited bundle of the same length is not mistaken
//   for the one the cache was made from).
// Anything else is a miss: the bundle is compiled from source and the cache written afresh. Reading
// or writing a cache never fails a run.
//
// The check is for damage (a disk error, a truncated copy, a hand edit), not for an attacker: the
// ownership rules above keep out anyone but this user. So CRC-32 (zlib's, one pass over ~600 KB in
// ~0.2 ms) rather than SHA-256: node:crypto would be the only reason a turn loads it, and loading it
// initialises OpenSSL and seeds its DRBG (~20M instructions, ~8% of a `codex exec` turn).
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { splitCommandLine } from './subcommand.ts';

/** Where one command line's cache lives, and what it must have been made from. */
export type CodeCacheSlot = {
  readonly file: string;
  /** The bundle's identity: build digest, size, mtime and path of the file compiled. */
  readonly identity: string;
};

const DIGEST_BYTES = 4;
// a code cache of the whole CLI is about 1 MiB; anything far larger is not one
const MAX_CACHE_BYTES = 64 * 1024 * 1024;
// caches of other builds of the CLI are removed once they have not been written for this long
const STALE_CACHE_MS = 7 * 24 * 60 * 60 * 1000;
// a temporary file this old was left by a run that died while writing
const STALE_TEMP_MS = 60 * 1000;
const SUBCOMMANDS = new Set(['exec', 'login', 'logout', 'app-server']);

/**
 * The cache slot for a command line: `$CODEX_HOME/cache/v8/<build>-<node version>-<arch>-<subcommand>-<crc of bundle path and Node options>.bin`,
 * or undefined when $CODEX_HOME (default ~/.codex) is not a directory (the CLI does not create it for a
 * cache). One file per subcommand, since each compiles different functions (`help` and `--help` runs
 * apart: they run none of the command; exec's, from exec.bundle.js, as `exec-help`), and per set of Node
 * options, whose V8 flags V8 checks.
 * @param buildId the bundle's build digest (`CODEX_BUNDLE_ID`)
 */
export function codeCacheSlot(
  args: readonly string[],
  bundle: { readonly file: string; readonly buildId: string },
  env: Readonly<Record<string, string | undefined>>,
): CodeCacheSlot | undefined {
  let home: string;
  let bundleInfo: Stats;
  try {
    // the real path, from the kernel (realpath(3)): `path.join`, and fs.realpathSync's JavaScript
    // version, resolve a `..` in $CODEX_HOME by its text, the kernel after following the symlinks
    // before it (the cache would be written beside another directory than config.toml is read from)
    home = realpathSync.native(env['CODEX_HOME'] || path.join(homedir(), '.codex'));
    if (!statSync(home).isDirectory()) return undefined;
    bundleInfo = statSync(bundle.file);
  } catch {
    return undefined;
  }
  const { command, rest } = splitCommandLine(args);
  const name = command === 'e' ? 'exec' : SUBCOMMANDS.has(command ?? '') ? command : 'other';
  const help = command === 'help' || rest.includes('--help') || rest.includes('-h');
  const options = [...process.execArgv, env['NODE_OPTIONS'] ?? ''].join(' ').trim();
  // exec's help comes from exec.bundle.js, every other help from codex.bundle.js: a slot each
  const helpSlot = name === 'exec' ? 'exec-help' : 'help';
  const parts = [bundle.buildId, process.version, process.arch, help ? helpSlot : name];
  // the bundle's path too: V8 keeps the script name of the run that wrote a cache, so two installs of one
  // build (same size; npm gives every file the same mtime) sharing a cache would print each other's paths
  // in stacks, and the stack mapper would not recognise its own bundle
  parts.push(digest([bundle.file, options].join('\0')).toString('hex'));
  return {
    file: path.join(home, 'cache', 'v8', `${parts.join('-')}.bin`),
    // the path as well as the slot name's CRC of it: two paths whose CRCs collide miss, not share
    identity: `${bundle.buildId}:${bundleInfo.size}:${bundleInfo.mtimeMs}:${bundle.file}`,
  };
}

/** The cached data of a slot, or undefined when it is absent or not trusted (see the module comment). */
export function readCodeCache(slot: CodeCacheSlot): Buffer | undefined {
  const v8Dir = path.dirname(slot.file);
  const cacheDir = path.dirname(v8Dir);
  const home = path.dirname(cacheDir);
  try {
    // $CODEX_HOME may be a symlink (dotfiles); what we create below it may not
    if (!safe(statSync(home), 'directory')) return undefined;
    if (!safe(lstatSync(cacheDir), 'directory') || !safe(lstatSync(v8Dir), 'directory')) {
      return undefined;
    }
  } catch {
    return undefined;
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put here must not hang the CLI; O_NOFOLLOW: nor a symlink lead elsewhere
    fd = openSync(
      slot.file,
      constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0),
    );
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!safe(info, 'file') || info.size <= DIGEST_BYTES || info.size > MAX_CACHE_BYTES) {
      return undefined;
    }
    const data = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < data.length) {
      const read = readSync(fd, data, filled, data.length - filled, filled);
      if (read === 0) return undefined;
      filled += read;
    }
    const payload = data.subarray(DIGEST_BYTES);
    return digest(slot.identity, payload).equals(data.subarray(0, DIGEST_BYTES))
      ? payload
      : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a slot's cache: the digest, then V8's data, into a private temporary file renamed into place
 * (a concurrent run reads the old file or the new one), in directories made private whatever the umask;
 * then removes other builds' stale caches. Nothing is written, chmodded or removed unless $CODEX_HOME is
 * this user's and writable by no one else, and cache/ and cache/v8/ are this user's real directories (a
 * symlink there would take the chmod and the pruning elsewhere). Errors are ignored: they cost only the
 * next start.
 */
export function writeCodeCache(slot: CodeCacheSlot, data: Buffer): void {
  const v8Dir = path.dirname(slot.file);
  const cacheDir = path.dirname(v8Dir);
  const temp = `${slot.file}.${process.pid}.tmp`;
  try {
    if (!safe(statSync(path.dirname(cacheDir)), 'directory')) return;
    if (!privateDirectory(cacheDir) || !privateDirectory(v8Dir)) return;
    // wx: never through a file or link already at the temporary name
    writeFileSync(temp, Buffer.concat([digest(slot.identity, data), data]), {
      mode: 0o600,
      flag: 'wx',
    });
    chmodSync(temp, 0o600);
    renameSync(temp, slot.file);
    pruneCodeCaches(v8Dir, slot.file, Date.now());
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // nothing more to undo: the run itself went through
    }
  }
}

/**
 * Makes `dir` if it is missing; true when it is then a directory of this user's, not a symlink, made
 * 0700 (mkdir's mode is masked by the umask, and a directory made under `umask 277` would refuse us later).
 */
function privateDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  const info = lstatSync(dir);
  if (!info.isDirectory()) return false;
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) return false;
  chmodSync(dir, 0o700);
  return true;
}

/** Owned by this user (POSIX), writable by no one else, and of the expected type. */
function safe(info: Stats, type: 'file' | 'directory'): boolean {
  if (type === 'file' ? !info.isFile() : !info.isDirectory()) return false;
  if (typeof process.getuid !== 'function') return true;
  return info.uid === process.getuid() && (info.mode & 0o022) === 0;
}

/** CRC-32 of `text`, then of `payload` if given (with a NUL between), as 4 bytes big-endian. */
function digest(text: string, payload?: Buffer): Buffer {
  let crc = crc32(text);
  if (payload !== undefined) crc = crc32(payload, crc32('\0', crc));
  const bytes = Buffer.alloc(DIGEST_BYTES);
  bytes.writeUInt32BE(crc);
  return bytes;
}

function pruneCodeCaches(dir: string, current: string, now: number): void {
  const build = `${path.basename(current).split('-')[0]}-`;
  for (const name of readdirSync(dir)) {
    const ageLimit = name.endsWith('.tmp')
      ? STALE_TEMP_MS
      : name.startsWith(build)
        ? undefined
        : STALE_CACHE_MS;
    if (ageLimit === undefined) continue;
    const file = path.join(dir, name);
    try {
      if (now - lstatSync(file).mtimeMs >= ageLimit) rmSync(file, { force: true });
    } catch {
      // removed by a concurrent run
    }
  }
}
