import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfter } from '../src/retry-policy.ts';

describe('backoffDelayMs', () => {
  it('doubles from 200 ms with ±10% jitter', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, () => 0.5))).toEqual([
      200, 400, 800, 1600,
    ]);
    expect(backoffDelayMs(1, () => 0)).toBe(180);
    expect(backoffDelayMs(1, () => 0.999_999)).toBe(220);
  });
});

describe('parseRetryAfter', () => {
  const now = () => Date.parse('2026-01-01T00:00:00Z');

  it('reads retry-after-ms, then seconds, then an HTTP date', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' })).toEqual({
      kind: 'delay',
      delayMs: 250,
    });
    expect(parseRetryAfter({ 'retry-after': '1.5' })).toEqual({ kind: 'delay', delayMs: 1500 });
    expect(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now)).toEqual({
      kind: 'delay',
      delayMs: 30_000,
    });
    expect(parseRetryAfter({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }, now)).toEqual({
      kind: 'delay',
      delayMs: 0,
    });
  });

  it('ignores absurd values and refuses waits over 60 s', () => {
    expect(parseRetryAfter({ 'retry-after': '-5' })).toEqual({ kind: 'none' });
    expect(parseRetryAfter({ 'retry-after-ms': 'soon' })).toEqual({ kind: 'none' });
    expect(parseRetryAfter({})).toEqual({ kind: 'none' });
    expect(parseRetryAfter({ 'retry-after': '60' })).toEqual({ kind: 'delay', delayMs: 60_000 });
    expect(parseRetryAfter({ 'retry-after': '61' })).toEqual({ kind: 'too_long', delayMs: 61_000 });
  });
});
