import { isCodexError } from '@codex/protocol';

/** An HTTP status when one was received, else null (as the app-server schema's `httpStatusCode`). */
type WithStatus = { readonly httpStatusCode: number | null };

/**
 * The app-server v2 `CodexErrorInfo` values (schema of 0.169.0) a failed turn carries, as
 * upstream serializes them: plain strings, or one-key objects for the variants with a status.
 */
export type CodexErrorInfo =
  | 'contextWindowExceeded'
  | 'usageLimitExceeded'
  | 'serverOverloaded'
  | 'internalServerError'
  | 'unauthorized'
  | 'badRequest'
  | 'cyberPolicy'
  | 'other'
  | { readonly httpConnectionFailed: WithStatus }
  | { readonly responseStreamConnectionFailed: WithStatus }
  | { readonly responseStreamDisconnected: WithStatus }
  | { readonly responseTooManyFailedAttempts: WithStatus };

function statusOf(error: object): number | null {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : null;
}

/** True for a request that never got an HTTP answer (undici's `fetch failed` and its causes). */
function isConnectionFailure(error: object): boolean {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof TypeError || (cause instanceof Error && 'code' in cause);
}

/**
 * Classifies an error that ended a turn, by its `code` (so copies of our packages classify alike).
 * Anything that leaves the turn without a usable credential is `unauthorized`: a 401 after recovery,
 * a failed auth command (`AUTH_COMMAND_FAILED`), a missing `env_key` variable, a dead refresh token,
 * a parent app that could not supply new tokens after a 401.
 */
export function codexErrorInfo(error: unknown): CodexErrorInfo {
  if (!isCodexError(error)) return 'other';
  switch (error.code) {
    case 'CONTEXT_WINDOW_EXCEEDED':
      return 'contextWindowExceeded';
    case 'USAGE_LIMIT_REACHED':
    case 'USAGE_NOT_INCLUDED':
    case 'QUOTA_EXCEEDED':
      return 'usageLimitExceeded';
    case 'SERVER_OVERLOADED':
      return 'serverOverloaded';
    case 'INTERNAL_SERVER_ERROR':
      return 'internalServerError';
    case 'INVALID_REQUEST':
      return 'badRequest';
    case 'CYBER_POLICY':
      return 'cyberPolicy';
    case 'AUTH_COMMAND_FAILED':
    case 'ENV_VAR':
    case 'REFRESH_TOKEN_FAILED':
    case 'LOGIN_RESTRICTED':
    case 'EXTERNAL_AUTH_REFRESH_FAILED':
      return 'unauthorized';
    case 'RETRY_LIMIT':
      return { responseTooManyFailedAttempts: { httpStatusCode: statusOf(error) } };
    case 'STREAM':
      return isConnectionFailure(error)
        ? { httpConnectionFailed: { httpStatusCode: null } }
        : { responseStreamDisconnected: { httpStatusCode: null } };
    case 'UNEXPECTED_STATUS': {
      const status = statusOf(error);
      if (status === 401) return 'unauthorized';
      if (status === 400) return 'badRequest';
      return { httpConnectionFailed: { httpStatusCode: status } };
    }
    default:
      return 'other';
  }
}
