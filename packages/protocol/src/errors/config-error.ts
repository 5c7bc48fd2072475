import { CodexError } from './codex-error.ts';

/** Where a {@link ConfigError} points to, when known. */
export type ConfigErrorOptions = {
  /** Dotted TOML key path of the offending value, e.g. `model_providers.corp.auth.timeout_ms`. */
  keyPath?: string | undefined;
  /** 1-based line of a TOML syntax error. */
  line?: number | undefined;
  /** 1-based column of a TOML syntax error. */
  column?: number | undefined;
  /** Every problem found, the first of which is the message. */
  issues?: readonly string[] | undefined;
  cause?: unknown;
};

/** `config.toml` could not be parsed or violates a rule; the message is upstream's inner text. */
export class ConfigError extends CodexError {
  override get name(): 'ConfigError' {
    return 'ConfigError';
  }
  readonly code = 'CONFIG_INVALID';
  declare readonly keyPath?: string;
  declare readonly line?: number;
  declare readonly column?: number;
  readonly issues: readonly string[];

  constructor(message: string, options: ConfigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const self = this as { keyPath?: string; line?: number; column?: number };
    if (options.keyPath !== undefined) self.keyPath = options.keyPath;
    if (options.line !== undefined) self.line = options.line;
    if (options.column !== undefined) self.column = options.column;
    this.issues = options.issues ?? [message];
  }
}
