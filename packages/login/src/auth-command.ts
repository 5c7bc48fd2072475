import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { type ModelProviderAuthInfo, redact, Secret } from '@codex/protocol';
import { AuthCommandError } from './errors.ts';
import type { TokenRequestReason } from './external-auth.ts';
import { decodeJwtPayload } from './token-data.ts';

export const MAX_STDOUT_BYTES = 1024 * 1024;
export const MAX_QUOTED_STDERR_BYTES = 2048;

/** What a successful command run produced. */
export type CommandToken = {
  token: Secret;
  /** Epoch ms at which the token expires, when the output or the JWT says so. */
  expiresAtMs: number | null;
  /** Epoch ms at which the token was issued (JWT `iat`), when known. */
  issuedAtMs: number | null;
  /** Lifetime in ms from the moment the command printed it (JSON `expires_in`), when given. */
  expiresInMs: number | null;
};

export type RunAuthCommandOptions = {
  readonly onSlow?: () => void;
  readonly slowNoticeMs?: number;
  /** Kills the command's process group and rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Passed to the command as `CODEX_AUTH_REASON`. */
  readonly reason?: TokenRequestReason;
  /** Passed to the command as `CODEX_PROVIDER_ID`. */
  readonly providerId?: string | undefined;
};

const isWindows = process.platform === 'win32';

// Linux strerror texts, so messages read like Rust's io::Error display.
const OS_ERROR_TEXTS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOEXEC: 'Exec format error',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  E2BIG: 'Argument list too long',
  ENOMEM: 'Cannot allocate memory',
  ETXTBSY: 'Text file busy',
};

function osErrorText(cause: unknown): string {
  const error = cause as NodeJS.ErrnoException | undefined;
  const code = error?.code;
  // Node's argument checks read "... Received undefined": not a text for users
  if (code?.startsWith('ERR_'))
    return 'the command could not be started (invalid program or arguments)';
  const errno = code ? (osConstants.errno as Record<string, number>)[code] : undefined;
  const text = code ? OS_ERROR_TEXTS[code] : undefined;
  if (text !== undefined && errno !== undefined) {
    return `${text} (os error ${errno})`;
  }
  return error?.message ?? String(cause);
}

/** Where the program lives: absolute as is, with a path separator against `cwd`, bare names via PATH. */
export function resolveCommandProgram(command: string, cwd: string): string {
  if (path.isAbsolute(command)) {
    return command;
  }
  if (command.includes('/') || (isWindows && command.includes('\\'))) {
    return path.join(cwd, command);
  }
  return command;
}

function exitStatusText(exitCode: number | undefined, signal: string | undefined): string {
  if (signal !== undefined) {
    const number = (osConstants.signals as Record<string, number>)[signal];
    return number === undefined ? `signal: ${signal}` : `signal: ${number} (${signal})`;
  }
  return `exit status: ${exitCode ?? 'unknown'}`;
}

