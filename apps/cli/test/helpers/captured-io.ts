import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../src/cli.ts';

export interface CapturedIo extends CliIo {
  stdoutText(): string;
  /** Each write to stdout, in order: tells streamed deltas from one final write. */
  stdoutWrites(): string[];
  stderrText(): string;
}

/** In-process IO for `run()`: stdin from `input` (a pipe) or a TTY, captured stdout and stderr. */
export function captureIo(
  options: {
    readonly input?: string | Buffer;
    readonly stdinIsTty?: boolean;
    readonly stdoutIsTty?: boolean;
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
  } = {},
): CapturedIo {
  const stdin = Object.assign(Readable.from(options.input === undefined ? [] : [options.input]), {
    isTTY: options.stdinIsTty ?? false,
  });
  const stdout = Object.assign(new PassThrough(), { isTTY: options.stdoutIsTty ?? false });
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return {
    stdin,
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    stdoutText: () => Buffer.concat(out).toString('utf8'),
    stdoutWrites: () => out.map((chunk) => chunk.toString('utf8')),
    stderrText: () => Buffer.concat(err).toString('utf8'),
  };
}
