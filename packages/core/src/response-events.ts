import {
  ContextWindowExceededError,
  CyberPolicyError,
  InvalidRequestError,
  QuotaExceededError,
  ServerOverloadedError,
  StreamError,
  UsageNotIncludedError,
} from './errors.ts';

/** Token counts of one response, flattened like upstream's `TokenUsage`. */
export type TokenUsage = {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
};

/** A Responses API output item (`message`, `reasoning`, `function_call`, ...) as the server sent it. */
export type OutputItem = { readonly type: string; readonly [key: string]: unknown };

/**
 * One event of a Responses stream (upstream-core §4.1), camelCased. `response.failed`,
 * `response.incomplete` and `error` never appear here: they end the stream with an error.
 */
export type ResponseEvent =
  | { type: 'created'; responseId: string | null }
  | { type: 'output_text_delta'; delta: string }
  | { type: 'output_item_added'; item: OutputItem }
  | { type: 'output_item_done'; item: OutputItem }
  | { type: 'reasoning_summary_delta'; delta: string; summaryIndex: number }
  | { type: 'reasoning_summary_part_added'; summaryIndex: number }
  | { type: 'reasoning_content_delta'; delta: string; contentIndex: number }
  | { type: 'tool_call_input_delta'; delta: string; itemId: string | null; callId: string | null }
  | { type: 'completed'; responseId: string; usage: TokenUsage | null; endTurn: boolean | null };

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const tryAgainPattern = /try again in\s*(\d+(?:\.\d+)?)\s*(s|ms|seconds?)/i;

/** The delay in a `rate_limit_exceeded` message (`Please try again in 11.054s.`), in ms. */
export function parseTryAgainDelayMs(message: string): number | undefined {
  const match = tryAgainPattern.exec(message);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return match[2]?.toLowerCase() === 'ms' ? value : value * 1000;
}

/** Maps a `response.failed` error object to the error upstream raises for its code. */
export function responseFailedError(error: unknown): Error {
  if (!isObject(error)) return new StreamError('response.failed event received');
  const code = asString(error['code']);
  const message = asString(error['message']) ?? '';
  switch (code) {
    case 'context_length_exceeded':
      return new ContextWindowExceededError();
    case 'insufficient_quota':
      return new QuotaExceededError();
    case 'usage_not_included':
      return new UsageNotIncludedError();
    case 'cyber_policy':
      return new CyberPolicyError(
        message || 'This request has been flagged for possible cybersecurity risk.',
      );
    case 'invalid_prompt':
      return new InvalidRequestError(message || 'Invalid request.');
    case 'server_is_overloaded':
    case 'slow_down':
      return new ServerOverloadedError();
    default: {
      const retryDelayMs =
        code === 'rate_limit_exceeded' ? parseTryAgainDelayMs(message) : undefined;
      return new StreamError(message, retryDelayMs === undefined ? {} : { retryDelayMs });
    }
  }
}

function parseUsage(usage: unknown): TokenUsage | null {
  if (usage === undefined || usage === null) return null;
  if (!isObject(usage)) throw new Error('usage is not an object');
  const input = asNumber(usage['input_tokens']);
  const output = asNumber(usage['output_tokens']);
  const total = asNumber(usage['total_tokens']);
  if (input === null || output === null || total === null) {
    throw new Error('usage is missing input_tokens, output_tokens or total_tokens');
  }
  const inputDetails = usage['input_tokens_details'];
  const outputDetails = usage['output_tokens_details'];
  return {
    input_tokens: input,
    cached_input_tokens: isObject(inputDetails)
      ? (asNumber(inputDetails['cached_tokens']) ?? 0)
      : 0,
    output_tokens: output,
    reasoning_output_tokens: isObject(outputDetails)
      ? (asNumber(outputDetails['reasoning_tokens']) ?? 0)
      : 0,
    total_tokens: total,
  };
}

/**
 * Turns one decoded SSE `data:` object into a {@link ResponseEvent}; `null` for types we ignore.
 * @throws {StreamError} (or a mapped error) for `response.failed`, `response.incomplete`, `error`
 */