function capStderr(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_QUOTED_STDERR_BYTES) {
    return text;
  }
  const head = bytes
    .subarray(0, MAX_QUOTED_STDERR_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${head}… (stderr truncated, ${bytes.length} bytes)`;
}

/**
 * SIGKILLs the process group a detached command leads (grandchildren included), else calls `fallback`
 * (the command alone: Windows, or a group already gone). Does nothing without a pid. That guard keeps
 * the user's own terminal job alive: a command that never started (execa's stand-in after a spawn that
 * threw, e.g. E2BIG) is a ChildProcess whose native handle has pid 0, and its kill() sends kill(0), which is
 * SIGKILL to our own process group: the shell pipeline around `codex`, or a test runner and all its workers.
 */
function killProcessTree(pid: number | undefined, fallback: () => void): void {
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator,BlockStatement: a mutant here SIGKILLs the mutation run's own process group; test/auth-command-no-pid.test.ts covers it in a process group of its own
  if (pid === undefined || !(pid > 0)) return;
  if (!isWindows) {
    try {
      // Negative pid: the whole process group the detached child leads, grandchildren included.
      process.kill(-pid, 'SIGKILL');
      return;
    } catch {
      // group already gone; fall back to the direct child
    }
  }
  fallback();
}

/** How long the pipes may stay open after the command exits: a detached grandchild may hold them. */
const PIPE_GRACE_MS = 200;

type RunOutcome =
  | { kind: 'exited'; exitCode: number | null; signal: NodeJS.Signals | null }
  | { kind: 'spawn_error'; cause: unknown }
  | { kind: 'overflow'; stream: 'stdout' | 'stderr' }
  | { kind: 'timeout' }
  | { kind: 'aborted' };

function abortReason(signal: AbortSignal, command: string, prefix: string): unknown {
  return signal.reason instanceof Error
    ? signal.reason
    : new AuthCommandError(command, `${prefix} was cancelled`);
}

/**
 * Runs a provider auth command once and returns its token.
 *
 * The command gets `CODEX_AUTH_REASON` (`initial`, `expired` or `unauthorized`) and `CODEX_PROVIDER_ID` in its
 * environment. `timeout_ms` is a hard bound: when it fires, or `signal` aborts, the run settles at once, the pipes
 * are destroyed and the command's whole process group is killed, whatever else still holds the pipes.
 * @throws {AuthCommandError} with upstream's texts; never quoting the token
 */
export async function runAuthCommand(
  auth: ModelProviderAuthInfo,
  {
    onSlow,
    slowNoticeMs = 2000,
    signal,
    reason = 'initial',
    providerId,
  }: RunAuthCommandOptions = {},
): Promise<CommandToken> {
  const { command } = auth;
  const prefix = `provider auth command \`${command}\``;
  if (signal?.aborted) throw abortReason(signal, command, prefix);
  const program = resolveCommandProgram(command, auth.cwd);
  if ([command, auth.cwd, ...auth.args].some((part) => part.includes('\0'))) {
    // Node would refuse it with a developer message ("... Received 'a\x00b'"); say what is wrong instead
    throw new AuthCommandError(
      command,
      `${prefix} failed to start: its command, args or cwd contain a NUL character`,
    );
  }

  // Loaded here, not at the top: most runs never spawn a command, and execa is a large share of
  // the CLI's start-up (esbuild puts it in its own lazily imported chunk).
  const { execa } = await import('execa');
  if (signal?.aborted) throw abortReason(signal, command, prefix);
  // undefined removes a CODEX_PROVIDER_ID inherited from our own environment: the helper is told only the truth
  const env: Record<string, string | undefined> = {
    CODEX_AUTH_REASON: reason,
    CODEX_PROVIDER_ID: providerId,
  };
  const subprocess = execa(program, auth.args, {
    cwd: auth.cwd,
    env,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: !isWindows,
    // Stryker disable next-line BooleanLiteral: windowsHide has no effect off Windows, where these tests run
    windowsHide: true,
  });
  const killGroup = () => killProcessTree(subprocess.pid, () => subprocess.kill('SIGKILL'));
  const destroyPipes = () => {
    subprocess.stdout?.destroy();
    subprocess.stderr?.destroy();
  };
  const output = { stdout: [] as Buffer[], stderr: [] as Buffer[], stdoutBytes: 0, stderrBytes: 0 };

  const timers: NodeJS.Timeout[] = [];
  let onAbort: (() => void) | undefined;
  const outcome = await new Promise<RunOutcome>((resolve) => {
    let exit: { exitCode: number | null; signal: NodeJS.Signals | null } | null = null;
    let openPipes = 2;
    const settleIfDone = () => {
      if (exit !== null && openPipes === 0) resolve({ kind: 'exited', ...exit });
    };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const bytesKey = stream === 'stdout' ? 'stdoutBytes' : 'stderrBytes';
      output[bytesKey] += chunk.length;
      if (output[bytesKey] > MAX_STDOUT_BYTES) resolve({ kind: 'overflow', stream });
      else output[stream].push(chunk);
    };
    subprocess.stdout?.on('data', collect('stdout'));
    subprocess.stderr?.on('data', collect('stderr'));
    for (const pipe of [subprocess.stdout, subprocess.stderr]) {
      if (pipe === null) openPipes -= 1;
      else
        pipe.once('close', () => {
          openPipes -= 1;
          settleIfDone();
        });
    }
    subprocess.once('exit', (exitCode, exitSignal) => {
      exit = { exitCode, signal: exitSignal };
      // A token command is one-shot: whatever it left in its process group (a forked child holding stdout, a
      // stray daemon) dies with it; a grandchild in a session of its own gets the pipes closed after a grace.
      // Stryker disable next-line ConditionalExpression: off Windows, where these tests run, the condition is true
      if (!isWindows) killProcessTree(subprocess.pid, () => {});
      const grace = setTimeout(destroyPipes, PIPE_GRACE_MS);
      grace.unref();
      timers.push(grace);
      settleIfDone();
    });
    subprocess.then(
      (result) => {
        if (result.exitCode === undefined && result.signal === undefined && exit === null) {
          resolve({ kind: 'spawn_error', cause: result.cause });
        }
      },
      (error: unknown) => resolve({ kind: 'spawn_error', cause: error }),
    );
    timers.push(setTimeout(() => resolve({ kind: 'timeout' }), auth.timeout_ms));
    if (onSlow !== undefined) {
      const slow = setTimeout(onSlow, slowNoticeMs);
      slow.unref();
      timers.push(slow);
    }
    if (signal !== undefined) {
      onAbort = () => resolve({ kind: 'aborted' });
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  for (const timer of timers) clearTimeout(timer);
  if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  if (outcome.kind !== 'exited') {
    killGroup();
    destroyPipes();
  }

  switch (outcome.kind) {
    case 'aborted':
      throw abortReason(signal as AbortSignal, command, prefix);
    case 'timeout':
      throw new AuthCommandError(command, `${prefix} timed out after ${auth.timeout_ms} ms`);
    case 'overflow':
      throw new AuthCommandError(command, `${prefix} wrote more than 1 MiB to ${outcome.stream}`);
    case 'spawn_error':
      throw new AuthCommandError(
        command,
        `${prefix} failed to start: ${osErrorText(outcome.cause)}`,
        {
          cause: outcome.cause,
        },
      );
    case 'exited':
      break;
  }
  const stdout = Buffer.concat(output.stdout);
  if (outcome.exitCode !== 0) {
    // Whatever the failing command printed on stdout may be a token: hold each line as a secret while the
    // error text is built, so the one redactor scrubs it from the quoted stderr.
    const held = new TextDecoder()
      .decode(stdout)
      .split(/\r\n|\n|\r/)
      .map((line) => new Secret(line.trim()));
    const stderr = redact(new TextDecoder().decode(Buffer.concat(output.stderr)).trim());
    const suffix = stderr === '' ? '' : `: ${capStderr(stderr)}`;
    const error = new AuthCommandError(
      command,
      `${prefix} exited with status ${exitStatusText(outcome.exitCode ?? undefined, outcome.signal ?? undefined)}${suffix}`,
    );
    held.length = 0;
    throw error;
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(stdout);
  } catch {
    throw new AuthCommandError(command, `${prefix} wrote non-UTF-8 data to stdout`);
  }
  return parseAuthCommandOutput(command, text);
}

function parseTimestamp(value: unknown): number | null | undefined {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value * 1000;
  }
  if (typeof value === 'string') {
    // RFC 3339 only: a date, a time and an offset
    if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value)) {
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? undefined : ms;
    }
  }
  return undefined;
}

