import type { ErrorBody } from '@codex/protocol';
import { parseErrorBody } from '@codex/protocol';
import type { Dispatcher } from 'undici';
import type { Credential, CredentialSource } from './credential-source.ts';
import {
  CyberPolicyError,
  InternalServerError,
  InvalidRequestError,
  QuotaExceededError,
  RetryLimitError,
  ServerOverloadedError,
  StreamError,
  TurnAbortedError,
  UnexpectedStatusError,
  UsageLimitReachedError,
  UsageNotIncludedError,
} from './errors.ts';
import { type HttpResponse, post, type ResponseBody } from './http-transport.ts';
import { errorText, isTlsError } from './response-events.ts';
import { backoffDelayMs, parseRetryAfter } from './retry-policy.ts';

/** A transport-level retry about to wait `delayMs` (status null: a network error). */
export type RetryNotice = {
  type: 'retrying_request';
  attempt: number;
  max: number;
  status: number | null;
  delayMs: number;
};

/** Options of {@link sendWithRecovery}. */
export interface RequestLoopOptions {
  readonly source: CredentialSource;
  /** The request URL for a credential (ChatGPT auth changes the default base URL). */
  readonly url: (credential: Credential) => string;
  /** Every header but `authorization`, which the loop adds from the credential. */
  readonly headers: (credential: Credential) => Record<string, string>;
  readonly body: string;
  /** `request_max_retries`: transport retries (network errors, 429, 5xx), the one retry budget. */
  readonly maxRetries: number;
  /** The stream's idle timeout, in ms: for the response headers, and for the body of an error answer. */
  readonly idleTimeoutMs: number;
  readonly dispatcher?: Dispatcher | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
  readonly onRetry?: ((notice: RetryNotice) => void) | undefined;
}

/** Errors a 429 raises at once, without retrying. */
function nonRetryable429(errorBody: ErrorBody): Error | undefined {
  const { type, code } = errorBody;
  if (type === 'usage_limit_reached' || code === 'usage_limit_reached') {
    return new UsageLimitReachedError({ resetsAt: errorBody.resetsAt });
  }
  if (type === 'usage_not_included' || code === 'usage_not_included') {
    return new UsageNotIncludedError();
  }
  if (type === 'insufficient_quota' || code === 'insufficient_quota') {
    return new QuotaExceededError();
  }
  return undefined;
}

/** Maps a final non-2xx answer to upstream's error (upstream-core §3.6). */
function mapHttpError(
  status: number,
  url: string,
  headers: Record<string, string>,
  body: string,
  errorBody: ErrorBody,
): Error {
  const { code } = errorBody;
  const requestId = headers['x-request-id'] ?? headers['x-oai-request-id'];
  if (status === 503 && (code === 'server_is_overloaded' || code === 'slow_down')) {
    return new ServerOverloadedError();
  }
  if (status === 400) {
    if (code === 'cyber_policy') {
      return new CyberPolicyError(
        errorBody.message ?? 'This request has been flagged for possible cybersecurity risk.',
      );
    }
    return new InvalidRequestError(body);
  }
  if (status === 500) return new InternalServerError({ requestId });
  if (status === 429) {
    return new RetryLimitError({ status, requestId: requestId ?? headers['cf-ray'] });
  }
  return new UnexpectedStatusError({ status, url, headers, body });
}

/** How much of an error answer's body is read (an error JSON is far smaller; the rest is dropped). */
const ERROR_BODY_LIMIT_BYTES = 1024 * 1024;

function aborted(signal: AbortSignal | undefined): TurnAbortedError {
  return new TurnAbortedError({ cause: signal?.reason });
}

/**
 * Waits `ms` between two attempts; the one place a retry sleeps (the request loop and the turn-level retry of a
 * broken stream both call it).
 * @throws {TurnAbortedError} when `signal` aborts during or before the wait
 */
export async function waitBeforeRetry(
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (error) {
    if (signal?.aborted) throw aborted(signal);
    throw error;
  }
  if (signal?.aborted) throw aborted(signal);
}

