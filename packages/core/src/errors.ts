import { STATUS_CODES } from 'node:http';
import { CodexError, type ErrorBody, parseErrorBody, redact } from '@codex/protocol';

/** `401 Unauthorized`, like the Rust `StatusCode` display. */
export function formatStatus(status: number): string {
  const reason = STATUS_CODES[status];
  return reason === undefined ? `${status} <unknown status code>` : `${status} ${reason}`;
}

/** `CODEX_HOME` is set but does not name an existing directory. */
export class CodexHomeError extends CodexError {
  override get name(): 'CodexHomeError' {
    return 'CodexHomeError';
  }
  readonly code = 'CODEX_HOME';
  /** The message without the `Error finding codex home: ` prefix. */
  readonly detail: string;

  constructor(detail: string, options?: { cause?: unknown }) {
    super(`Error finding codex home: ${detail}`, options);
    this.detail = detail;
  }
}

/** A `-c key=value` override could not be parsed. */
export class ConfigOverrideError extends CodexError {
  override get name(): 'ConfigOverrideError' {
    return 'ConfigOverrideError';
  }
  readonly code = 'CONFIG_OVERRIDE';
  /** The message without the `Error parsing -c overrides: ` prefix. */
  readonly detail: string;

  constructor(detail: string) {
    super(`Error parsing -c overrides: ${detail}`);
    this.detail = detail;
  }
}

/** config.toml (with overrides and profile) could not be read, parsed or validated. */
export class ConfigLoadError extends CodexError {
  override get name(): 'ConfigLoadError' {
    return 'ConfigLoadError';
  }
  readonly code = 'CONFIG_LOAD';
  /** The message without the `Error loading config.toml: ` prefix. */
  readonly detail: string;
  readonly keyPath: string | undefined;

  constructor(detail: string, options: { cause?: unknown; keyPath?: string | undefined } = {}) {
    super(`Error loading config.toml: ${detail}`, { cause: options.cause });
    this.detail = detail;
    this.keyPath = options.keyPath;
  }
}

/** A provider's `env_key` variable is unset or blank. */
export class EnvVarError extends CodexError {
  override get name(): 'EnvVarError' {
    return 'EnvVarError';
  }
  readonly code = 'ENV_VAR';
  readonly variable: string;

  constructor(variable: string, instructions?: string) {
    super(
      `Missing environment variable: \`${variable}\`.${instructions ? ` ${instructions}` : ''}`,
    );
    this.variable = variable;
  }
}

/**
 * A credential cannot be used: blank, not a valid HTTP header value, or missing for a provider that needs
 * one. The message names where it came from (config key, variable, command, file), never its value.
 */
export class CredentialError extends CodexError {
  override get name(): 'CredentialError' {
    return 'CredentialError';
  }
  readonly code = 'CREDENTIAL_INVALID';
}

/** The stream broke, timed out, or ended without `response.completed`. Retried at turn level. */
export class StreamError extends CodexError {
  override get name(): 'StreamError' {
    return 'StreamError';
  }
  readonly code = 'STREAM';
  /** The inner text, e.g. `idle timeout waiting for SSE`. */
  readonly detail: string;
  /** A delay the server asked for (`try again in 11.054s`), in ms. */
  readonly retryDelayMs: number | undefined;

  constructor(detail: string, options: { cause?: unknown; retryDelayMs?: number } = {}) {
    super(`stream disconnected before completion: ${detail}`, { cause: options.cause });
    this.detail = detail;
    this.retryDelayMs = options.retryDelayMs;
  }
}

