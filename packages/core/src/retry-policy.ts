/** Base delay of the transport and stream backoff. */
export const BASE_RETRY_DELAY_MS = 200;

/** The longest server-requested wait we honour (improvement 12). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** `200 ms × 2^(attempt-1) × U[0.9, 1.1)`, like upstream's `backoff`. */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.round(BASE_RETRY_DELAY_MS * 2 ** exponent * (0.9 + 0.2 * random()));
}

/** What the response headers ask for before the next try. */
export type RetryAfter =
  /** No usable header: use the backoff. */
  | { kind: 'none' }
  /** Wait this long (0–60 s). */
  | { kind: 'delay'; delayMs: number }
  /** The server asked for more than 60 s: do not retry, report the error now. */
  | { kind: 'too_long'; delayMs: number };

/**
 * Reads `retry-after-ms`, then `retry-after` (seconds or an HTTP date). Negative or unparsable
 * values count as absent; a date in the past means no wait.
 */
export function parseRetryAfter(
  headers: Readonly<Record<string, string>>,
  now: () => number = Date.now,
): RetryAfter {
  let delayMs: number | undefined;
  const millis = headers['retry-after-ms']?.trim();
  if (millis !== undefined && millis !== '') {
    const value = Number(millis);
    if (Number.isFinite(value) && value >= 0) delayMs = value;
  }
  const seconds = headers['retry-after']?.trim();
  // Stryker disable next-line StringLiteral: an empty value matches neither the number nor the date pattern below
  if (delayMs === undefined && seconds !== undefined && seconds !== '') {
    if (/^\d+(\.\d+)?$/.test(seconds)) {
      delayMs = Number(seconds) * 1000;
    } else if (/[a-z]/i.test(seconds)) {
      // an HTTP date; bare numbers such as `-5` are not dates, whatever Date.parse thinks
      const date = Date.parse(seconds);
      if (Number.isFinite(date)) delayMs = Math.max(0, date - now());
    }
  }
  if (delayMs === undefined) return { kind: 'none' };
  return delayMs > MAX_RETRY_AFTER_MS ? { kind: 'too_long', delayMs } : { kind: 'delay', delayMs };
}
