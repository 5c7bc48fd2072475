import { fakeJwt } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { FileAuthStorage } from '../src/auth-storage.ts';
import { type BrowserLoginOptions, startBrowserLogin } from '../src/browser-login.ts';
import { LoginFlowError } from '../src/oauth-login.ts';
import { tempDir } from './helpers/fixtures.ts';
import { type AuthorityReply, startTokenAuthority } from './helpers/token-authority.ts';

const idToken = fakeJwt({
  email: 'owner@example.com',
  'https://api.openai.com/auth': {
    chatgpt_account_id: 'org-7',
    organization_id: 'org-id-7',
    project_id: 'proj-7',
    completed_platform_onboarding: false,
    is_org_owner: true,
  },
});
const accessToken = fakeJwt({ 'https://api.openai.com/auth': { chatgpt_plan_type: 'team' } });

/** A loopback issuer: the code grant answers `exchange`, the API-key grant answers `apiKey`. */
async function issuer(
  exchange: AuthorityReply,
  apiKey: AuthorityReply = { status: 500, body: '' },
) {
  return startTokenAuthority((request) =>
    String(request.body).startsWith('grant_type=authorization_code') ? exchange : apiKey,
  );
}

const tokens: AuthorityReply = {
  status: 200,
  body: { id_token: idToken, access_token: accessToken, refresh_token: 'refresh-7' },
};

async function login(issuerUrl: string, extra: Partial<BrowserLoginOptions> = {}) {
  const codexHome = await tempDir();
  const started = await startBrowserLogin({
    codexHome,
    storeMode: 'file',
    issuer: issuerUrl,
    port: 0,
    openBrowser: false,
    forceState: 'state-7',
    ...extra,
  });
  started.done.catch(() => {});
  const callback = (query: string) =>
    fetch(`http://127.0.0.1:${started.port}/auth/callback?state=state-7&${query}`, {
      redirect: 'manual',
    });
  return { codexHome, started, callback };
}

async function failureOf(done: Promise<void>): Promise<Error> {
  const error: unknown = await done.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LoginFlowError);
  return error as Error;
}

describe('browser login callback', () => {
  it('redirects to the success page with upstream’s parameters, then finishes there', async () => {
    const server = await issuer(tokens, { status: 200, body: { access_token: 'sk-exchanged-7' } });
    const { codexHome, started, callback } = await login(server.origin);

    const response = await callback('code=code-7');
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(
      `http://localhost:${started.port}/success`,
    );
    expect([...location.searchParams]).toEqual([
      ['id_token', idToken],
      ['needs_setup', 'true'],
      ['org_id', 'org-id-7'],
      ['project_id', 'proj-7'],
      ['plan_type', 'team'],
      ['platform_url', 'https://platform.api.openai.org'],
    ]);
    const saved = await new FileAuthStorage(codexHome).load();
    expect(saved).toMatchObject({
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: 'sk-exchanged-7',
      tokens: { account_id: 'org-7', refresh_token: 'refresh-7' },
    });
    const apiKeyRequest = new URLSearchParams(String(server.requests[1]?.body));
    expect(Object.fromEntries(apiKeyRequest)).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      requested_token: 'openai-api-key',
      subject_token: idToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    });

    const success = await fetch(`http://127.0.0.1:${started.port}/success`);
    expect(success.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await success.text()).toContain('Signed in to Codex');
    await expect(started.done).resolves.toBeUndefined();
  });

  it('saves no API key when the exchange answers without one', async () => {
    const server = await issuer(tokens, { status: 200, body: { token: 'x' } });
    const { codexHome, started, callback } = await login(server.origin);
    expect((await callback('code=code-8')).status).toBe(302);
    expect((await new FileAuthStorage(codexHome).load())?.OPENAI_API_KEY).toBeNull();
    started.cancel();
  });

  it('ends with upstream’s page and error when the code is missing', async () => {
    const server = await issuer(tokens);
    const { started, callback } = await login(server.origin);
    const page = await callback('code=');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('connection')).toBe('close');
    expect(await page.text()).toContain('<code>missing_authorization_code</code>');
    expect((await failureOf(started.done)).message).toBe(
      'Missing authorization code. Sign-in could not be completed.',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('reports a failed token exchange with the endpoint’s words', async () => {
    const server = await issuer({ status: 400, body: { error_description: 'code reused' } });
    const { started, callback } = await login(server.origin);
    expect(await (await callback('code=code-9')).text()).toContain(
      '<code>token_exchange_failed</code>',
    );
    expect((await failureOf(started.done)).message).toBe(
      'Token exchange failed: token endpoint returned status 400 Bad Request: code reused',
    );
  });

  it('names a field the token endpoint left out, and an answer that is no JSON', async () => {
    const partial = await issuer({ status: 200, body: { id_token: idToken, access_token: 'a' } });
    const first = await login(partial.origin);
    await first.callback('code=c');
    expect((await failureOf(first.started.done)).message).toBe(
      'Token exchange failed: error decoding response body: missing field `refresh_token`',
    );
    const garbled = await issuer({ status: 200, body: 'not json' });
    const second = await login(garbled.origin);
    await second.callback('code=c');
    expect((await failureOf(second.started.done)).message).toMatch(
      /^Token exchange failed: error decoding response body: /,
    );
  });

  it('says the credentials could not be saved', async () => {
    const server = await issuer(tokens);
    const { started, callback } = await login(server.origin, {
      codexHome: '/dev/null/codex-home',
    });
    const page = await (await callback('code=c')).text();
    expect(page).toContain('<code>persist_failed</code>');
    expect((await failureOf(started.done)).message).toBe(
      'Sign-in completed but credentials could not be saved locally.',
    );
  });

  it('answers other paths with 404 and keeps waiting', async () => {
    const server = await issuer(tokens);
    const { started } = await login(server.origin);
    const response = await fetch(`http://127.0.0.1:${started.port}/elsewhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe('Not Found');
    const mismatch = await fetch(`http://127.0.0.1:${started.port}/auth/callback?state=x&code=c`);
    expect([mismatch.status, await mismatch.text()]).toEqual([400, 'State mismatch']);
    started.cancel();
    expect((await failureOf(started.done)).message).toBe('Login was not completed');
  });

  it('refuses a port that cannot be bound for another reason than being taken', async () => {
    const error = await startBrowserLogin({
      codexHome: await tempDir(),
      storeMode: 'file',
      port: 70_000,
      openBrowser: false,
    }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LoginFlowError);
    expect((error as Error).message).toMatch(/^options\.port should be >= 0 and < 65536/);
    expect((error as Error).cause).toMatchObject({ code: 'ERR_SOCKET_BAD_PORT' });
  });

  it('asks a server holding the port to cancel only once, then gives up', async () => {
    const { createServer } = await import('node:http');
    const paths: string[] = [];
    const squatter = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.end('not a login server');
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as import('node:net').AddressInfo;
    try {
      const error = await startBrowserLogin({
        codexHome: await tempDir(),
        storeMode: 'file',
        port,
        openBrowser: false,
      }).then(
        () => null,
        (caught: unknown) => caught as Error,
      );
      expect(error?.message).toBe(`Port 127.0.0.1:${port} is already in use`);
      expect(paths).toEqual(['/cancel']);
    } finally {
      squatter.close();
    }
  });

  it('sends the default originator', async () => {
    const server = await issuer(tokens);
    const { started } = await login(server.origin);
    expect(new URL(started.authUrl).searchParams.get('originator')).toBe('codex_cli_rs');
    started.cancel();
  });
});
