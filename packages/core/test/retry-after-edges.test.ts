import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/retry-policy.ts';

describe('parseRetryAfter edge cases', () => {
  it('trims both headers before reading them', () => {
    expect(parseRetryAfter({ 'retry-after-ms': ' 250 ' })).toEqual({ kind: 'delay', delayMs: 250 });
    expect(parseRetryAfter({ 'retry-after': ' 3 ' })).toEqual({ kind: 'delay', delayMs: 3000 });
  });

  it('falls back to retry-after when retry-after-ms is blank or unusable', () => {
    for (const millis of ['', '  ', '-5', 'Infinity', 'soon']) {
      expect(parseRetryAfter({ 'retry-after-ms': millis, 'retry-after': '2' })).toEqual({
        kind: 'delay',
        delayMs: 2000,
      });
    }
  });

  it('takes zero as no wait', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '0' })).toEqual({ kind: 'delay', delayMs: 0 });
    expect(parseRetryAfter({ 'retry-after': '0' })).toEqual({ kind: 'delay', delayMs: 0 });
  });

  it('reads fractional seconds with several digits', () => {
    expect(parseRetryAfter({ 'retry-after': '1.25' })).toEqual({ kind: 'delay', delayMs: 1250 });
  });

  it.each(['5abc', 'soon', '', '  ', '1.', 'Infinity'])('ignores a retry-after of %j', (value) => {
    expect(parseRetryAfter({ 'retry-after': value })).toEqual({ kind: 'none' });
  });
});
