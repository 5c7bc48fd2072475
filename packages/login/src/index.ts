export {
  type CommandToken,
  MAX_QUOTED_STDERR_BYTES,
  MAX_STDOUT_BYTES,
  parseAuthCommandOutput,
  resolveCommandProgram,
  runAuthCommand,
} from './auth-command.ts';
export {
  ACCESS_TOKEN_REFRESH_WINDOW_MS,
  AuthManager,
  type AuthManagerOptions,
  CODEX_API_KEY_ENV_VAR,
  enforceLoginRestrictions,
  type LoginRestrictions,
  loginWithApiKey,
  loginWithChatgptAuthTokens,
  logout,
  logoutAllStores,
  revokeAuthTokens,
  TOKEN_REFRESH_INTERVAL_MS,
  type UnauthorizedRecovery,
  type UnauthorizedRecoveryStep,
} from './auth-manager.ts';
export {
  type AuthStorageBackend,
  type AuthStorageOptions,
  AutoAuthStorage,
  authFilePath,
  computeStoreKey,
  createAuthStorage,
  EphemeralAuthStorage,
  FileAuthStorage,
  KEYRING_SERVICE,
  KeyringAuthStorage,
  type KeyringStore,
  loadAuthDotJson,
  parseAuthDotJson,
  saveAuthDotJson,
  writeFileAtomic,
} from './auth-storage.ts';
export {
  BearerTokenRefresher,
  type BearerTokenRefresherOptions,
  clearProviderBearerRefreshers,
  createBearerTokenRefresher,
  MAX_EXPIRY_SKEW_MS,
  providerBearerRefresher,
} from './bearer-token-refresher.ts';
export {
  type BrowserLogin,
  type BrowserLoginOptions,
  startBrowserLogin,
} from './browser-login.ts';
export {
  authDotJsonFromExternalTokens,
  bearerToken,
  type CodexAuth,
  codexAuthAccountId,
  codexAuthFromApiKey,
  codexAuthFromAuthDotJson,
} from './codex-auth.ts';
export {
  type DeviceCodeLogin,
  type DeviceCodeLoginOptions,
  startDeviceCodeLogin,
} from './device-code-login.ts';
export {
  ACCOUNT_CHANGED_MESSAGE,
  AuthCommandError,
  AuthStorageError,
  InvalidTokenError,
  type LoginError,
  LoginRestrictionError,
  REFRESH_TOKEN_MESSAGES,
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
export type { LoginFlowError, LoginFlowOptions } from './oauth-login.ts';
export {
  CLIENT_ID,
  classifyRefreshFailure,
  REFRESH_TOKEN_URL,
  REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR,
  REVOKE_TOKEN_URL,
  REVOKE_TOKEN_URL_OVERRIDE_ENV_VAR,
  requestTokenRefresh,
  revokeTokenUrl,
  tryParseErrorMessage,
} from './token-authority.ts';
export {
  decodeJwtPayload,
  type IdTokenInfo,
  parseIdToken,
  parseJwtExpiration,
} from './token-data.ts';
