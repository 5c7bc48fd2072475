// redact() as the set of live secrets changes: each test starts from an empty registry, as the one
// before waits for its secrets to be collected, so the shortcuts and limits that depend on every live
// secret (the needles, the matcher's length budget) are tested exactly.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { REDACTED, redact, Secret } from '@codex/protocol';
import { afterEach, describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const created = new Set<string>();

/** A secret whose value the test's end waits to see released. */
function secret(value: string): Secret {
  created.add(value);
  return new Secret(value);
}

/** Collects garbage until redact() leaves every one of `values` alone: their secrets are released. */
async function released(values: Iterable<string>): Promise<void> {
  const pending = [...values];
  for (let round = 0; round < 100; round += 1) {
    if (pending.every((value) => redact(value) === value)) return;
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`secrets not released: ${pending.length}`);
}

afterEach(async () => {
  await released(created);
  created.clear();
});

/** A 1 KiB secret, with letters that change case. */
function kibSecret(index: number): string {
  return `tok${String(index).padStart(2, '0')}-${'abcdefghij'.repeat(102)}`.slice(0, 1024);
}

describe('the registry of live secrets', () => {
  it('keeps redacting a value while one of its secrets lives', async () => {
    const held = secret('sk-shared-0001');
    (() => {
      secret('sk-shared-0001');
      secret('sk-probe-0002');
    })();

    // the probe and the dropped copy are collected together
    await released(['sk-probe-0002']);

    expect(redact('sk-shared-0001 .')).toBe(`${REDACTED} .`);
    expect(held.length).toBe(14);
  });

  it('finds a new secret after an older one was collected', async () => {
    (() => {
      secret('sk-gone-0001');
    })();
    expect(redact('sk-gone-0001 .')).toBe(`${REDACTED} .`);
    await released(['sk-gone-0001']);

    const next = secret('sk-next-0002');

    expect(redact('sk-next-0002 .')).toBe(`${REDACTED} .`);
    expect(next.length).toBe(12);
  });
});

describe('the matcher length limits', () => {
  it('leaves escapes alone when only long secrets live, and finds a long secret glued to text', () => {
    const long = secret(`L${'m'.repeat(1024)}`);

    expect(redact('100% of \\u0041 and a\\/b')).toBe('100% of \\u0041 and a\\/b');
    expect(redact(`x${long.reveal()}y`)).toBe(`x${REDACTED}y`);
  });

  it('matches a short secret case-insensitively whatever longer secrets were created before it', () => {
    const long = secret(`L${'n'.repeat(2000)}`);
    const short = secret('sk-after-long-7');

    expect(redact('key SK-AFTER-LONG-7 .')).toBe(`key ${REDACTED} .`);
    expect(long.length + short.length).toBe(2016);
  });

  it('puts 16 KiB of secrets in the matcher and finds the next one by its whole forms', () => {
    const tokens = Array.from({ length: 17 }, (_, index) => secret(kibSecret(index)));
    const inMatcher = tokens[15]?.reveal() ?? '';
    const beyond = tokens[16]?.reveal() ?? '';

    // the matcher ignores case; a whole form is exact but needs no word boundary
    expect(redact(`a ${inMatcher.toUpperCase()} b`)).toBe(`a ${REDACTED} b`);
    expect(redact(`x${beyond}y`)).toBe(`x${REDACTED}y`);
  });
});

describe('the shortcut that skips text holding no secret', () => {
  it('finds an 8-character secret inside base64 text without escapes', () => {
    const value = secret('Zq7kP2xw');
    const basic = Buffer.from(`user:${value.reveal()}`).toString('base64');

    expect(basic).toBe('dXNlcjpacTdrUDJ4dw==');
    expect(redact(`Authorization: Basic ${basic}`)).toBe(
      `Authorization: Basic dXNlcjp${REDACTED}w==`,
    );
  });

  it('does not look for a 7-character secret inside base64 text', () => {
    const value = secret('Zq7-kP2');
    const encoded = Buffer.from(value.reveal()).toString('base64');

    expect(redact(`100% of ${encoded}`)).toBe('100% of WnE3LWtQMg==');
  });

  it('turns itself off for a secret of non-ASCII letters, which the matcher pairs with other cases', () => {
    const value = secret('σσσσσσσσ');

    expect(redact('final ςςςςςςςς .')).toBe(`final ${REDACTED} .`);
    expect(value.length).toBe(8);
  });
});
