import { CodexError } from '@codex/protocol';

/** A provider auth command failed; the message is upstream's text and never contains a token. */
export class AuthCommandError extends CodexError {
  override get name(): 'AuthCommandError' {
    return 'AuthCommandError';
  }
  readonly code = 'AUTH_COMMAND_FAILED';
  /** The command as configured (not the resolved path). */
  readonly command: string;

  constructor(command: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.command = command;
  }
}

export type RefreshTokenFailedReason = 'expired' | 'exhausted' | 'revoked' | 'other';

/** A permanent token refresh failure: the user has to sign in again. */
export class RefreshTokenFailedError extends CodexError {
  override get name(): 'RefreshTokenFailedError' {
    return 'RefreshTokenFailedError';
  }
  readonly code = 'REFRESH_TOKEN_FAILED';
  readonly reason: RefreshTokenFailedReason;

  constructor(reason: RefreshTokenFailedReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A transient auth failure (network, storage, external refresher); retrying later may succeed. */
export class TransientAuthError extends CodexError {
  override get name(): 'TransientAuthError' {
    return 'TransientAuthError';
  }
  readonly code = 'AUTH_TRANSIENT';
}

/** Reading or writing stored credentials failed. */
export class AuthStorageError extends CodexError {
  override get name(): 'AuthStorageError' {
    return 'AuthStorageError';
  }
  readonly code = 'AUTH_STORAGE';
}

/** A JWT could not be decoded. */
export class InvalidTokenError extends CodexError {
  override get name(): 'InvalidTokenError' {
    return 'InvalidTokenError';
  }
  readonly code = 'INVALID_TOKEN';
}

/** The stored credentials violate `forced_login_method` or `forced_chatgpt_workspace_id`; they were logged out. */
export class LoginRestrictionError extends CodexError {
  override get name(): 'LoginRestrictionError' {
    return 'LoginRestrictionError';
  }
  readonly code = 'LOGIN_RESTRICTED';
}

/** Every error thrown by @codex/login. */
export type LoginError =
  | AuthCommandError
  | RefreshTokenFailedError
  | TransientAuthError
  | AuthStorageError
  | InvalidTokenError
  | LoginRestrictionError;

export const REFRESH_TOKEN_MESSAGES = {
  expired:
    'Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.',
  exhausted:
    'Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.',
  revoked:
    'Your access token could not be refreshed because your refresh token was revoked. Please log out and sign in again.',
  other: 'Your access token could not be refreshed. Please log out and sign in again.',
} as const;

export const ACCOUNT_CHANGED_MESSAGE =
  'Your access token could not be refreshed because you have since logged out or signed in to another account. Please sign in again.';
