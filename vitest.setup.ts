import { expect } from 'vitest';

type SecretLike = { equals(other: unknown): boolean };
// The brand @codex/protocol's Secret carries (read by symbol, so this file needs no package import).
const secretBrand = Symbol.for('codex.secret');
const isSecret = (value: unknown): value is SecretLike =>
  typeof value === 'object' && value !== null && secretBrand in value;

// Tests compare a Secret with the plain value it should hold (`toEqual({ apiKey: 'sk-test' })`): the value is
// compared, the way the product compares tokens (`Secret.equals`), while printing still shows [REDACTED].
expect.addEqualityTesters([
  function secretEquals(left: unknown, right: unknown): boolean | undefined {
    if (isSecret(left) && (isSecret(right) || typeof right === 'string')) return left.equals(right);
    if (isSecret(right) && typeof left === 'string') return right.equals(left);
    return undefined;
  },
]);
