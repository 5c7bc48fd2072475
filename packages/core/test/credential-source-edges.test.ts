import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CredentialError, createCredentialSource } from '@codex/core';
import { AuthManager, clearProviderBearerRefreshers } from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProviderConfig, tempHome } from './helpers/provider-config.ts';

afterEach(() => {
  clearProviderBearerRefreshers();
});

describe('credential source edge cases', () => {
  it('names the ChatGPT access token in auth.json when it is empty', async () => {
    const home = await tempHome();
    await writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({
        auth_mode: 'chatgpt',
        OPENAI_API_KEY: null,
        tokens: {
          id_token: fakeJwt({ email: 'user@example.com' }),
          access_token: 'unused-without-last-refresh',
          refresh_token: 'r',
          account_id: 'a',
        },
        last_refresh: null,
      }),
    );
    const config = await loadProviderConfig(
      'base_url = "http://127.0.0.1:9/v1"\nrequires_openai_auth = true',
      { home },
    );
    const source = createCredentialSource({
      providerId: 'corp',
      provider: config.modelProvider,
      env: {},
      authManager: AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false, env: {} }),
    });

    const error = await source.resolve().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CredentialError);
    expect((error as Error).message).toBe(
      'the ChatGPT access token in auth.json is empty; no request was sent without credentials',
    );
  });
});
