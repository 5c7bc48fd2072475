import { escapeControlCharacters, redact } from '../secret.ts';

const brand = Symbol.for('codex.error');

/**
 * Base class of every error thrown by `@codex/*` packages. Its message passes through {@link redact}, so no
 * live secret reaches an error text, whichever code built it, and control characters are shown escaped,
 * so a server's or a command's text cannot drive the terminal.
 */
export abstract class CodexError extends Error {
  /** Stable, machine-readable discriminant; narrow with `switch (error.code)`. */
  abstract readonly code: string;
  // Stryker disable next-line BooleanLiteral: isCodexError checks that the brand key exists, not its value
  readonly [brand] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(escapeControlCharacters(redact(message)), options);
  }
}

/** Identifies a {@link CodexError} even across duplicated package copies, where `instanceof` fails. */
export function isCodexError(value: unknown): value is CodexError {
  return typeof value === 'object' && value !== null && brand in value;
}
