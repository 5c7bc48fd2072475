const brand = Symbol.for('codex.error');

/** Base class of every error thrown by `@codex/*` packages. */
export abstract class CodexError extends Error {
  /** Stable, machine-readable discriminant; narrow with `switch (error.code)`. */
  abstract readonly code: string;
  // Stryker disable next-line BooleanLiteral: isCodexError checks that the brand key exists, not its value
  readonly [brand] = true;
}

/** Identifies a {@link CodexError} even across duplicated package copies, where `instanceof` fails. */
export function isCodexError(value: unknown): value is CodexError {
  return typeof value === 'object' && value !== null && brand in value;
}
