/**
 * `@codex/core`: config loading (`CODEX_HOME`, config.toml, `-c` overrides, profiles), provider
 * credential selection, and the Responses API client with retries and 401 recovery.
 *
 * Errors: every error thrown by `loadConfig`, `runTurn` and `stream` has upstream's display text as
 * its `message`, so a CLI prints `error.message` as is. Auth command failures are `AuthCommandError`
 * and permanent refresh failures `RefreshTokenFailedError`, both from `@codex/login`, passed through.
 *
 * Events ({@link ResponseEvent}), from the Responses SSE stream (upstream-core §4.1):
 * `created`, `output_text_delta`, `output_item_added`, `output_item_done`,
 * `reasoning_summary_delta`, `reasoning_summary_part_added`, `reasoning_content_delta`,
 * `tool_call_input_delta`, `completed` (with usage). `response.failed`, `response.incomplete` and
 * `error` end the stream with an error instead.
 *
 * Notices ({@link ClientNotice}), via `onNotice`: `reconnecting` (`Reconnecting... n/max`, a turn-level
 * retry), `retrying_request` (a transport-level retry and its delay), `auth_command_slow`.
 *
 * @packageDocumentation
 */

export {
  type Credential,
  type CredentialSource,
  type CredentialSourceKind,
  type CredentialSourceOptions,
  createCredentialSource,
} from './credential-source.ts';
export {
  CodexHomeError,
  ConfigLoadError,
  ConfigOverrideError,
  ContextWindowExceededError,
  type CoreError,
  CredentialError,
  CyberPolicyError,
  EnvVarError,
  InternalServerError,
  InvalidRequestError,
  QuotaExceededError,
  RetryLimitError,
  ServerOverloadedError,
  StreamError,
  TurnAbortedError,
  UnexpectedStatusError,
  UsageLimitReachedError,
  UsageNotIncludedError,
} from './errors.ts';
export {
  type Config,
  DEFAULT_MODEL,
  findCodexHome,
  type LoadConfigOptions,
  loadConfig,
} from './load-config.ts';
export {
  type ClientNotice,
  createModelClient,
  type ModelClient,
  type ModelClientOptions,
  type TurnResult,
} from './model-client.ts';
export {
  type ContentItem,
  codexVersion,
  type InputItem,
  imageFileToDataUrl,
  type TurnRequest,
  userMessage,
} from './request-builder.ts';
export type { OutputItem, ResponseEvent, TokenUsage } from './response-events.ts';
export { type ParseResponsesSseOptions, parseResponsesSse } from './response-stream.ts';
