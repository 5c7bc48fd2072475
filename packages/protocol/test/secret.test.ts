import { inspect } from 'node:util';
import {
  CodexError,
  escapeControlCharacters,
  isSecret,
  REDACTED,
  redact,
  Secret,
} from '@codex/protocol';
import { describe, expect, it } from 'vitest';

describe('Secret', () => {
  const value = 'sk-canary-4f1d9';

  it.each([
    ['String', (secret: Secret) => String(secret)],
    ['a template literal', (secret: Secret) => `${secret}`],
    ['JSON.stringify', (secret: Secret) => JSON.stringify({ nested: { secret } })],
    ['util.inspect', (secret: Secret) => inspect({ secret })],
    [
      'util.inspect with showHidden and depth',
      (secret: Secret) =>
        inspect({ a: { b: { c: secret } } }, { showHidden: true, depth: Number.POSITIVE_INFINITY }),
    ],
    ['Object.entries', (secret: Secret) => JSON.stringify(Object.entries(secret))],
    [
      'Reflect.ownKeys values',
      (secret: Secret) =>
        Reflect.ownKeys(secret)
          .map((key) => String((secret as unknown as Record<PropertyKey, unknown>)[key]))
          .join(),
    ],
  ])('prints as [REDACTED] through %s', (_name, show) => {
    const secret = new Secret(value);

    const shown = show(secret);

    expect(shown).not.toContain(value);
  });

  it('reveals its value only through reveal()', () => {
    const secret = new Secret(value);

    expect(secret.reveal()).toBe(value);
    expect(String(secret)).toBe(REDACTED);
    expect(isSecret(secret)).toBe(true);
    expect(isSecret(value)).toBe(false);
  });

  it('reveals nothing from an object that only poses as a secret', () => {
    const forged = Object.create(Secret.prototype) as Secret;

    expect(forged.reveal()).toBe('');
  });

  it('compares by value', () => {
    expect(new Secret(value).equals(new Secret(value))).toBe(true);
    expect(new Secret(value).equals('other-value')).toBe(false);
    expect(new Secret(value).equals(null)).toBe(false);
  });
});

