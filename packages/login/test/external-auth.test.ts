import { ExternalAuthTokens } from '@codex/login';
import { describe, expect, it } from 'vitest';

describe('ExternalAuthTokens', () => {
  it('builds bearer-only tokens without ChatGPT metadata', () => {
    const tokens = ExternalAuthTokens.bearerOnly('token');

    expect(tokens.accessToken.reveal()).toBe('token');
    expect(tokens.chatgptMetadata).toBeNull();
  });

  it('builds ChatGPT tokens with account and optional plan', () => {
    expect(ExternalAuthTokens.chatgpt('t', 'org', 'pro').chatgptMetadata).toEqual({
      accountId: 'org',
      planType: 'pro',
    });
    expect(ExternalAuthTokens.chatgpt('t', 'org').chatgptMetadata).toEqual({
      accountId: 'org',
      planType: null,
    });
  });

  it('redacts the token when serialized (improvement 9)', () => {
    const text = JSON.stringify(ExternalAuthTokens.chatgpt('secret-token-value', 'org'));

    expect(text).not.toContain('secret-token-value');
  });
});
