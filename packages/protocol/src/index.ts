/** Dotted key path formatting used in every config error message. */
export { formatKeyPath } from './config/describe.ts';
/** Built-in providers, their ids and ports, and the merge with user providers. */
export {
  type BuiltInModelProvidersOptions,
  builtInModelProviders,
  DEFAULT_LMSTUDIO_PORT,
  DEFAULT_OLLAMA_PORT,
  LEGACY_OLLAMA_CHAT_PROVIDER_ID,
  LMSTUDIO_OSS_PROVIDER_ID,
  mergeModelProviders,
  OLLAMA_CHAT_PROVIDER_REMOVED_ERROR,
  OLLAMA_OSS_PROVIDER_ID,
  OPENAI_PROVIDER_ID,
} from './config/model-providers.ts';
/** Parses and validates config.toml into `{ config, warnings }` or throws ConfigError. */
export {
  type ConfigParseOptions,
  isHttpUrl,
  type ParsedConfigToml,
  parseConfigToml,
  validateConfigToml,
} from './config/parse-config-toml.ts';
/** Built-in provider ids users may not redefine, and upstream's error text for doing so. */
export { RESERVED_MODEL_PROVIDER_IDS, reservedProviderIdsError } from './config/reserved-ids.ts';
/** Resolves config paths against the config file's directory with `~` expansion. */
export { type PathBase, resolveConfigPath } from './config/resolve-path.ts';
/** Base class of every @codex error and its cross-copy check. */
export { CodexError, isCodexError } from './errors/codex-error.ts';
/** Invalid config.toml: code `CONFIG_INVALID`, with the key path or TOML position. */
export { ConfigError, type ConfigErrorOptions } from './errors/config-error.ts';
/** Paths and generator of the committed JSON Schemas. */
export { AUTH_SCHEMA_PATH, CONFIG_SCHEMA_PATH, generateJsonSchemas } from './json-schemas.ts';
/** App-server v2 account messages (camelCase, as on the wire) and their method names. */
export {
  ACCOUNT_METHODS,
  type Account,
  type AccountLoginCompletedNotification,
  AccountLoginCompletedNotificationSchema,
  AccountSchema,
  type AccountUpdatedNotification,
  AccountUpdatedNotificationSchema,
  type ChatgptAuthTokensRefreshParams,
  ChatgptAuthTokensRefreshParamsSchema,
  ChatgptAuthTokensRefreshReasonSchema,
  type ChatgptAuthTokensRefreshResponse,
  ChatgptAuthTokensRefreshResponseSchema,
  GetAccountParamsSchema,
  type GetAccountResponse,
  GetAccountResponseSchema,
  type LoginAccountParams,
  LoginAccountParamsSchema,
  type LoginAccountResponse,
  LoginAccountResponseSchema,
} from './schemas/app-server-account.ts';
/** auth.json, its tokens and auth mode, and upstream's serialisation rules. */
export {
  type AuthDotJson,
  AuthDotJsonSchema,
  type AuthDotJsonWire,
  type AuthMode,
  AuthModeSchema,
  authDotJsonToJson,
  resolvedAuthMode,
  serializeAuthDotJson,
  type TokenData,
  TokenDataSchema,
} from './schemas/auth-dot-json.ts';
/** The provider part of config.toml, profiles, credential store and forced login method. */
export {
  type AuthCredentialsStoreMode,
  AuthCredentialsStoreModeSchema,
  type ConfigProfile,
  ConfigProfileSchema,
  type ConfigToml,
  ConfigTomlSchema,
  type ForcedLoginMethod,
  ForcedLoginMethodSchema,
} from './schemas/config-toml.ts';
/** The one parser of provider and OAuth error bodies. */
export { type ErrorBody, ErrorBodySchema, parseErrorBody } from './schemas/error-body.ts';
/** `[model_providers.<id>.auth]`: the token command, its defaults and refresh interval. */
export {
  DEFAULT_AUTH_REFRESH_INTERVAL_MS,
  DEFAULT_AUTH_TIMEOUT_MS,
  type ModelProviderAuthInfo,
  ModelProviderAuthInfoSchema,
  refreshIntervalMs,
} from './schemas/model-provider-auth-info.ts';
/** `[model_providers.<id>]`, the wire API, upstream validation and derived values. */
export {
  CHAT_WIRE_API_REMOVED_ERROR,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  DEFAULT_WEBSOCKET_CONNECT_TIMEOUT_MS,
  hasCommandAuth,
  isAzureProvider,
  isOpenAiProvider,
  type ModelProviderAwsAuthInfo,
  ModelProviderAwsAuthInfoSchema,
  type ModelProviderInfo,
  ModelProviderInfoSchema,
  requestMaxRetries,
  streamIdleTimeoutMs,
  streamMaxRetries,
  supportsRemoteCompaction,
  validateModelProviderInfo,
  type WireApi,
  WireApiSchema,
  websocketConnectTimeoutMs,
} from './schemas/model-provider-info.ts';
/** ChatGPT plans: known values, raw aliases, display names. */
export {
  isWorkspacePlan,
  KNOWN_PLANS,
  type KnownPlan,
  type PlanType,
  PlanTypeSchema,
  planTypeDisplayName,
  planTypeFromRaw,
  planTypeToRaw,
} from './schemas/plan-type.ts';
/** Tokens as values that cannot print, and the one redactor for every outgoing text. */
export {
  escapeControlCharacters,
  isSecret,
  MIN_REDACTED_LENGTH,
  REDACTED,
  redact,
  revealSecret,
  Secret,
} from './secret.ts';
