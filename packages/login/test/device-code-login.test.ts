import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type LoginIssuer, type LoginIssuerOptions, startLoginIssuer } from '@codex/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { FileAuthStorage } from '../src/auth-storage.ts';
import {
  DEVICE_CODE_MAX_WAIT_MS,
  type DeviceCodeLoginOptions,
  startDeviceCodeLogin,
} from '../src/device-code-login.ts';
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

function options(
  target: LoginIssuer,
  codexHome: string,
  extra: Partial<DeviceCodeLoginOptions> = {},
): DeviceCodeLoginOptions {
  return { codexHome, storeMode: 'file', env: { CODEX_LOGIN_ISSUER: target.url }, ...extra };
}

describe('device-code login', () => {
  it('shows the code, polls until approved, exchanges the code and saves auth.json at 0600', async () => {
    const authority = await issuer();
    const codexHome = await tempDir();
    const sleeps: number[] = [];
    let approve: Promise<void> | null = null;
    const login = await startDeviceCodeLogin(
      options(authority, codexHome, {
        // the user approves while the CLI waits between polls
        sleep: async (ms) => {
          sleeps.push(ms);
          approve ??= authority.approveDevice(login.userCode);
          await approve;
        },
      }),
    );
    expect(login.verificationUrl).toBe(`${authority.url}/codex/device`);
    expect(login.userCode).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    await login.complete();
    expect(sleeps).toEqual([1000]);
    expect(authority.devicePolls).toBe(2);
    expect((await stat(path.join(codexHome, 'auth.json'))).mode & 0o777).toBe(0o600);
    const saved = await new FileAuthStorage(codexHome).load();
    expect(saved?.auth_mode).toBe('chatgpt');
    expect(saved?.OPENAI_API_KEY).toBeNull();
    expect(saved?.tokens?.account_id).toBe('org-loopback');
    expect(authority.tokenGrants).toEqual(['authorization_code']);
  });

  it('says device code login is not enabled when the issuer answers 404', async () => {
    const authority = await issuer({ deviceCodeDisabled: true });
    await expect(startDeviceCodeLogin(options(authority, await tempDir()))).rejects.toThrow(
      'device code login is not enabled for this Codex server. Use the browser login or verify the server URL.',
    );
  });

  it('fails with the status of an unexpected poll answer', async () => {
    const authority = await issuer({ deviceTokenStatus: 500 });
    const login = await startDeviceCodeLogin(options(authority, await tempDir()));
    await expect(login.complete()).rejects.toThrow(
      'device auth failed with status 500 Internal Server Error',
    );
  });

  it('gives up after 15 minutes of pending polls', async () => {
    const authority = await issuer({ deviceIntervalSeconds: 60 });
    let clock = 0;
    const login = await startDeviceCodeLogin(
      options(authority, await tempDir(), {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      }),
    );
    await expect(login.complete()).rejects.toThrow('device auth timed out after 15 minutes');
    expect(clock).toBe(DEVICE_CODE_MAX_WAIT_MS);
    expect(authority.devicePolls).toBe(16);
  });

  it('enforces the forced workspace and saves nothing on a mismatch', async () => {
    const authority = await issuer();
    const codexHome = await tempDir();
    const login = await startDeviceCodeLogin(
      options(authority, codexHome, {
        forcedWorkspaceIds: 'org-other',
        sleep: () => authority.approveDevice(login.userCode),
      }),
    );
    await expect(login.complete()).rejects.toThrow(
      'Login is restricted to workspace id(s) org-other.',
    );
    expect(await new FileAuthStorage(codexHome).load()).toBeNull();
  });

  it('never follows a redirect from the issuer', async () => {
    const elsewhere = await startTokenAuthority(() => ({ status: 200, body: {} }));
    const redirecting = createServer((_request, response) => {
      response.writeHead(307, { location: `${elsewhere.origin}/api/accounts/deviceauth/usercode` });
      response.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const { port } = redirecting.address() as AddressInfo;
    try {
      await expect(
        startDeviceCodeLogin({
          codexHome: await tempDir(),
          storeMode: 'file',
          issuer: `http://127.0.0.1:${port}`,
        }),
      ).rejects.toThrow('unexpected redirect');
    } finally {
      redirecting.close();
    }
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('stops polling when cancelled', async () => {
    const authority = await issuer();
    const login = await startDeviceCodeLogin(options(authority, await tempDir()));
    const completion = login.complete();
    login.cancel();
    await expect(completion).rejects.toThrow('Login was not completed');
  });
});
