import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  configErrorMap,
  describeValue,
  describeVariants,
  formatKeyPath,
  integerAtLeast,
  unknownVariantMessage,
} from '../src/config/describe.ts';

describe('describeValue', () => {
  it.each([
    [undefined, 'nothing'],
    [null, 'null'],
    ['sk-secret', 'a string'],
    ['', 'a string'],
    [42, '42'],
    [-1.5, '-1.5'],
    [0, '0'],
    [Number.NaN, 'nan'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    [12n, '12'],
    [true, 'true'],
    [false, 'false'],
    [new Date(0), 'a date-time'],
    [[1], 'an array'],
    [{ a: 1 }, 'a table'],
    [Symbol('s'), 'a symbol'],
    [() => 1, 'a function'],
  ])('describes %o as %s, never echoing a string', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});

describe('describeVariants and unknownVariantMessage', () => {
  it('lists one, two or more variants the way serde does', () => {
    expect(describeVariants(['a'])).toBe('`a`');
    expect(describeVariants(['a', 'b'])).toBe('`a` or `b`');
    expect(describeVariants(['a', 'b', 'c'])).toBe('one of `a`, `b`, `c`');
    expect(describeVariants([])).toBe('one of ');
  });

  it('names an unknown string variant and describes other inputs', () => {
    expect(unknownVariantMessage('chatx', ['responses'])).toBe(
      'unknown variant `chatx`, expected `responses`',
    );
    expect(unknownVariantMessage(3, ['a', 'b'])).toBe('expected `a` or `b`, got 3');
  });
});

type Issue = Parameters<typeof configErrorMap>[0];
const message = (issue: Record<string, unknown>) =>
  configErrorMap({ path: [], ...issue } as unknown as Issue);

describe('configErrorMap', () => {
  it.each([
    [{ code: 'invalid_type', expected: 'string', input: 1 }, 'expected a string, got 1'],
    [{ code: 'invalid_type', expected: 'int', input: 'x' }, 'expected an integer, got a string'],
    [{ code: 'invalid_type', expected: 'number', input: true }, 'expected an integer, got true'],
    [{ code: 'invalid_type', expected: 'bigint', input: null }, 'expected an integer, got null'],
    [{ code: 'invalid_type', expected: 'boolean', input: 1 }, 'expected a boolean, got 1'],
    [{ code: 'invalid_type', expected: 'array', input: {} }, 'expected an array, got a table'],
    [{ code: 'invalid_type', expected: 'object', input: [] }, 'expected a table, got an array'],
    [{ code: 'invalid_type', expected: 'record', input: 1 }, 'expected a table, got 1'],
    [{ code: 'invalid_type', expected: 'map', input: 1 }, 'expected a table, got 1'],
    [{ code: 'invalid_type', expected: 'date', input: 1 }, 'expected a date-time, got 1'],
    [{ code: 'invalid_type', expected: 'nan', input: 1 }, 'expected a nan, got 1'],
    [
      { code: 'invalid_value', values: ['a', 'b'], input: 'c' },
      'unknown variant `c`, expected `a` or `b`',
    ],
    [
      { code: 'too_small', origin: 'number', minimum: 1, input: 0 },
      'expected an integer >= 1, got 0',
    ],
    [
      { code: 'too_small', origin: 'array', minimum: 2, input: [] },
      'expected an array with at least 2, got an array',
    ],
    [
      { code: 'too_big', origin: 'number', maximum: 9, input: 10 },
      'expected an integer <= 9, got 10',
    ],
    [
      { code: 'too_big', origin: 'array', maximum: 1, input: [1, 2] },
      'expected an array with at most 1, got an array',
    ],
    [
      { code: 'invalid_union', input: 1, errors: [] },
      'got 1, which matches none of the accepted types',
    ],
    [{ code: 'invalid_format', format: 'datetime', input: 'x' }, 'expected an RFC 3339 date-time'],
    [{ code: 'invalid_format', format: 'email', input: 'x' }, 'expected a email string'],
  ])('words %o', (issue, text) => {
    expect(message(issue)).toBe(text);
  });

  it('leaves other issues to zod', () => {
    expect(message({ code: 'custom', input: 1 })).toBeUndefined();
    expect(message({ code: 'unrecognized_keys', keys: ['x'], input: {} })).toBeUndefined();
  });

  it('is what a parse with it reports', () => {
    const result = z
      .object({ n: z.int().check(z.minimum(1)) })
      .safeParse({ n: 0 }, { error: configErrorMap, reportInput: true });

    expect(result.error?.issues[0]?.message).toBe('expected an integer >= 1, got 0');
  });
});

describe('integerAtLeast', () => {
  it('says the minimum and the value', () => {
    expect(integerAtLeast(0)({ input: -1 })).toBe('expected an integer >= 0, got -1');
    expect(integerAtLeast(1)({ input: 'x' })).toBe('expected an integer >= 1, got a string');
  });
});

describe('formatKeyPath', () => {
  it('dots bare keys, quotes others and writes indices in brackets', () => {
    expect(formatKeyPath([])).toBe('');
    expect(formatKeyPath(['model_providers', 'corp-1', 'auth'])).toBe(
      'model_providers.corp-1.auth',
    );
    expect(formatKeyPath(['model_providers', 'my corp', 'args', 0])).toBe(
      'model_providers."my corp".args[0]',
    );
    expect(formatKeyPath([0, 'a'])).toBe('[0].a');
    expect(formatKeyPath(['a.b'])).toBe('"a.b"');
    expect(formatKeyPath([''])).toBe('""');
  });
});