describe('redact', () => {
  it('replaces a live secret of 4+ characters as a whole token', () => {
    const secret = new Secret('ab12');

    expect(redact('token ab12 was rejected')).toBe(`token ${REDACTED} was rejected`);
    expect(redact('"ab12"')).toBe(`"${REDACTED}"`);
    expect(secret.reveal()).toBe('ab12');
  });

  it('does not mangle words that merely contain a short secret', () => {
    const secret = new Secret('word');

    expect(redact('password words sword')).toBe('password words sword');
    expect(secret.length).toBe(4);
  });

  it('does not register secrets shorter than 4 characters', () => {
    const secret = new Secret('abc');

    expect(redact('abc')).toBe('abc');
    expect(secret.reveal()).toBe('abc');
  });

  it.each([
    [
      'JSON \\u escapes',
      (value: string) =>
        [...value].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    ],
    [
      'upper-case \\u escapes',
      (value: string) =>
        [...value]
          .map((char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
          .join(''),
    ],
    ['JSON-escaped slashes', (value: string) => value.replace(/\//g, '\\/')],
    ['percent-encoding', (value: string) => encodeURIComponent(value)],
    [
      'full percent-encoding',
      (value: string) =>
        [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''),
    ],
    ['base64', (value: string) => Buffer.from(value).toString('base64')],
    [
      'base64url inside a longer value',
      (value: string) => Buffer.from(`user:${value}:tail`).toString('base64url'),
    ],
    ['base64 at another alignment', (value: string) => Buffer.from(`x${value}`).toString('base64')],
    ['upper-case letters', (value: string) => value.toUpperCase()],
    [
      'every other character \\u-escaped',
      (value: string) =>
        [...value]
          .map((char, index) =>
            index % 2 === 0 ? char : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
          )
          .join(''),
    ],
  ])('finds a secret written with %s', (_name, encode) => {
    const value = 'sk-live/Xy9+Qq_7Zt';
    const secret = new Secret(value);
    const encoded = encode(value);

    const shown = redact(`the server said: ${encoded} .`);

    expect(shown).toContain(REDACTED);
    expect(shown).not.toContain(encoded);
    expect(secret.length).toBe(value.length);
  });

  it('finds a secret with non-ASCII characters, plain and \\u-escaped (no lower-case shortcut for it)', () => {
    const value = 'pässwörd-Ünïcode';
    const secret = new Secret(value);
    const escaped = [...value]
      .map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join('');

    expect(redact(`plain ${value} .`)).toBe(`plain ${REDACTED} .`);
    expect(redact(`escaped ${escaped} .`)).toBe(`escaped ${REDACTED} .`);
    expect(redact(`encoded ${encodeURIComponent(value)} .`)).toBe(`encoded ${REDACTED} .`);
    expect(secret.reveal()).toBe(value);
    // the regex's case-insensitive match pairs σ with ς, which toLowerCase() does not: no shortcut may skip it
    const sigma = new Secret('tokenσσσσ-1234');
    expect(redact('tokenςςςς-1234 .')).toBe(`${REDACTED} .`);
    expect(sigma.length).toBe(14);
  });
});

describe('redact matches exactly', () => {
  it('replaces a secret that contains another secret whole', () => {
    const inner = new Secret('abcd-1234');
    const outer = new Secret('abcd-1234-wxyz');

    expect(redact('key abcd-1234-wxyz .')).toBe(`key ${REDACTED} .`);
    expect(inner.length + outer.length).toBe(23);
  });

  it('takes a JSON `\\/` only for a slash', () => {
    const secret = new Secret('efgh-5678-wxyz');

    expect(redact('efgh-5678-wx\\/z')).toBe('efgh-5678-wx\\/z');
    expect(secret.length).toBe(14);
  });

  it('percent-encodes each byte with two hex digits', () => {
    const secret = new Secret('tab\tsecret-99');

    expect(redact('tab%09secret-99 .')).toBe(`${REDACTED} .`);
    expect(secret.length).toBe(13);
  });

  it('finds base64url text where the base64 of the secret has + and /', () => {
    const secret = new Secret('k~~~??~~??~~x');
    const encoded = Buffer.from(`user:${secret.reveal()}:tail`).toString('base64url');

    expect(encoded).toBe('dXNlcjprfn5-Pz9-fj8_fn54OnRhaWw');
    expect(redact(`token ${encoded}`)).toBe(`token dXNlcjp${REDACTED}OnRhaWw`);
  });
});

class ServerEcho extends CodexError {
  readonly code = 'TEST_ECHO';
}

describe('redact with long secrets', () => {
  it('finds 8 KiB and 1 MiB tokens in every whole encoded form, and messages still build (an auth command may print 1 MiB)', () => {
    // a JWT-like token: base64url characters and dots; a regex built from it char by char overflowed V8's stack
    const chunk = 'eyJhbGciOiJSUzI1NiJ9.QmVhcmVy-VG9rZW4_/+';
    const tokens = [chunk.repeat(205), chunk.repeat(26_215)].map((value) => new Secret(value));
    const short = new Secret('sk-short-next-to-long');
    for (const token of tokens) {
      const value = token.reveal();
      const forms = [
        value,
        [...value].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
        value.replaceAll('/', '\\/'),
        encodeURIComponent(value),
        Buffer.from(`user:${value}`).toString('base64'),
      ];
      for (const form of forms) {
        const shown = redact(`before ${form} after ${short.reveal()}`);
        expect(shown.length).toBeLessThan(200);
        expect(shown).toContain(REDACTED);
        expect(shown).not.toContain(short.reveal());
      }
      const error = new ServerEcho(`the server echoed ${value}`);
      expect(error.message).toBe(`the server echoed ${REDACTED}`);
    }
  });

  it('finds a long token by its upper-case \\u escapes and its full percent-encoding in either case', () => {
    const token = new Secret(`z/${'o.'.repeat(600)}`);
    const value = token.reveal();
    const escapes = [...value]
      .map((char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
      .join('');
    const bytes = [...Buffer.from(value)]
      .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
      .join('');

    expect(escapes.slice(0, 12)).toBe('\\u007A\\u002F');
    for (const form of [escapes, bytes, bytes.toUpperCase()]) {
      expect(redact(`[${form}]`)).toBe(`[${REDACTED}]`);
    }
  });

  it('finds many 1 KiB tokens at once (more than one matcher regex may hold)', () => {
    const tokens = Array.from(
      { length: 40 },
      (_, index) => new Secret(`tok${index}-${'q'.repeat(1000)}`),
    );

    const shown = redact(`a ${tokens[0]?.reveal()} b ${tokens[39]?.reveal()} c`);

    expect(shown).toBe(`a ${REDACTED} b ${REDACTED} c`);
  });
});

describe('untrusted text in messages (security)', () => {
  it('redacts the password of a user:pass@ URL, registered or not', () => {
    expect(
      redact('error sending request for url (https://alice:hunter2-pw@proxy.example:8080/v1)'),
    ).toBe(`error sending request for url (https://${REDACTED}@proxy.example:8080/v1)`);
    expect(redact('see http://:only-pass@h/ and mailto-like a@b.c')).toBe(
      `see http://${REDACTED}@h/ and mailto-like a@b.c`,
    );
    expect(redact('https://user@host/ keeps a user name without a password')).toBe(
      'https://user@host/ keeps a user name without a password',
    );
  });

  it('shows control and escape sequences escaped in every CodexError message', () => {
    class ServerSaid extends CodexError {
      readonly code = 'TEST';
    }
    const osc52 = '\u001b]52;c;Y3VybCBldmlsLnNo\u0007';
    const error = new ServerSaid(`server said: ${osc52}\u001b[2J\rbell\u009b1m\nsecond line\tok`);

    expect(error.message).toBe(
      'server said: \\x1b]52;c;Y3VybCBldmlsLnNo\\x07\\x1b[2J\\x0dbell\\x9b1m\nsecond line\tok',
    );
    expect(escapeControlCharacters('plain text')).toBe('plain text');
  });
});

describe('redact URLs', () => {
  it.each([
    [
      'http://127.0.0.1:9/v1/responses?api-key=qsecret-KEY-999',
      'http://127.0.0.1:9/v1/responses?api-key=[REDACTED]',
    ],
    [
      'https://h/x?api-version=2025&access_token=abc.def&x=1',
      'https://h/x?api-version=2025&access_token=[REDACTED]&x=1',
    ],
    ['https://user:pa55@h/x', 'https://[REDACTED]@h/x'],
  ])('redacts the credential in %s', (url, shown) => {
    expect(redact(`url: ${url}`)).toBe(`url: ${shown}`);
  });

  it('keeps ordinary query parameters', () => {
    expect(redact('https://h/v1/responses?api-version=2025-04-01')).toBe(
      'https://h/v1/responses?api-version=2025-04-01',
    );
  });
});

describe('redact an authorize URL', () => {
  it('keeps code_challenge, code_challenge_method and state, which the user must open intact', () => {
    const url =
      'https://auth.example/oauth/authorize?response_type=code&code_challenge=abcDEF123_-&code_challenge_method=S256&state=xyz789';

    expect(redact(url)).toBe(url);
    expect(redact('http://127.0.0.1:1455/auth/callback?code=the-code-1&state=s')).toBe(
      'http://127.0.0.1:1455/auth/callback?code=[REDACTED]&state=s',
    );
  });
});
