import type { Config } from '@codex/core';
import { AuthManager, enforceLoginRestrictions, loadAuthDotJson } from '@codex/login';
import type { ModelProviderInfo } from '@codex/protocol';

/**
 * Whether the provider's requests carry the user's OpenAI login (CODEX_API_KEY or auth.json), in
 * the precedence of core's provider auth: `env_key`, `experimental_bearer_token` and an `auth`
 * command each win over the login, and a provider without `requires_openai_auth` sends none.
 */
export function usesOpenaiLogin(provider: ModelProviderInfo): boolean {
  return (
    provider.requires_openai_auth &&
    provider.env_key == null &&
    provider.experimental_bearer_token == null &&
    provider.auth == null
  );
}

function hasCodexApiKey(env: NodeJS.ProcessEnv): boolean {
  return (env['CODEX_API_KEY']?.trim() ?? '') !== '';
}

/** `forced_chatgpt_workspace_id` may be a list in config.toml; the login check takes one id. */
export function workspaceId(value: string | readonly string[] | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : (value[0] ?? null);
}

/**
 * The login `codex exec` sends, or undefined when the provider's credentials come from elsewhere:
 * the credential store is read only by code that needs it, so a broken auth.json cannot stop a
 * provider that uses `env_key`. Login restrictions are enforced only when configured.
 * @throws {AuthStorageError} one line naming the store and how to recover, when the login is needed
 *   and the store cannot be read (before any request is sent)
 * @throws {LoginRestrictionError}
 */
export async function execAuthManager(
  config: Config,
  env: NodeJS.ProcessEnv,
  onWarning: (warning: string) => void,
): Promise<AuthManager | undefined> {
  const forcedWorkspaceId = workspaceId(config.forcedChatgptWorkspaceId);
  if (config.forcedLoginMethod !== undefined || forcedWorkspaceId !== null) {
    await enforceLoginRestrictions({
      codexHome: config.codexHome,
      storeMode: config.cliAuthCredentialsStore,
      forcedLoginMethod: config.forcedLoginMethod ?? null,
      forcedChatgptWorkspaceId: forcedWorkspaceId,
      env,
    });
  }
  if (!usesOpenaiLogin(config.modelProvider)) return undefined;
  if (!hasCodexApiKey(env) && config.cliAuthCredentialsStore === 'file') {
    // the manager below would only warn and go on logged out; fail here, before the request
    await loadAuthDotJson(config.codexHome, 'file');
  }
  return AuthManager.create({
    codexHome: config.codexHome,
    enableCodexApiKeyEnv: true,
    storeMode: config.cliAuthCredentialsStore,
    env,
    forcedChatgptWorkspaceId: forcedWorkspaceId,
    onWarning,
  });
}