export function toResponseEvent(data: unknown): ResponseEvent | null {
  if (!isObject(data)) return null;
  const response = isObject(data['response']) ? data['response'] : undefined;
  switch (data['type']) {
    case 'response.created':
      return { type: 'created', responseId: asString(response?.['id']) };
    case 'response.output_text.delta': {
      const delta = asString(data['delta']);
      return delta === null ? null : { type: 'output_text_delta', delta };
    }
    case 'response.output_item.added':
    case 'response.output_item.done': {
      const item = data['item'];
      if (!isObject(item) || typeof item['type'] !== 'string') return null;
      return {
        type:
          data['type'] === 'response.output_item.added' ? 'output_item_added' : 'output_item_done',
        item: item as OutputItem,
      };
    }
    case 'response.reasoning_summary_text.delta': {
      const delta = asString(data['delta']);
      const summaryIndex = asNumber(data['summary_index']);
      return delta === null || summaryIndex === null
        ? null
        : { type: 'reasoning_summary_delta', delta, summaryIndex };
    }
    case 'response.reasoning_summary_part.added': {
      const summaryIndex = asNumber(data['summary_index']);
      return summaryIndex === null ? null : { type: 'reasoning_summary_part_added', summaryIndex };
    }
    case 'response.reasoning_text.delta': {
      const delta = asString(data['delta']);
      const contentIndex = asNumber(data['content_index']);
      return delta === null || contentIndex === null
        ? null
        : { type: 'reasoning_content_delta', delta, contentIndex };
    }
    case 'response.custom_tool_call_input.delta':
    case 'response.function_call_arguments.delta': {
      const delta = asString(data['delta']);
      const itemId = asString(data['item_id']);
      const callId = asString(data['call_id']);
      return delta === null || (itemId === null && callId === null)
        ? null
        : { type: 'tool_call_input_delta', delta, itemId, callId };
    }
    case 'response.completed': {
      const id = asString(response?.['id']);
      try {
        if (id === null) throw new Error('response.id is missing');
        const endTurn = response?.['end_turn'];
        return {
          type: 'completed',
          responseId: id,
          usage: parseUsage(response?.['usage']),
          endTurn: typeof endTurn === 'boolean' ? endTurn : null,
        };
      } catch (error) {
        throw new StreamError(`failed to parse ResponseCompleted: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    case 'response.failed':
      throw responseFailedError(response?.['error']);
    case 'response.incomplete': {
      const details = response?.['incomplete_details'];
      const reason = (isObject(details) ? asString(details['reason']) : null) ?? 'unknown';
      throw new StreamError(`Incomplete response returned, reason: ${reason}`);
    }
    case 'error': {
      const error = data['error'];
      const message =
        (isObject(error) ? asString(error['message']) : null) ?? 'error event received';
      throw new StreamError(message);
    }
    default:
      return null;
  }
}

const TLS_ERROR_CODES =
  /^(EPROTO|ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/;

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_ERROR_CODES.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** A TLS failure (a wrong protocol, a bad certificate): no retry can fix it. */
export function isTlsError(error: unknown): boolean {
  return errorCode(error) !== undefined;
}

/**
 * The message of a transport error on one line, preferring undici's cause (`other side closed`, ...); a TLS
 * failure becomes `TLS handshake failed: <reason>` instead of OpenSSL's multi-line dump.
 */
export function errorText(error: unknown): string {
  if (isTlsError(error)) {
    let text = '';
    for (let current = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
      text += ` ${current.message}`;
      current = current.cause;
    }
    const reason = /SSL routines:[^:]*:([^:\n]+)/.exec(text)?.[1]?.trim() ?? errorCode(error);
    const hint = /wrong version number|packet length too long/.test(text)
      ? ' (is base_url https:// for a server that speaks plain http?)'
      : '';
    return `TLS handshake failed: ${reason}${hint}`;
  }
  let text = String(error);
  if (error instanceof Error) {
    const cause = error.cause;
    text = error.message === 'terminated' && cause instanceof Error ? cause.message : error.message;
  }
  return text.split('\n')[0]?.trim() ?? '';
}
