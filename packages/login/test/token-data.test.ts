import { InvalidTokenError, parseIdToken } from '@codex/login';
import {
  isWorkspacePlan,
  planTypeDisplayName,
  planTypeFromRaw,
  planTypeToRaw,
} from '@codex/protocol';
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
    expect(planTypeDisplayName(plan('pro'))).toBe('Pro');
    expect(info.chatgptAccountId).toBe('account-1');
  });

  it('id_token_info_parses_go_plan', () => {
    expect(planTypeDisplayName(plan('go'))).toBe('Go');
  });

  it('id_token_info_parses_hc_plan_as_enterprise', () => {
    expect(planTypeDisplayName(plan('hc'))).toBe('Enterprise');
    expect(isWorkspacePlan(plan('hc'))).toBe(true);
  });

  it('id_token_info_parses_usage_based_business_plans', () => {
    const selfServe = plan('self_serve_business_usage_based');
    const cbp = plan('enterprise_cbp_usage_based');

    expect(planTypeDisplayName(selfServe)).toBe('Self Serve Business Usage Based');
    expect(planTypeToRaw(selfServe)).toBe('self_serve_business_usage_based');
    expect(planTypeDisplayName(cbp)).toBe('Enterprise CBP Usage Based');
    expect(isWorkspacePlan(selfServe) && isWorkspacePlan(cbp)).toBe(true);
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

  it('workspace_account_detection_matches_workspace_plans', () => {
    const workspace = ['team', 'business', 'enterprise', 'edu', 'education'];
    const personal = ['free', 'go', 'plus', 'pro', 'prolite', 'mystery'];

    expect(workspace.map((raw) => isWorkspacePlan(plan(raw)))).toEqual(workspace.map(() => true));
    expect(personal.map((raw) => isWorkspacePlan(plan(raw)))).toEqual(personal.map(() => false));
  });

  it('plan_type_maps_unknown_to_unknown and keeps claim case-sensitivity', () => {
    expect(plan('mystery-tier')).toEqual({ kind: 'unknown', raw: 'mystery-tier' });
    expect(plan('PRO')).toEqual({ kind: 'unknown', raw: 'PRO' });
    expect(planTypeFromRaw('PRO')).toEqual({ kind: 'known', plan: 'pro' });
  });
});