/** Fields that identify a failed HTTP exchange. */
export interface ResponseDiagnostics {
  readonly status: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const UNEXPECTED_BODY_MAX_BYTES = 1000;
const CLOUDFLARE_BLOCKED_MESSAGE =
  'Access blocked by Cloudflare. This usually happens when connecting from a restricted region';

/** `x-request-id`, else `x-oai-request-id`. */
export function requestIdFrom(headers: Readonly<Record<string, string>>): string | undefined {
  return headers['x-request-id'] ?? headers['x-oai-request-id'];
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes on a character boundary, adding `...` when cut. */
export function truncateWithEllipsis(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return `${text.slice(0, end)}...`;
}

function decodeErrorJsonCode(encoded: string | undefined): string | undefined {
  if (encoded === undefined) return undefined;
  return parseErrorBody(Buffer.from(encoded, 'base64').toString('utf8')).code;
}

/** Any other non-2xx answer (401 after recovery, 403, 404, 5xx after retries...). */
export class UnexpectedStatusError extends CodexError {
  override get name(): 'UnexpectedStatusError' {
    return 'UnexpectedStatusError';
  }
  readonly code = 'UNEXPECTED_STATUS';
  readonly status: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly requestId: string | undefined;
  readonly cfRay: string | undefined;
  /** The body parsed once by {@link parseErrorBody}. */
  readonly errorBody: ErrorBody;

  constructor(diagnostics: ResponseDiagnostics, options?: { cause?: unknown }) {
    // A server may quote the credential back (improvement 9): what the error keeps is redacted too.
    const { status, url } = diagnostics;
    const body = redact(diagnostics.body);
    const headers = Object.fromEntries(
      Object.entries(diagnostics.headers).map(([name, value]) => [name, redact(value)]),
    );
    const errorBody = parseErrorBody(body);
    const requestId = requestIdFrom(headers);
    const cfRay = headers['cf-ray'];
    const authError = headers['x-openai-authorization-error'];
    const authErrorCode = decodeErrorJsonCode(headers['x-error-json']);
    let suffix = `, url: ${url}`;
    if (cfRay !== undefined) suffix += `, cf-ray: ${cfRay}`;
    if (requestId !== undefined) suffix += `, request id: ${requestId}`;
    if (authError !== undefined) suffix += `, auth error: ${authError}`;
    if (authErrorCode !== undefined) suffix += `, auth error code: ${authErrorCode}`;
    let message: string;
    if (status === 403 && body.includes('Cloudflare') && body.includes('blocked')) {
      message = `${CLOUDFLARE_BLOCKED_MESSAGE} (status ${formatStatus(status)})${suffix}`;
    } else {
      const trimmed = body.trim();
      const shown =
        errorBody.message ??
        (trimmed === ''
          ? 'Unknown error'
          : truncateWithEllipsis(trimmed, UNEXPECTED_BODY_MAX_BYTES));
      message = `unexpected status ${formatStatus(status)}: ${shown}${suffix}`;
    }
    super(message, options);
    this.status = status;
    this.url = url;
    this.headers = headers;
    this.body = body;
    this.requestId = requestId;
    this.cfRay = cfRay;
    this.errorBody = errorBody;
  }
}

/** Retries ran out on 429 (or a status the caller chose not to map further). */
export class RetryLimitError extends CodexError {
  override get name(): 'RetryLimitError' {
    return 'RetryLimitError';
  }
  readonly code = 'RETRY_LIMIT';
  readonly status: number;
  readonly requestId: string | undefined;

  constructor({ status, requestId }: { status: number; requestId?: string | undefined }) {
    super(
      `exceeded retry limit, last status: ${formatStatus(status)}${requestId === undefined ? '' : `, request id: ${requestId}`}`,
    );
    this.status = status;
    this.requestId = requestId;
  }
}

/** 500 after the transport retries. */
export class InternalServerError extends CodexError {
  override get name(): 'InternalServerError' {
    return 'InternalServerError';
  }
  readonly code = 'INTERNAL_SERVER_ERROR';
  readonly requestId: string | undefined;

  constructor(options: { requestId?: string | undefined } = {}) {
    super("We're currently experiencing high demand, which may cause temporary errors.");
    this.requestId = options.requestId;
  }
}

/** A 400 (or `invalid_prompt`); the message is the server's text. */
export class InvalidRequestError extends CodexError {
  override get name(): 'InvalidRequestError' {
    return 'InvalidRequestError';
  }
  readonly code = 'INVALID_REQUEST';
}

/** A 400 flagged by the cyber policy. */
export class CyberPolicyError extends CodexError {
  override get name(): 'CyberPolicyError' {
    return 'CyberPolicyError';
  }
  readonly code = 'CYBER_POLICY';
}

/** `server_is_overloaded` / `slow_down`. */
export class ServerOverloadedError extends CodexError {
  override get name(): 'ServerOverloadedError' {
    return 'ServerOverloadedError';
  }
  readonly code = 'SERVER_OVERLOADED';
  constructor() {
    super('Selected model is at capacity. Please try a different model.');
  }
}

/** `insufficient_quota`. */
export class QuotaExceededError extends CodexError {
  override get name(): 'QuotaExceededError' {
    return 'QuotaExceededError';
  }
  readonly code = 'QUOTA_EXCEEDED';
  constructor() {
    super('Quota exceeded. Check your plan and billing details.');
  }
}

/** `usage_not_included`. */
export class UsageNotIncludedError extends CodexError {
  override get name(): 'UsageNotIncludedError' {
    return 'UsageNotIncludedError';
  }
  readonly code = 'USAGE_NOT_INCLUDED';
  constructor() {
    super(
      'To use Codex with your ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus.',
    );
  }
}

/** A 429 `usage_limit_reached`. */
export class UsageLimitReachedError extends CodexError {
  override get name(): 'UsageLimitReachedError' {
    return 'UsageLimitReachedError';
  }
  readonly code = 'USAGE_LIMIT_REACHED';
  /** Epoch seconds when the limit resets, when the server said. */
  readonly resetsAt: number | undefined;
  constructor(options: { resetsAt?: number | undefined } = {}) {
    const at =
      options.resetsAt === undefined
        ? ' Try again later.'
        : ` Try again at ${new Date(options.resetsAt * 1000).toLocaleString()}.`;
    super(`You've hit your usage limit.${at}`);
    this.resetsAt = options.resetsAt;
  }
}

/** `context_length_exceeded`. */
export class ContextWindowExceededError extends CodexError {
  override get name(): 'ContextWindowExceededError' {
    return 'ContextWindowExceededError';
  }
  readonly code = 'CONTEXT_WINDOW_EXCEEDED';
  constructor() {
    super(
      "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
    );
  }
}

/** The caller's AbortSignal fired. */
export class TurnAbortedError extends CodexError {
  override get name(): 'TurnAbortedError' {
    return 'TurnAbortedError';
  }
  readonly code = 'TURN_ABORTED';
  constructor(options?: { cause?: unknown }) {
    super('turn aborted', options);
  }
}

/** Every error `@codex/core` throws itself; auth errors from `@codex/login` pass through unchanged. */
export type CoreError =
  | CodexHomeError
  | ConfigOverrideError
  | ConfigLoadError
  | EnvVarError
  | CredentialError
  | StreamError
  | UnexpectedStatusError
  | RetryLimitError
  | InternalServerError
  | InvalidRequestError
  | CyberPolicyError
  | ServerOverloadedError
  | QuotaExceededError
  | UsageNotIncludedError
  | UsageLimitReachedError
  | ContextWindowExceededError
  | TurnAbortedError;