/**
 * Turns a command's stdout into a token: one trimmed line, or a JSON object with a token and its expiry.
 * @throws {AuthCommandError}
 */
export function parseAuthCommandOutput(command: string, stdout: string): CommandToken {
  const prefix = `provider auth command \`${command}\``;
  const trimmed = stdout.trim();
  if (trimmed === '') {
    throw new AuthCommandError(command, `${prefix} produced an empty token`);
  }

  let token: string;
  let expiresAtMs: number | null = null;
  let issuedAtMs: number | null = null;
  let expiresInMs: number | null = null;

  if (trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new AuthCommandError(
        command,
        `${prefix} printed malformed JSON; expected a single token or a JSON object with "access_token"`,
      );
    }
    const object = value as Record<string, unknown>;
    const candidate = object['access_token'] ?? object['token'];
    if (typeof candidate !== 'string') {
      throw new AuthCommandError(
        command,
        `${prefix} printed a JSON object without a string "access_token" or "token"`,
      );
    }
    token = candidate.trim();
    const expiresIn = object['expires_in'];
    if (expiresIn !== undefined && expiresIn !== null) {
      if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0) {
        throw new AuthCommandError(command, `${prefix} printed an invalid "expires_in"`);
      }
      expiresInMs = expiresIn * 1000;
    }
    const expiresAt = parseTimestamp(object['expires_at']);
    if (expiresAt === undefined) {
      throw new AuthCommandError(command, `${prefix} printed an invalid "expires_at"`);
    }
    expiresAtMs = expiresAt;
    if (token === '') {
      throw new AuthCommandError(command, `${prefix} produced an empty token`);
    }
  } else {
    const lines = trimmed.split(/\r\n|\n|\r/).filter((line) => line.trim() !== '');
    if (lines.length > 1) {
      throw new AuthCommandError(
        command,
        `${prefix} printed ${lines.length} lines; expected a single token`,
      );
    }
    token = trimmed;
  }

  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f]/.test(token)) {
    throw new AuthCommandError(command, `${prefix} printed a token with control characters`);
  }
  if (/[^\u0020-\u00ff]/.test(token)) {
    throw new AuthCommandError(
      command,
      `${prefix} printed a token with characters that cannot be sent in an HTTP header`,
    );
  }

  if (expiresAtMs === null && expiresInMs === null) {
    const jwt = jwtTimes(token);
    expiresAtMs = jwt.expiresAtMs;
    issuedAtMs = jwt.issuedAtMs;
  }
  return { token: new Secret(token), expiresAtMs, issuedAtMs, expiresInMs };
}

function jwtTimes(token: string): { expiresAtMs: number | null; issuedAtMs: number | null } {
  if (token.split('.').length !== 3) {
    return { expiresAtMs: null, issuedAtMs: null };
  }
  try {
    const claims = decodeJwtPayload(token);
    const exp = claims['exp'];
    const iat = claims['iat'];
    return {
      expiresAtMs: typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null,
      issuedAtMs: typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 : null,
    };
  } catch {
    // an opaque token that happens to contain two dots
    return { expiresAtMs: null, issuedAtMs: null };
  }
}
