import { AuthCommandError } from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { type CommandToken, parseAuthCommandOutput } from '../src/auth-command.ts';

const prefix = 'provider auth command `tok`';

function parse(stdout: string): CommandToken {
  return parseAuthCommandOutput('tok', stdout);
}

function failure(stdout: string): string {
  try {
    parse(stdout);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthCommandError);
    expect((error as AuthCommandError).command).toBe('tok');
    return (error as Error).message;
  }
  throw new Error('expected the output to be refused');
}

/** The parsed result with the token revealed, for whole-object comparison. */
function parsed(stdout: string) {
  const { token, ...times } = parse(stdout);
  return { token: token.reveal(), ...times };
}

describe('parseAuthCommandOutput: a plain line', () => {
  it('trims the line and knows no expiry for an opaque token', () => {
    expect(parsed('  opaque-token \r\n')).toEqual({
      token: 'opaque-token',
      expiresAtMs: null,
      issuedAtMs: null,
      expiresInMs: null,
    });
  });

  it('refuses blank output', () => {
    expect(failure(' \n\t\r\n')).toBe(`${prefix} produced an empty token`);
  });

  it('counts the non-empty lines of every line ending', () => {
    expect(failure('a\nb')).toBe(`${prefix} printed 2 lines; expected a single token`);
    expect(failure('a\r\n\r\nb\rc')).toBe(`${prefix} printed 3 lines; expected a single token`);
    expect(failure('a\n   \nb')).toBe(`${prefix} printed 2 lines; expected a single token`);
  });

  it('refuses control characters, DEL included', () => {
    for (const token of ['a\tb', 'a\u0001b', 'a\u001fb', 'a\u007fb']) {
      expect(failure(token)).toBe(`${prefix} printed a token with control characters`);
    }
  });

  it('accepts Latin-1 but refuses what a header cannot carry', () => {
    expect(parse('t\u00f8k\u00ff').token.reveal()).toBe('t\u00f8k\u00ff');
    expect(parse(' ~!').token.reveal()).toBe('~!');
    expect(failure('t\u20ack')).toBe(
      `${prefix} printed a token with characters that cannot be sent in an HTTP header`,
    );
    expect(failure('t\u0100')).toBe(
      `${prefix} printed a token with characters that cannot be sent in an HTTP header`,
    );
  });

  it('reads exp and iat of a JWT', () => {
    const jwt = fakeJwt({ exp: 2_000_000_000, iat: 1_999_996_400 });
    expect(parsed(jwt)).toEqual({
      token: jwt,
      expiresAtMs: 2_000_000_000_000,
      issuedAtMs: 1_999_996_400_000,
      expiresInMs: null,
    });
  });

  it('ignores JWT times that are not numbers', () => {
    const jwt = fakeJwt({ exp: '2000000000', iat: null });
    expect(parsed(jwt)).toMatchObject({ expiresAtMs: null, issuedAtMs: null });
    const onlyIat = fakeJwt({ iat: 1_999_996_400 });
    expect(parsed(onlyIat)).toMatchObject({ expiresAtMs: null, issuedAtMs: 1_999_996_400_000 });
  });

  it('treats a token with two dots that is no JWT as opaque', () => {
    expect(parsed('abc.%%%.def')).toMatchObject({ expiresAtMs: null, issuedAtMs: null });
    const fourParts = `${fakeJwt({ exp: 2_000_000_000 })}.extra`;
    expect(parsed(fourParts)).toMatchObject({ expiresAtMs: null, issuedAtMs: null });
  });
});

