// the subpath, not the package index: the entry chunk must not pull in zod and the schemas
import { redact } from '@codex/protocol/secret';
import type { CliIo } from './cli-io.ts';

/**
 * A stream whose string writes pass through the one redactor: the last line of defence, so no live secret
 * reaches the terminal, a log or a parent app whichever code path wrote it. Everything else is the stream's.
 */
function redacting<T extends NodeJS.WritableStream>(stream: T): T {
  const write = (chunk: unknown, ...rest: unknown[]): boolean =>
    (stream.write as (...args: unknown[]) => boolean)(
      typeof chunk === 'string' ? redact(chunk) : chunk,
      ...rest,
    );
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** `io` with stdout and stderr redacted; stdin read from `io` when used (process-main.ts makes it lazy). */
export function redactingIo(io: CliIo): CliIo {
  return {
    get stdin() {
      return io.stdin;
    },
    stdout: redacting(io.stdout),
    stderr: redacting(io.stderr),
    env: io.env,
    cwd: io.cwd,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  };
}
