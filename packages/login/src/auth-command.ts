import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { ModelProviderAuthInfo } from '@codex/protocol';
import { AuthCommandError } from './errors.ts';
import { decodeJwtPayload } from './token-data.ts';

export const MAX_STDOUT_BYTES = 1024 * 1024;
export const MAX_QUOTED_STDERR_BYTES = 2048;

/** What a successful command run produced. */
export type CommandToken = {
  token: string;
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
  /** Secrets that must never be quoted back, e.g. the currently cached token. */
  readonly redact?: readonly string[];
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

function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) {
      result = result.split(secret).join('[REDACTED]');
    }
  }
  return result;
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

function killProcessTree(pid: number | undefined, fallback: () => void): void {
  if (pid !== undefined && !isWindows) {
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

/**
 * Runs a provider auth command once and returns its token.
 * @throws {AuthCommandError} with upstream's texts; never quoting the token
 */
export async function runAuthCommand(
  auth: ModelProviderAuthInfo,
  { onSlow, slowNoticeMs = 2000, redact = [] }: RunAuthCommandOptions = {},
): Promise<CommandToken> {
  const { command } = auth;
  const prefix = `provider auth command \`${command}\``;
  const program = resolveCommandProgram(command, auth.cwd);

  // Loaded here, not at the top: most runs never spawn a command, and execa is a large share of
  // the CLI's start-up (esbuild puts it in its own lazily imported chunk).
  const { execa } = await import('execa');
  const subprocess = execa(program, auth.args, {
    cwd: auth.cwd,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    encoding: 'buffer',
    reject: false,
    detached: !isWindows,
    maxBuffer: MAX_STDOUT_BYTES,
    windowsHide: true,
  });

  let timedOut = false;
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    killProcessTree(subprocess.pid, () => subprocess.kill('SIGKILL'));
  }, auth.timeout_ms);
  const slowTimer =
    onSlow === undefined
      ? undefined
      : setTimeout(() => {
          onSlow();
        }, slowNoticeMs);
  slowTimer?.unref();

  // A token command is one-shot: whatever it leaves running in its process group (a forked child that
  // holds stdout open, a stray daemon) is killed as soon as the command itself exits.
  subprocess.once('exit', () => {
    if (!isWindows && subprocess.pid !== undefined) killProcessTree(subprocess.pid, () => {});
  });

  let result: Awaited<typeof subprocess>;
  try {
    result = await subprocess;
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(slowTimer);
  }

  if (timedOut) {
    throw new AuthCommandError(command, `${prefix} timed out after ${auth.timeout_ms} ms`);
  }
  const stdout = Buffer.from(result.stdout);
  if (result.isMaxBuffer) {
    const stream = stdout.length >= MAX_STDOUT_BYTES ? 'stdout' : 'stderr';
    killProcessTree(subprocess.pid, () => subprocess.kill('SIGKILL'));
    throw new AuthCommandError(command, `${prefix} wrote more than 1 MiB to ${stream}`);
  }
  if (result.exitCode === undefined && result.signal === undefined) {
    throw new AuthCommandError(command, `${prefix} failed to start: ${osErrorText(result.cause)}`, {
      cause: result.cause,
    });
  }
  if (result.exitCode !== 0) {
    const stdoutSecrets = new TextDecoder()
      .decode(stdout)
      .split(/\r\n|\n|\r/)
      .map((line) => line.trim());
    const stderr = redactText(new TextDecoder().decode(result.stderr).trim(), [
      ...redact,
      ...stdoutSecrets,
    ]);
    const suffix = stderr === '' ? '' : `: ${capStderr(stderr)}`;
    throw new AuthCommandError(
      command,
      `${prefix} exited with status ${exitStatusText(result.exitCode, result.signal)}${suffix}`,
    );
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

  if (expiresAtMs === null && expiresInMs === null) {
    const jwt = jwtTimes(token);
    expiresAtMs = jwt.expiresAtMs;
    issuedAtMs = jwt.issuedAtMs;
  }
  return { token, expiresAtMs, issuedAtMs, expiresInMs };
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
