import type {
  AuthCredentialsStoreMode,
  AuthDotJson,
  AuthMode,
  ChatgptAuthTokensRefreshParams,
  ConfigError,
  ConfigToml,
  LoginAccountParams,
  ModelProviderAuthInfo,
  ModelProviderInfo,
  ParsedConfigToml,
  PlanType,
  WireApi,
} from '@codex/protocol';
import { expectTypeOf } from 'vitest';

expectTypeOf<ModelProviderAuthInfo>().toEqualTypeOf<{
  command: string;
  args: string[];
  timeout_ms: number;
  refresh_interval_ms: number;
  cwd: string;
}>();
expectTypeOf<WireApi>().toEqualTypeOf<'responses'>();
expectTypeOf<ModelProviderInfo['name']>().toEqualTypeOf<string>();
expectTypeOf<ModelProviderInfo['requires_openai_auth']>().toEqualTypeOf<boolean>();
expectTypeOf<ModelProviderInfo['auth']>().toEqualTypeOf<ModelProviderAuthInfo | undefined>();
expectTypeOf<ConfigToml['model_providers']>().toEqualTypeOf<Record<string, ModelProviderInfo>>();
expectTypeOf<ConfigToml['forced_chatgpt_workspace_id']>().toEqualTypeOf<
  string | string[] | undefined
>();
expectTypeOf<ParsedConfigToml>().toEqualTypeOf<{ config: ConfigToml; warnings: string[] }>();
expectTypeOf<AuthMode>().toEqualTypeOf<'apikey' | 'chatgpt' | 'chatgptAuthTokens'>();
expectTypeOf<AuthCredentialsStoreMode>().toEqualTypeOf<'file' | 'keyring' | 'auto' | 'ephemeral'>();
expectTypeOf<AuthDotJson['OPENAI_API_KEY']>().toEqualTypeOf<string | null | undefined>();
expectTypeOf<ConfigError['code']>().toEqualTypeOf<'CONFIG_INVALID'>();
expectTypeOf<ChatgptAuthTokensRefreshParams>().toEqualTypeOf<{
  reason: 'unauthorized';
  previousAccountId: string | null;
}>();
expectTypeOf<Extract<LoginAccountParams, { type: 'chatgptAuthTokens' }>>().toHaveProperty(
  'chatgptAccountId',
);
expectTypeOf<Extract<PlanType, { kind: 'unknown' }>['raw']>().toEqualTypeOf<string>();
