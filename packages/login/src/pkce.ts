import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair: the verifier stays here, the challenge goes in the authorize URL. */
export type PkceCodes = {
  readonly codeVerifier: string;
  readonly codeChallenge: string;
};

/** Upstream's PKCE: 64 random bytes as base64url (no padding), challenge = base64url(SHA-256(verifier)), S256. */
export function generatePkce(): PkceCodes {
  const codeVerifier = randomBytes(64).toString('base64url');
  return { codeVerifier, codeChallenge: pkceChallenge(codeVerifier) };
}

/** The S256 challenge of a verifier. */
export function pkceChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

/** The OAuth `state`: 32 random bytes as base64url (no padding). */
export function generateState(): string {
  return randomBytes(32).toString('base64url');
}
