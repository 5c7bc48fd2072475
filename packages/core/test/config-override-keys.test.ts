import { ConfigOverrideError } from '@codex/core';
import { describe, expect, it } from 'vitest';
import { applyConfigOverrides, parseConfigOverrides } from '../src/config-overrides.ts';

const parseOne = (raw: string) => {
  const [override] = parseConfigOverrides([raw]);
  return override;
};

const problem = (raw: string): string => {
  try {
    parseConfigOverrides([raw]);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigOverrideError);
    return (error as ConfigOverrideError).detail;
  }
  throw new Error(`${raw} was accepted`);
};

describe('parseConfigOverrides keys', () => {
  it('reads bare, basic and literal parts, with spaces and tabs around them', () => {
    expect(parseOne(' \ta . "b" .\t\'c\' \t= 1')).toMatchObject({
      keys: ['a', 'b', 'c'],
      path: 'a.b.c',
    });
    expect(parseOne('A-b_9=1')?.keys).toEqual(['A-b_9']);
  });

  it('reads escapes in a basic part as TOML does, and a literal part as is', () => {
    expect(parseOne('"a\\"b".c=1')?.keys).toEqual(['a"b', 'c']);
    expect(parseOne('"tab\\there"=1')?.keys).toEqual(['tab\there']);
    expect(parseOne('"back\\\\"=1')?.keys).toEqual(['back\\']);
    expect(parseOne("'lit\\n'=1")?.keys).toEqual(['lit\\n']);
    expect(parseOne('""=1')?.keys).toEqual(['']);
  });

  it('writes the path with the parts that are not bare keys quoted', () => {
    expect(parseOne('"a b"."c.d".e=1')?.path).toBe('"a b"."c.d".e');
    expect(parseOne('"x\\"y"=1')?.path).toBe('"x\\"y"');
    expect(parseOne("'é'=1")?.path).toBe('"é"');
  });

  it.each([
    ['"abc=1', 'unterminated quoted key'],
    ['"ab\\"=1', 'unterminated quoted key'],
    ["'abc=1", 'unterminated quoted key'],
    ["a.'b=1", 'unterminated quoted key'],
    ['"a\\q"=1', 'invalid quoted key'],
    ['.a=1', 'empty key'],
    ['a.=1', 'empty key part'],
    ['a..b=1', 'empty key part'],
    ['a b=1', 'expected `.` or `=` after a key part'],
    ['"a"b=1', 'expected `.` or `=` after a key part'],
    ["'a'.b c=1", 'expected `.` or `=` after a key part'],
  ])('rejects %s: %s', (raw, reason) => {
    const shown = raw.slice(0, raw.indexOf('=')).trim();

    expect(problem(raw)).toBe(`Invalid key in override: ${shown}: ${reason}`);
  });

  it('quotes the key without its value when the key is bad', () => {
    expect(problem('bad key = sk-secret')).toBe(
      'Invalid key in override: bad key: expected `.` or `=` after a key part',
    );
  });

  it('splits at the first = outside a quoted key part', () => {
    expect(parseOne('a = b = c')).toMatchObject({ keys: ['a'], value: 'b = c' });
    expect(parseOne('"k=v" = x')).toMatchObject({ keys: ['k=v'], value: 'x' });
  });
});

describe('parseConfigOverrides values', () => {
  it('strips surrounding quotes from a value that is not TOML', () => {
    expect(parseOne('a="unterminated')?.value).toBe('unterminated');
    expect(parseOne('a=\'half"')?.value).toBe('half');
    expect(parseOne('a=""x""y')?.value).toBe('x""y');
    expect(parseOne('a=\'"')?.value).toBe('');
    expect(parseOne('a= spaced out ')?.value).toBe('spaced out');
  });

  it('keeps TOML values of every type, including an empty string and a date', () => {
    expect(parseOne('a=""')?.value).toBe('');
    expect(parseOne('a=1.5')?.value).toBe(1.5);
    expect(parseOne('a=false')?.value).toBe(false);
    expect(parseOne('a=1979-05-27')?.value).toBeInstanceOf(Date);
  });

  it('takes an empty value as an empty string', () => {
    expect(parseOne('a=')?.value).toBe('');
  });
});

describe('applyConfigOverrides', () => {
  it('descends into a table created by an earlier override', () => {
    const root = applyConfigOverrides({}, parseConfigOverrides(['a.b=1', 'a.c=2', 'a.d.e=3']));

    expect(root).toEqual({ a: { b: 1, c: 2, d: { e: 3 } } });
  });

  it('does not descend into an inherited property', () => {
    const root = applyConfigOverrides({}, parseConfigOverrides(['toString.x=1']));

    expect(Object.getOwnPropertyDescriptor(root, 'toString')).toMatchObject({
      value: { x: 1 },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });

  it('sets the leaf as an ordinary property', () => {
    const root = applyConfigOverrides({ a: 0 }, parseConfigOverrides(['a=1']));

    expect(Object.getOwnPropertyDescriptor(root, 'a')).toEqual({
      value: 1,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect(Object.keys(root)).toEqual(['a']);
  });
});
