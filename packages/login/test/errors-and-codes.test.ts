import {
  AuthCommandError,
  AuthStorageError,
  InvalidTokenError,
  LoginRestrictionError,
  RefreshTokenFailedError,
  TransientAuthError,
} from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { LoginFlowError } from '../src/oauth-login.ts';
import { generatePkce, generateState, pkceChallenge } from '../src/pkce.ts';
import { decodeJwtPayload } from '../src/token-data.ts';

describe('login errors', () => {
  it('carry their name and code', () => {
    const errors: [Error & { code: string }, string, string][] = [
      [new AuthCommandError('cmd', 'm'), 'AuthCommandError', 'AUTH_COMMAND_FAILED'],
      [
        new RefreshTokenFailedError('other', 'm'),
        'RefreshTokenFailedError',
        'REFRESH_TOKEN_FAILED',
      ],
      [new TransientAuthError('m'), 'TransientAuthError', 'AUTH_TRANSIENT'],
      [new AuthStorageError('m'), 'AuthStorageError', 'AUTH_STORAGE'],
      [new InvalidTokenError('m'), 'InvalidTokenError', 'INVALID_TOKEN'],
      [new LoginRestrictionError('m'), 'LoginRestrictionError', 'LOGIN_RESTRICTED'],
      [new LoginFlowError('m'), 'LoginFlowError', 'LOGIN_FAILED'],
    ];
    for (const [error, name, code] of errors) {
      expect([error.name, error.code, error.message]).toEqual([name, code, 'm']);
    }
    const command = new AuthCommandError('./tok.sh', 'failed', { cause: 'why' });
    expect([command.command, command.cause]).toEqual(['./tok.sh', 'why']);
    expect(new RefreshTokenFailedError('revoked', 'm').reason).toBe('revoked');
  });
});

describe('PKCE and state', () => {
  it('draws a 64-byte verifier with its S256 challenge and a 32-byte state, fresh each time', () => {
    const pkce = generatePkce();
    expect(pkce.codeVerifier).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(pkce.codeChallenge).toBe(pkceChallenge(pkce.codeVerifier));
    expect(pkceChallenge('verifier')).toBe('iMnq5o6zALKXGivsnlom_0F5_WYda32GHkxlV7mq7hQ');
    expect(generatePkce().codeVerifier).not.toBe(pkce.codeVerifier);
    const state = generateState();
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateState()).not.toBe(state);
  });
});

describe('decodeJwtPayload', () => {
  const [header = '', payload = ''] = fakeJwt({ a: 1 }).split('.');

  it('needs three non-empty parts', () => {
    for (const jwt of ['', 'a.b', `.${payload}.s`, `${header}..s`, `${header}.${payload}.`]) {
      expect(() => decodeJwtPayload(jwt), jwt).toThrow(
        new InvalidTokenError('invalid ID token format'),
      );
    }
    expect(decodeJwtPayload(`${header}.${payload}.s`)).toEqual({ a: 1 });
  });

  it('refuses characters outside base64url and an impossible length', () => {
    for (const bad of [`${payload}+`, `${payload}/`, `${payload}=`, 'abcde']) {
      expect(() => decodeJwtPayload(`h.${bad}.s`), bad).toThrow(
        new InvalidTokenError('invalid ID token payload encoding'),
      );
    }
  });

  it('needs a JSON object', () => {
    const encode = (text: string) => Buffer.from(text).toString('base64url');
    for (const text of ['[1]', 'null', '"x"', '7']) {
      expect(() => decodeJwtPayload(`h.${encode(text)}.s`), text).toThrow(
        new InvalidTokenError('invalid ID token payload: not a JSON object'),
      );
    }
    expect(() => decodeJwtPayload(`h.${encode('{')}.s`)).toThrow(
      /^invalid ID token payload: .*JSON/,
    );
  });
});

describe('claims that are not objects', () => {
  it('are read as absent', async () => {
    const { parseIdToken } = await import('../src/token-data.ts');
    for (const value of [null, 'text', ['x']]) {
      const jwt = fakeJwt({
        'https://api.openai.com/auth': value,
        'https://api.openai.com/profile': value,
      });
      expect(parseIdToken(jwt)).toMatchObject({
        email: null,
        chatgptPlanType: null,
        chatgptUserId: null,
        chatgptAccountId: null,
        chatgptAccountIsFedramp: false,
      });
    }
  });
});
