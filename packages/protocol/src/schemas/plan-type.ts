import * as z from 'zod/mini';

/** Raw values of the ChatGPT plans Codex knows, as they appear in token claims. */
export const KNOWN_PLANS = [
  'free',
  'go',
  'plus',
  'pro',
  'prolite',
  'team',
  'self_serve_business_usage_based',
  'business',
  'enterprise_cbp_usage_based',
  'enterprise',
  'edu',
] as const;

/** A ChatGPT plan Codex knows. */
export type KnownPlan = (typeof KNOWN_PLANS)[number];

/** A known plan, or an unknown one that keeps its raw string as given. */
export type PlanType = { kind: 'known'; plan: KnownPlan } | { kind: 'unknown'; raw: string };

const ALIASES: Readonly<Record<string, KnownPlan>> = { hc: 'enterprise', education: 'edu' };

const DISPLAY_NAMES: Readonly<Record<KnownPlan, string>> = {
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
};

const WORKSPACE_PLANS: ReadonlySet<KnownPlan> = new Set([
  'team',
  'self_serve_business_usage_based',
  'business',
  'enterprise_cbp_usage_based',
  'enterprise',
  'edu',
]);

function lookup(value: string): KnownPlan | undefined {
  if ((KNOWN_PLANS as readonly string[]).includes(value)) return value as KnownPlan;
  return Object.hasOwn(ALIASES, value) ? ALIASES[value] : undefined;
}

/** Case-insensitive match with the aliases `hc` (enterprise) and `education` (edu); else unknown, raw kept. */
export function planTypeFromRaw(raw: string): PlanType {
  const plan = lookup(raw.toLowerCase());
  return plan === undefined ? { kind: 'unknown', raw } : { kind: 'known', plan };
}

/** The raw string a plan serialises to: the canonical value for known plans, the original otherwise. */
export function planTypeToRaw(planType: PlanType): string {
  return planType.kind === 'known' ? planType.plan : planType.raw;
}

/** Human name (`Pro`, `Enterprise CBP Usage Based`); the raw string for unknown plans. */
export function planTypeDisplayName(planType: PlanType): string {
  return planType.kind === 'known' ? DISPLAY_NAMES[planType.plan] : planType.raw;
}

/** True for plans that belong to a workspace (team, business, enterprise, edu, ...). */
export function isWorkspacePlan(planType: PlanType): boolean {
  return planType.kind === 'known' && WORKSPACE_PLANS.has(planType.plan);
}

/** A plan string from token claims: case-sensitive with aliases, unknown values kept raw. */
export const PlanTypeSchema = z
  .pipe(
    z.string(),
    z.transform((raw): PlanType => {
      const plan = lookup(raw);
      return plan === undefined ? { kind: 'unknown', raw } : { kind: 'known', plan };
    }),
  )
  .register(z.globalRegistry, {
    description: 'ChatGPT plan, e.g. `plus`, `pro`, `enterprise` (aliases `hc`, `education`).',
  });
