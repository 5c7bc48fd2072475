import {
  type AuthDotJson,
  AuthDotJsonSchema,
  AuthModeSchema,
  resolvedAuthMode,
  serializeAuthDotJson,
} from '@codex/protocol';
import { describe, expect, it } from 'vitest';

const chatgptFile = `{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "tokens": {
    "id_token": "header.payload.signature",
    "access_token": "access",
    "refresh_token": "refresh",
    "account_id": "account_id"
  },
  "last_refresh": "2026-03-31T12:34:56.789012Z"
}`;

describe('AuthDotJsonSchema', () => {
  it('round-trips a ChatGPT auth.json byte for byte', () => {
    const parsed = AuthDotJsonSchema.parse(JSON.parse(chatgptFile));

    expect(serializeAuthDotJson(parsed)).toBe(chatgptFile);
  });

  it('writes an API-key login with OPENAI_API_KEY and without null tokens', () => {
    const auth: AuthDotJson = {
      auth_mode: 'apikey',
      OPENAI_API_KEY: 'sk-test',
      tokens: null,
      last_refresh: null,
    };

    expect(JSON.parse(serializeAuthDotJson(auth))).toEqual({
      auth_mode: 'apikey',
      OPENAI_API_KEY: 'sk-test',
    });
    expect(Object.keys(JSON.parse(serializeAuthDotJson(auth)))).toEqual([
      'auth_mode',
      'OPENAI_API_KEY',
    ]);
  });

  it('always writes OPENAI_API_KEY and tokens.account_id, as null when absent', () => {
    const auth = AuthDotJsonSchema.parse({
      tokens: { id_token: 'i', access_token: 'a', refresh_token: 'r' },
    });

    expect(serializeAuthDotJson(auth, { compact: true })).toBe(
      '{"OPENAI_API_KEY":null,"tokens":{"id_token":"i","access_token":"a","refresh_token":"r","account_id":null}}',
    );
  });

  it('accepts the legacy API-key file without auth_mode and infers the mode', () => {
    const auth = AuthDotJsonSchema.parse(
      JSON.parse('{"OPENAI_API_KEY":"sk-test-key","tokens":null,"last_refresh":null}'),
    );

    expect(resolvedAuthMode(auth)).toBe('apikey');
    expect(resolvedAuthMode({ tokens: null })).toBe('chatgpt');
    expect(resolvedAuthMode({ auth_mode: 'chatgptAuthTokens', OPENAI_API_KEY: 'k' })).toBe(
      'chatgptAuthTokens',
    );
  });

  it('rejects a malformed last_refresh and missing token fields', () => {
    expect(AuthDotJsonSchema.safeParse({ last_refresh: 'yesterday' }).success).toBe(false);
    expect(AuthDotJsonSchema.safeParse({ tokens: { access_token: 'a' } }).success).toBe(false);
  });
});

describe('AuthModeSchema', () => {
  it('uses upstream spellings', () => {
    expect(AuthModeSchema.options).toEqual(['apikey', 'chatgpt', 'chatgptAuthTokens']);
    expect(AuthModeSchema.safeParse('apiKey').success).toBe(false);
  });
});