describe('parseAuthCommandOutput: a JSON object', () => {
  it('prefers access_token over token, and trims it', () => {
    expect(parse('{"access_token":" first ","token":"second"}').token.reveal()).toBe('first');
    expect(parse('{"token":"second"}').token.reveal()).toBe('second');
    expect(parse('{"access_token":null,"token":"second"}').token.reveal()).toBe('second');
  });

  it('refuses an object without a string token', () => {
    const text = `${prefix} printed a JSON object without a string "access_token" or "token"`;
    expect(failure('{"access_token":42}')).toBe(text);
    expect(failure('{}')).toBe(text);
    expect(failure('{"access_token":7,"token":"x"}')).toBe(text);
  });

  it('refuses malformed JSON', () => {
    expect(failure('{"access_token":')).toBe(
      `${prefix} printed malformed JSON; expected a single token or a JSON object with "access_token"`,
    );
  });

  it('refuses a blank token in the object', () => {
    expect(failure('{"access_token":"   "}')).toBe(`${prefix} produced an empty token`);
  });

  it('refuses control characters in the object token', () => {
    expect(failure('{"token":"a\\u0007b"}')).toBe(
      `${prefix} printed a token with control characters`,
    );
  });

  it('reads expires_in as seconds from now, zero included, and then skips the JWT', () => {
    const jwt = fakeJwt({ exp: 2_000_000_000, iat: 1 });
    expect(parsed(JSON.stringify({ access_token: jwt, expires_in: 1.5 }))).toEqual({
      token: jwt,
      expiresAtMs: null,
      issuedAtMs: null,
      expiresInMs: 1500,
    });
    expect(parse('{"token":"t","expires_in":0}').expiresInMs).toBe(0);
    expect(parse('{"token":"t","expires_in":null}').expiresInMs).toBeNull();
  });

  it('refuses an expires_in that is negative or not a number', () => {
    const text = `${prefix} printed an invalid "expires_in"`;
    expect(failure('{"token":"t","expires_in":-1}')).toBe(text);
    expect(failure('{"token":"t","expires_in":"60"}')).toBe(text);
    expect(failure('{"token":"t","expires_in":true}')).toBe(text);
    // checked before the token itself
    expect(failure('{"token":"","expires_in":-1}')).toBe(text);
  });

  it('reads expires_at as epoch seconds and then skips the JWT', () => {
    const jwt = fakeJwt({ exp: 2_000_000_000, iat: 1 });
    expect(parsed(JSON.stringify({ token: jwt, expires_at: 1_900_000_000.5 }))).toEqual({
      token: jwt,
      expiresAtMs: 1_900_000_000_500,
      issuedAtMs: null,
      expiresInMs: null,
    });
    expect(parse('{"token":"t","expires_at":null}').expiresAtMs).toBeNull();
  });

  it('reads expires_at in every RFC 3339 form', () => {
    const cases: [string, string][] = [
      ['2030-01-02T03:04:05Z', '2030-01-02T03:04:05.000Z'],
      ['2030-01-02t03:04:05z', '2030-01-02T03:04:05.000Z'],
      ['2030-01-02 03:04:05Z', '2030-01-02T03:04:05.000Z'],
      ['2030-01-02T03:04:05.250Z', '2030-01-02T03:04:05.250Z'],
      ['2030-01-02T03:04:05+02:00', '2030-01-02T01:04:05.000Z'],
      ['2030-01-02T03:04:05-01:30', '2030-01-02T04:34:05.000Z'],
    ];
    for (const [text, iso] of cases) {
      const result = parse(JSON.stringify({ token: 't', expires_at: text }));
      expect(result.expiresAtMs, text).toBe(Date.parse(iso));
    }
  });

  it('refuses an expires_at that is not RFC 3339 or not a date', () => {
    const text = `${prefix} printed an invalid "expires_at"`;
    for (const value of [
      '2030-01-02',
      '2030-01-02T03:04:05',
      'x2030-01-02T03:04:05Z',
      '2030-01-02T03:04:05Zx',
      '2030-01-02T03:04:05.Z',
      '30-01-02T03:04:05Z',
      '2030-01-02T03:04:05+0200',
      '2030-13-45T03:04:05Z',
      'tomorrow',
    ]) {
      expect(failure(JSON.stringify({ token: 't', expires_at: value })), value).toBe(text);
    }
    expect(failure('{"token":"t","expires_at":true}')).toBe(text);
    expect(failure('{"token":"t","expires_at":{}}')).toBe(text);
  });
});
