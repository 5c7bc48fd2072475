import { isCodexError } from '@codex/protocol';
import { CliError } from './cli-error.ts';
import { sourceMappedStack } from './stack-source-map.ts';

/** True when the user asked for stack traces: `CODEX_DEBUG=1`, or a `RUST_LOG` level of debug or trace. */
export function isDebug(env: NodeJS.ProcessEnv): boolean {
  const debug = env['CODEX_DEBUG'];
  if (debug !== undefined && debug !== '' && debug !== '0' && debug !== 'false') return true;
  return /\b(debug|trace)\b/i.test(env['RUST_LOG'] ?? '');
}

/**
 * One line for the user; the stack only in debug mode, its frames in the minified bundle mapped back to
 * source files and lines. Our errors already carry upstream's text.
 */
export function describeError(error: unknown, env: NodeJS.ProcessEnv): string {
  const message = errorMessage(error);
  if (isDebug(env) && error instanceof Error && error.stack) {
    return `${message}\n${sourceMappedStack(`${error.stack}${causeStack(error)}`)}`;
  }
  return message;
}

/** The message of any thrown value, for a one-line report. */
export function errorMessage(error: unknown): string {
  if (isCodexError(error)) return error.message;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function causeStack(error: Error): string {
  const cause = error.cause;
  if (cause instanceof Error && cause.stack) return `\nCaused by: ${cause.stack}`;
  return '';
}

/** The line `run` prints for an error that ended a command: ours as is, anything else as `Error: …`. */
export function reportError(error: unknown, env: NodeJS.ProcessEnv): string {
  const text = describeError(error, env);
  return error instanceof CliError || isCodexError(error) ? text : `Error: ${text}`;
}
