import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type LoginIssuer, type LoginIssuerOptions, startLoginIssuer } from '@codex/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthManager } from '../src/auth-manager.ts';
import { FileAuthStorage, saveAuthDotJson } from '../src/auth-storage.ts';
import {
  type BrowserLoginOptions,
  buildAuthorizeUrl,
  startBrowserLogin,
} from '../src/browser-login.ts';
import { pkceChallenge } from '../src/pkce.ts';
import { parseIdToken } from '../src/token-data.ts';
import { tempDir } from './helpers/fixtures.ts';
import { startTokenAuthority } from './helpers/token-authority.ts';

const issuers: LoginIssuer[] = [];
afterEach(async () => {
  await Promise.all(issuers.splice(0).map((issuer) => issuer.close()));
});

async function issuer(options?: LoginIssuerOptions): Promise<LoginIssuer> {
  const started = await startLoginIssuer(options);
  issuers.push(started);
  return started;
}

async function login(
  target: LoginIssuer,
  codexHome: string,
  extra: Partial<BrowserLoginOptions> = {},
) {
  const started = await startBrowserLogin({
    codexHome,
    storeMode: 'file',
    env: { CODEX_LOGIN_ISSUER: target.url },
    port: 0,
    openBrowser: false,
    ...extra,
  });
  // a failed sign-in must not surface as an unhandled rejection before the test awaits it
  started.done.catch(() => {});
  return started;
}