/**
 * Sends one request until it gets a 2xx answer: the product's one request loop. It holds the one retry
 * budget (`maxRetries` transport retries for network errors, 429 and 5xx, honouring `Retry-After` up to 60 s),
 * asks the credential source to recover after each 401 until the source says no more, and maps a final
 * answer to upstream's error. The bearer is unwrapped here, where the header is built, and nowhere else.
 * @throws {StreamError} when the connection fails after the retries
 * @throws {TurnAbortedError} when `signal` aborts
 * @throws {UnexpectedStatusError | RetryLimitError | ...} for a final non-2xx answer
 */
export async function sendWithRecovery(options: RequestLoopOptions): Promise<ResponseBody> {
  const { source, signal, maxRetries } = options;
  let retries = 0;
  let credential: Credential | null = null;

  // The one place that waits between attempts; false when the budget is spent.
  const scheduleRetry = async (status: number | null, serverDelayMs?: number) => {
    if (retries >= maxRetries) return false;
    retries += 1;
    const delayMs = serverDelayMs ?? backoffDelayMs(retries, options.random);
    options.onRetry?.({
      type: 'retrying_request',
      attempt: retries,
      max: maxRetries,
      status,
      delayMs,
    });
    await waitBeforeRetry(options.sleep, delayMs, signal);
    return true;
  };

  for (;;) {
    // Stryker disable next-line ConditionalExpression: without it the credential source or undici sees the aborted signal and throws, which the catch blocks map to the same TurnAbortedError
    if (signal?.aborted) throw aborted(signal);
    credential ??= await source.resolve(signal).catch((error: unknown) => {
      throw signal?.aborted ? aborted(signal) : error;
    });
    const url = options.url(credential);
    const headers = options.headers(credential);
    if (credential.token !== null) headers['authorization'] = `Bearer ${credential.token.reveal()}`;
    let response: HttpResponse;
    try {
      response = await post(url, {
        headers,
        body: options.body,
        signal,
        headersTimeoutMs: options.idleTimeoutMs,
        dispatcher: options.dispatcher,
      });
    } catch (error) {
      if (signal?.aborted) throw aborted(signal);
      if (!isTlsError(error) && (await scheduleRetry(null))) {
        credential = null;
        continue;
      }
      throw new StreamError(errorText(error), { cause: error });
    }
    const { statusCode: status } = response;
    // Stryker disable next-line ConditionalExpression: post() never resolves with a 1xx status
    if (status >= 200 && status < 300) return response.body;

    // an error answer's body is read within bounds: a server that stalls or sends without end gets its
    // status reported with what came first
    const body = await response.body.text({
      maxBytes: ERROR_BODY_LIMIT_BYTES,
      idleTimeoutMs: options.idleTimeoutMs,
    });
    if (signal?.aborted) throw aborted(signal);
    const responseHeaders = response.headers;
    if (status === 401) {
      const next: Credential | null = await source
        .recover(credential, signal)
        .catch((error: unknown) => {
          throw signal?.aborted ? aborted(signal) : error;
        });
      if (next !== null) {
        credential = next;
        continue;
      }
      throw new UnexpectedStatusError({ status, url, headers: responseHeaders, body });
    }
    const errorBody = parseErrorBody(body);
    if (status === 429) {
      const fatal = nonRetryable429(errorBody);
      if (fatal !== undefined) throw fatal;
    }
    if (status === 429 || status >= 500) {
      const retryAfter =
        status === 429 || status === 503
          ? parseRetryAfter(responseHeaders, options.now)
          : { kind: 'none' as const };
      if (
        retryAfter.kind !== 'too_long' &&
        (await scheduleRetry(status, retryAfter.kind === 'delay' ? retryAfter.delayMs : undefined))
      ) {
        credential = null;
        continue;
      }
    }
    throw mapHttpError(status, url, responseHeaders, body, errorBody);
  }
}
