import { type PlanType, PlanTypeSchema } from '@codex/protocol';
import { InvalidTokenError } from './errors.ts';

/** Claims Codex reads from a ChatGPT id (or access) token. */
export type IdTokenInfo = {
  email: string | null;
  chatgptPlanType: PlanType | null;
  chatgptUserId: string | null;
  chatgptAccountId: string | null;
  chatgptAccountIsFedramp: boolean;
  rawJwt: string;
};

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes a JWT payload without verifying the signature.
 * @throws {InvalidTokenError} when the token is not three non-empty dot-separated parts of base64url JSON
 */
export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) {
    throw new InvalidTokenError('invalid ID token format');
  }
  // Rust's URL_SAFE_NO_PAD engine rejects padding and foreign characters; Buffer would silently skip them.
  if (!BASE64URL.test(payload) || payload.length % 4 === 1) {
    throw new InvalidTokenError('invalid ID token payload encoding');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidTokenError(`invalid ID token payload: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTokenError('invalid ID token payload: not a JSON object');
  }
  return value as Record<string, unknown>;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function objectOrNull(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/**
 * Reads the ChatGPT claims (email, plan, user and account ids) of a JWT.
 * @throws {InvalidTokenError}
 */
export function parseIdToken(jwt: string): IdTokenInfo {
  const claims = decodeJwtPayload(jwt);
  const profile = objectOrNull(claims['https://api.openai.com/profile']);
  const auth = objectOrNull(claims['https://api.openai.com/auth']);
  const plan = auth ? stringOrNull(auth['chatgpt_plan_type']) : null;
  return {
    email: stringOrNull(claims['email']) ?? (profile ? stringOrNull(profile['email']) : null),
    chatgptPlanType: plan === null ? null : PlanTypeSchema.parse(plan),
    chatgptUserId: auth
      ? (stringOrNull(auth['chatgpt_user_id']) ?? stringOrNull(auth['user_id']))
      : null,
    chatgptAccountId: auth ? stringOrNull(auth['chatgpt_account_id']) : null,
    chatgptAccountIsFedramp: auth ? auth['chatgpt_account_is_fedramp'] === true : false,
    rawJwt: jwt,
  };
}

/**
 * The `exp` claim as epoch milliseconds, or null when absent.
 * @throws {InvalidTokenError}
 */
export function parseJwtExpiration(jwt: string): number | null {
  const exp = decodeJwtPayload(jwt)['exp'];
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
}
