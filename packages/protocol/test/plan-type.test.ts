import {
  isWorkspacePlan,
  KNOWN_PLANS,
  PlanTypeSchema,
  planTypeDisplayName,
  planTypeFromRaw,
  planTypeToRaw,
} from '@codex/protocol';
import { describe, expect, it } from 'vitest';

describe('planTypeFromRaw', () => {
  it('plan_type_deserializes_raw_aliases', () => {
    expect(planTypeFromRaw('hc')).toEqual({ kind: 'known', plan: 'enterprise' });
    expect(planTypeFromRaw('education')).toEqual({ kind: 'known', plan: 'edu' });
    expect(PlanTypeSchema.parse('hc')).toEqual({ kind: 'known', plan: 'enterprise' });
    expect(PlanTypeSchema.parse('education')).toEqual({ kind: 'known', plan: 'edu' });
  });

  it('matches case-insensitively', () => {
    expect(planTypeFromRaw('PRO')).toEqual({ kind: 'known', plan: 'pro' });
    expect(planTypeFromRaw('Hc')).toEqual({ kind: 'known', plan: 'enterprise' });
  });

  it('keeps unknown plans with their original case', () => {
    expect(planTypeFromRaw('Mystery_Plan')).toEqual({ kind: 'unknown', raw: 'Mystery_Plan' });
    expect(planTypeToRaw(planTypeFromRaw('Mystery_Plan'))).toBe('Mystery_Plan');
    expect(planTypeFromRaw('constructor')).toEqual({ kind: 'unknown', raw: 'constructor' });
  });

  it('deserializes claims case-sensitively', () => {
    expect(PlanTypeSchema.parse('PRO')).toEqual({ kind: 'unknown', raw: 'PRO' });
  });

  it.each(KNOWN_PLANS.map((plan) => [plan]))('round-trips %s', (plan) => {
    expect(planTypeToRaw(planTypeFromRaw(plan))).toBe(plan);
  });

  it('gives display names and workspace flags', () => {
    expect(planTypeDisplayName(planTypeFromRaw('pro'))).toBe('Pro');
    expect(planTypeDisplayName(planTypeFromRaw('hc'))).toBe('Enterprise');
    expect(planTypeDisplayName(planTypeFromRaw('self_serve_business_usage_based'))).toBe(
      'Self Serve Business Usage Based',
    );
    expect(planTypeDisplayName(planTypeFromRaw('enterprise_cbp_usage_based'))).toBe(
      'Enterprise CBP Usage Based',
    );
    expect(planTypeDisplayName(planTypeFromRaw('odd'))).toBe('odd');
    expect(isWorkspacePlan(planTypeFromRaw('hc'))).toBe(true);
    expect(isWorkspacePlan(planTypeFromRaw('business'))).toBe(true);
    expect(isWorkspacePlan(planTypeFromRaw('plus'))).toBe(false);
    expect(isWorkspacePlan(planTypeFromRaw('odd'))).toBe(false);
  });

  it('has upstream`s display name for every known plan', () => {
    expect(
      Object.fromEntries(
        KNOWN_PLANS.map((plan) => [plan, planTypeDisplayName({ kind: 'known', plan })]),
      ),
    ).toEqual({
      free: 'Free',
      go: 'Go',
      plus: 'Plus',
      pro: 'Pro',
      prolite: 'Pro Lite',
      team: 'Team',
      self_serve_business_usage_based: 'Self Serve Business Usage Based',
      business: 'Business',
      enterprise_cbp_usage_based: 'Enterprise CBP Usage Based',
      enterprise: 'Enterprise',
      edu: 'Edu',
    });
  });

  it('workspace_account_detection_matches_workspace_plans', () => {
    const workspace = [
      'team',
      'business',
      'enterprise',
      'hc',
      'edu',
      'education',
      'self_serve_business_usage_based',
      'enterprise_cbp_usage_based',
    ];
    const personal = ['free', 'go', 'plus', 'pro', 'prolite', 'mystery'];

    expect(workspace.filter((raw) => !isWorkspacePlan(PlanTypeSchema.parse(raw)))).toEqual([]);
    expect(personal.filter((raw) => isWorkspacePlan(PlanTypeSchema.parse(raw)))).toEqual([]);
    expect(planTypeDisplayName(PlanTypeSchema.parse('go'))).toBe('Go');
  });
});