describe('browser login (PKCE authorization code against a real OpenID provider)', () => {
  it('signs in, saves auth.json at 0600 with the ChatGPT tokens and the exchanged API key', async () => {
    const authority = await issuer();
    const codexHome = await tempDir();
    const started = await login(authority, codexHome);
    const url = new URL(started.authUrl);
    expect(url.origin + url.pathname).toBe(`${authority.url}/oauth/authorize`);
    expect(url.searchParams.get('redirect_uri')).toBe(
      `http://localhost:${started.port}/auth/callback`,
    );
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toBe('openid profile email offline_access');

    const visit = await authority.signIn(started.authUrl);
    await started.done;
    expect(visit.status).toBe(200);
    expect(visit.url).toMatch(new RegExp(`^http://localhost:${started.port}/success\\?id_token=`));
    expect(visit.body).toContain('Signed in to Codex');

    const file = path.join(codexHome, 'auth.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = await new FileAuthStorage(codexHome).load();
    expect(saved?.auth_mode).toBe('chatgpt');
    expect(saved?.OPENAI_API_KEY).toBe('sk-loopback-exchanged-key');
    expect(saved?.tokens?.account_id).toBe('org-loopback');
    expect(saved?.tokens?.refresh_token).not.toBe('');
    const claims = parseIdToken(saved?.tokens?.id_token ?? '');
    expect(claims.email).toBe('user@example.com');
    expect(claims.chatgptAccountId).toBe('org-loopback');
    expect(authority.tokenGrants).toEqual([
      'authorization_code',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
  });

  it('leaves token refresh on CODEX_REFRESH_TOKEN_URL_OVERRIDE, not on the login issuer', async () => {
    const authority = await issuer();
    const codexHome = await tempDir();
    const started = await login(authority, codexHome);
    await authority.signIn(started.authUrl);
    await started.done;
    const saved = await new FileAuthStorage(codexHome).load();
    const refresh = await startTokenAuthority(() => ({
      status: 200,
      body: { access_token: 'refreshed-access', refresh_token: 'refreshed-refresh' },
    }));
    const manager = AuthManager.create({
      codexHome,
      enableCodexApiKeyEnv: false,
      storeMode: 'file',
      env: { CODEX_LOGIN_ISSUER: authority.url, CODEX_REFRESH_TOKEN_URL_OVERRIDE: refresh.url },
    });
    await manager.refreshToken();
    expect(refresh.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        body: {
          client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
          grant_type: 'refresh_token',
          refresh_token: saved?.tokens?.refresh_token,
        },
      }),
    ]);
    expect(authority.tokenGrants).not.toContain('refresh_token');
    expect((await new FileAuthStorage(codexHome).load())?.tokens?.access_token).toBe(
      'refreshed-access',
    );
  });

  it('answers a forged state with 400 and keeps waiting for the real callback', async () => {
    const authority = await issuer();
    const codexHome = await tempDir();
    const started = await login(authority, codexHome);
    const forged = await fetch(
      `http://127.0.0.1:${started.port}/auth/callback?code=stolen&state=forged`,
    );
    expect(forged.status).toBe(400);
    expect(await forged.text()).toBe('State mismatch');
    const unknown = await fetch(`http://127.0.0.1:${started.port}/elsewhere`);
    expect(unknown.status).toBe(404);
    await authority.signIn(started.authUrl);
    await expect(started.done).resolves.toBeUndefined();
  });

  it('still saves the login when the API-key exchange fails (best effort)', async () => {
    const authority = await issuer({ apiKey: null });
    const codexHome = await tempDir();
    const started = await login(authority, codexHome);
    await authority.signIn(started.authUrl);
    await started.done;
    const saved = await new FileAuthStorage(codexHome).load();
    expect(saved?.OPENAI_API_KEY).toBeNull();
    expect(saved?.tokens?.access_token).not.toBe('');
  });

  it('enforces forced_chatgpt_workspace_id (one id or a list) and saves nothing on a mismatch', async () => {
    const authority = await issuer();
    const codexHome = await tempDir();
    const started = await login(authority, codexHome, { forcedWorkspaceIds: ['org-a', 'org-b'] });
    expect(new URL(started.authUrl).searchParams.get('allowed_workspace_id')).toBe('org-a,org-b');
    const visit = await authority.signIn(started.authUrl);
    expect(visit.body).toContain('Login is restricted to workspace id(s) org-a, org-b.');
    await expect(started.done).rejects.toThrow(
      'Login is restricted to workspace id(s) org-a, org-b.',
    );
    expect(await new FileAuthStorage(codexHome).load()).toBeNull();

    const allowed = await login(authority, codexHome, { forcedWorkspaceIds: 'org-loopback' });
    await authority.signIn(allowed.authUrl);
    await expect(allowed.done).resolves.toBeUndefined();
  });

  it('rejects a token without a workspace claim when a workspace is forced', async () => {
    const authority = await issuer({ account: { chatgptAccountId: null } });
    const started = await login(authority, await tempDir(), { forcedWorkspaceIds: 'org-a' });
    await authority.signIn(started.authUrl);
    await expect(started.done).rejects.toThrow(
      'Login is restricted to a specific workspace, but the token did not include an chatgpt_account_id claim.',
    );
  });

  it('revokes the refresh token it replaced, best effort', async () => {
    const authority = await issuer();
    const codexHome = await tempDir();
    await saveAuthDotJson(
      codexHome,
      {
        auth_mode: 'chatgpt',
        OPENAI_API_KEY: null,
        tokens: {
          id_token: 'a.b.c',
          access_token: 'old-access',
          refresh_token: 'old-refresh',
          account_id: null,
        },
        last_refresh: new Date().toISOString(),
      },
      'file',
    );
    const started = await login(authority, codexHome, {
      env: {
        CODEX_LOGIN_ISSUER: authority.url,
        CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.url}/oauth/revoke`,
      },
    });
    await authority.signIn(started.authUrl);
    await started.done;
    expect(authority.revoked).toEqual([
      {
        token: 'old-refresh',
        token_type_hint: 'refresh_token',
        client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      },
    ]);
  });

  it('reports an OAuth error returned to the callback', async () => {
    const authority = await issuer();
    const started = await login(authority, await tempDir(), { forceState: 'fixed-state' });
    const page = await fetch(
      `http://127.0.0.1:${started.port}/auth/callback?state=fixed-state&error=access_denied&error_description=missing_codex_entitlement`,
    );
    expect(await page.text()).toContain('You do not have access to Codex');
    await expect(started.done).rejects.toThrow(
      'Codex is not enabled for your workspace. Contact your workspace administrator to request access to Codex.',
    );
  });

  it('ends with "Login cancelled" on /cancel and "Login was not completed" on cancel()', async () => {
    const authority = await issuer();
    const first = await login(authority, await tempDir());
    const response = await fetch(`http://127.0.0.1:${first.port}/cancel`);
    expect(await response.text()).toBe('Login cancelled');
    await expect(first.done).rejects.toThrow('Login cancelled');

    const second = await login(authority, await tempDir());
    second.cancel();
    await expect(second.done).rejects.toThrow('Login was not completed');
  });

  it('takes over the port from an older login server by sending it /cancel', async () => {
    const authority = await issuer();
    const older = await login(authority, await tempDir());
    const newer = await login(authority, await tempDir(), { port: older.port });
    await expect(older.done).rejects.toThrow('Login cancelled');
    expect(newer.port).toBe(older.port);
    newer.cancel();
  });

  it('gives up with upstream text when something else holds the port', async () => {
    const squatter = createServer((_request, response) => response.end('not a login server'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    try {
      await expect(
        startBrowserLogin({
          codexHome: await tempDir(),
          storeMode: 'file',
          port,
          openBrowser: false,
        }),
      ).rejects.toThrow(`Port 127.0.0.1:${port} is already in use`);
    } finally {
      squatter.close();
    }
  });

  it('opens the browser through the injected opener and ignores its failure', async () => {
    const authority = await issuer();
    const opened: string[] = [];
    const started = await login(authority, await tempDir(), {
      openBrowser: async (url) => {
        opened.push(url);
        throw new Error('no browser on this machine');
      },
    });
    expect(opened).toEqual([started.authUrl]);
    started.cancel();
  });
});

describe('buildAuthorizeUrl', () => {
  it('lists upstream parameters in order with an S256 challenge', () => {
    const url = buildAuthorizeUrl({
      issuer: 'https://auth.example',
      clientId: 'client',
      redirectUri: 'http://localhost:1455/auth/callback',
      pkce: { codeVerifier: 'verifier', codeChallenge: pkceChallenge('verifier') },
      state: 'st',
      originator: 'codex_cli_rs',
      forcedWorkspaceIds: [],
    });
    expect(url).toBe(
      'https://auth.example/oauth/authorize?response_type=code&client_id=client&redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback&scope=openid%20profile%20email%20offline_access&code_challenge=iMnq5o6zALKXGivsnlom_0F5_WYda32GHkxlV7mq7hQ&code_challenge_method=S256&id_token_add_organizations=true&codex_cli_simplified_flow=true&state=st&originator=codex_cli_rs',
    );
  });
});
