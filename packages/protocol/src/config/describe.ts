import type * as z from 'zod/mini';

/** A short, token-safe description of a value for error messages: strings are never echoed. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  // Stryker disable next-line ConditionalExpression: the fallback below also says `a string`; kept for clarity
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    // Stryker disable next-line EqualityOperator: a non-finite, non-NaN number is never 0
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return 'a date-time';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a table';
  return `a ${typeof value}`;
}

const expectedNames: Record<string, string> = {
  string: 'a string',
  number: 'an integer',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'a table',
  record: 'a table',
  map: 'a table',
  date: 'a date-time',
};

/** "`a`", "`a` or `b`", "one of `a`, `b`, `c`": serde's list of expected variants. */
export function describeVariants(values: readonly unknown[]): string {
  const quoted = values.map((value) => `\`${String(value)}\``);
  if (quoted.length === 1) return quoted[0] ?? '';
  if (quoted.length === 2) return `${quoted[0]} or ${quoted[1]}`;
  return `one of ${quoted.join(', ')}`;
}

/** serde's text for a string that names no variant; for other types, what was expected. */
export function unknownVariantMessage(input: unknown, values: readonly unknown[]): string {
  if (typeof input === 'string') {
    return `unknown variant \`${input}\`, expected ${describeVariants(values)}`;
  }
  return `expected ${describeVariants(values)}, got ${describeValue(input)}`;
}

/** Error map used for every config parse: "expected <what>, got <value>" wording. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${expectedNames[issue.expected] ?? `a ${issue.expected}`}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return unknownVariantMessage(issue.input, issue.values);
    case 'too_small':
      return `expected ${issue.origin === 'array' ? 'an array with at least' : 'an integer >='} ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      return `expected ${issue.origin === 'array' ? 'an array with at most' : 'an integer <='} ${String(issue.maximum)}, got ${describeValue(issue.input)}`;
    case 'invalid_union':
      return `got ${describeValue(issue.input)}, which matches none of the accepted types`;
    case 'invalid_format':
      return `expected ${issue.format === 'datetime' ? 'an RFC 3339 date-time' : `a ${issue.format} string`}`;
    default:
      return undefined;
  }
};

/** Error for integer fields: `expected an integer >= <min>, got <value>`. */
export function integerAtLeast(min: number): (issue: { input?: unknown }) => string {
  return (issue) => `expected an integer >= ${min}, got ${describeValue(issue.input)}`;
}

/** Error for integer fields with an upper bound: `expected an integer <= <max>, got <value>`. */
export function integerAtMost(max: number): (issue: { input?: unknown }) => string {
  return (issue) => `expected an integer <= ${max}, got ${describeValue(issue.input)}`;
}

/** Formats a key path the way TOML writes it: bare keys dotted, others quoted, indices `[n]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const key = String(segment);
    const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
    out += out === '' ? part : `.${part}`;
  }
  return out;
}
