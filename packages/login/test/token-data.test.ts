import { InvalidTokenError, parseIdToken } from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { parseJwtExpiration } from '../src/token-data.ts';
import { chatgptJwt } from './helpers/fixtures.ts';

function plan(raw: string) {
  const info = parseIdToken(chatgptJwt({ plan: raw }));
  if (info.chatgptPlanType === null) throw new Error('no plan');
  return info.chatgptPlanType;
}

describe('parseIdToken', () => {
  it('id_token_info_parses_email_and_plan', () => {
    const info = parseIdToken(chatgptJwt({ email: 'user@example.com', plan: 'pro' }));

    expect(info.email).toBe('user@example.com');
    expect(info.chatgptPlanType).toEqual({ kind: 'known', plan: 'pro' });
    expect(info.chatgptAccountId).toBe('account-1');
  });

  // The plan values themselves (aliases, display names, workspace plans) are covered by
  // @codex/protocol's plan-type.test.ts; here only that the claim goes through PlanTypeSchema.
  it('reads the plan claim with its aliases and keeps the claim case', () => {
    expect(plan('hc')).toEqual({ kind: 'known', plan: 'enterprise' });
    expect(plan('mystery-tier')).toEqual({ kind: 'unknown', raw: 'mystery-tier' });
    expect(plan('PRO')).toEqual({ kind: 'unknown', raw: 'PRO' });
  });

  it('id_token_info_handles_missing_fields', () => {
    const jwt = fakeJwt({ sub: 'x' });

    expect(parseIdToken(jwt)).toEqual({
      email: null,
      chatgptPlanType: null,
      chatgptUserId: null,
      chatgptAccountId: null,
      chatgptAccountIsFedramp: false,
      rawJwt: jwt,
    });
  });

  it('reads the email from the profile claim and user_id as a fallback', () => {
    const info = parseIdToken(
      fakeJwt({
        'https://api.openai.com/profile': { email: 'profile@example.com' },
        'https://api.openai.com/auth': { user_id: 'legacy-user' },
      }),
    );

    expect(info.email).toBe('profile@example.com');
    expect(info.chatgptUserId).toBe('legacy-user');
  });

  it('jwt_expiration_parses_exp_claim', () => {
    expect(parseJwtExpiration(fakeJwt({ exp: 1_700_000_000 }))).toBe(1_700_000_000_000);
  });

  it('jwt_expiration_handles_missing_exp', () => {
    expect(parseJwtExpiration(fakeJwt({}))).toBeNull();
  });

  it('jwt_expiration_rejects_malformed_jwt', () => {
    expect(() => parseJwtExpiration('not-a-jwt')).toThrow(InvalidTokenError);
    expect(() => parseJwtExpiration('not-a-jwt')).toThrow('invalid ID token format');
    expect(() => parseIdToken('a..c')).toThrow('invalid ID token format');
  });

  it('rejects padded base64 like the Rust engine', () => {
    const [header, payload] = fakeJwt({ a: 1 }).split('.');

    expect(() => parseIdToken(`${header}.${payload}==.sig`)).toThrow(InvalidTokenError);
  });
});
