export type { CommandToken } from './auth-command.ts';
export { type AuthFetchOptions, createAuthFetch } from './auth-fetch.ts';
export {
  AuthManager,
  type AuthManagerOptions,
} from './auth-manager.ts';
export {
  type AuthStorageBackend,
  type AuthStorageOptions,
  AutoAuthStorage,
  authFilePath,
  createAuthStorage,
  EphemeralAuthStorage,
  FileAuthStorage,
  KEYRING_SERVICE,
  KeyringAuthStorage,
  type KeyringStore,
  loadAuthDotJson,
  saveAuthDotJson,
} from './auth-storage.ts';
export {
  BearerTokenRefresher,
  type BearerTokenRefresherOptions,
  clearProviderBearerRefreshers,
  createBearerTokenRefresher,
  providerBearerRefresher,
} from './bearer-token-refresher.ts';

export {
  type BrowserLogin,
  type BrowserLoginOptions,
  startBrowserLogin,
} from './browser-login.ts';
export {
  bearerToken,
  type CodexAuth,
  codexAuthFromAuthDotJson,
} from './codex-auth.ts';
export {
  type DeviceCodeLogin,
  type DeviceCodeLoginOptions,
  startDeviceCodeLogin,
} from './device-code-login.ts';
export {
  AuthCommandError,
  AuthStorageError,
  InvalidTokenError,
  type LoginError,
  LoginRestrictionError,
  RefreshTokenFailedError,
  type RefreshTokenFailedReason,
  TransientAuthError,
} from './errors.ts';
export {
  type ExternalAuth,
  type ExternalAuthChatgptMetadata,
  type ExternalAuthRefreshContext,
  ExternalAuthTokens,
} from './external-auth.ts';
export {
  enforceLoginRestrictions,
  type LoginRestrictions,
  loginWithApiKey,
  loginWithChatgptAuthTokens,
  logout,
} from './login-actions.ts';
export type { LoginFlowError, LoginFlowOptions } from './oauth-login.ts';

export {
  type IdTokenInfo,
  parseIdToken,
} from './token-data.ts';
export type { UnauthorizedRecovery, UnauthorizedRecoveryStep } from './unauthorized-recovery.ts';
