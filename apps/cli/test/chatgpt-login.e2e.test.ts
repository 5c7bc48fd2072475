import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import {
  type KeyringDaemon,
  keyringDaemonUnavailableReason,
  type LoginIssuer,
  startKeyringDaemon,
  startLoginIssuer,
  writeScript,
} from '@codex/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bin, type CodexHome, makeCodexHome } from './helpers/codex-e2e.ts';

const issuers: LoginIssuer[] = [];
afterEach(async () => {
  await Promise.all(issuers.splice(0).map((issuer) => issuer.close()));
});

async function issuer(options?: Parameters<typeof startLoginIssuer>[0]): Promise<LoginIssuer> {
  const started = await startLoginIssuer(options);
  issuers.push(started);
  return started;
}

/** Runs the bin and hands its output to `onOutput` as it arrives (the test plays the user). */
async function runInteractive(
  home: CodexHome,
  args: readonly string[],
  env: Record<string, string>,
  onOutput: (text: { stdout: string; stderr: string }) => void,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: home.dir,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home.dir,
      CODEX_HOME: home.codexHome,
      CODEX_LOGIN_NO_BROWSER: '1',
      CODEX_LOGIN_CALLBACK_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
    onOutput(output);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
    onOutput(output);
  });
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  return { exitCode, ...output };
}

async function expectChatgptAuthFile(home: CodexHome, authority: LoginIssuer): Promise<void> {
  const file = path.join(home.codexHome, 'auth.json');
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  const stored = JSON.parse(await readFile(file, 'utf8'));
  expect(stored).toMatchObject({
    auth_mode: 'chatgpt',
    tokens: { account_id: authority.account.chatgptAccountId },
  });
  expect(stored.tokens.access_token).toEqual(expect.any(String));
  expect(stored.tokens.refresh_token).not.toBe('');
  const status = await home.run(['login', 'status']);
  expect(status.exitCode).toBe(0);
  expect(status.stderr).toBe('Logged in using ChatGPT');
}

describe('codex login with ChatGPT (built bin, loopback issuer)', () => {
  it('codex login: prints the authorize URL, the test signs in as the browser, auth.json is written', async () => {
    const authority = await issuer();
    const home = await makeCodexHome();
    let signIn: Promise<unknown> | null = null;
    const result = await runInteractive(
      home,
      ['login'],
      { CODEX_LOGIN_ISSUER: authority.url },
      ({ stderr }) => {
        const url = /^(http:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(stderr)?.[1];
        if (url !== undefined) signIn ??= authority.signIn(url);
      },
    );
    expect(await signIn).toMatchObject({ status: 200 });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(
      /^Starting local login server on http:\/\/localhost:\d+\.\nIf your browser did not open, navigate to this URL to authenticate:\n\nhttp:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&.*\nSuccessfully logged in\n$/,
    );
    await expectChatgptAuthFile(home, authority);
    const stored = JSON.parse(await readFile(path.join(home.codexHome, 'auth.json'), 'utf8'));
    expect(stored.OPENAI_API_KEY).toBe('sk-loopback-exchanged-key');
    expect(result.stderr).not.toContain(stored.tokens.access_token);
  });

  it('codex login opens the browser with the authorize URL, and a missing browser is no error', async () => {
    const authority = await issuer();
    const home = await makeCodexHome();
    // a stand-in `xdg-open` that records what it was asked to open
    const withBrowser = path.join(home.dir, 'with-browser');
    await mkdir(withBrowser);
    await writeScript(
      withBrowser,
      'xdg-open',
      `printf '%s' "$1" > ${JSON.stringify(path.join(home.dir, 'opened'))}`,
    );
    let signIn: Promise<unknown> | null = null;
    const opened = await runInteractive(
      home,
      ['login'],
      { CODEX_LOGIN_ISSUER: authority.url, CODEX_LOGIN_NO_BROWSER: '', PATH: withBrowser },
      ({ stderr }) => {
        const url = /^(http:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(stderr)?.[1];
        if (url !== undefined) signIn ??= authority.signIn(url);
      },
    );
    await signIn;
    expect(opened.exitCode).toBe(0);
    const url = /^(http:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(opened.stderr)?.[1];
    expect(await readFile(path.join(home.dir, 'opened'), 'utf8')).toBe(url);

    const noBrowser = path.join(home.dir, 'no-browser');
    await mkdir(noBrowser);
    signIn = null;
    const headless = await runInteractive(
      home,
      ['login'],
      { CODEX_LOGIN_ISSUER: authority.url, CODEX_LOGIN_NO_BROWSER: '', PATH: noBrowser },
      ({ stderr }) => {
        const found = /^(http:\/\/\S+\/oauth\/authorize\?\S+)$/m.exec(stderr)?.[1];
        if (found !== undefined) signIn ??= authority.signIn(found);
      },
    );
    await signIn;
    expect(headless.exitCode).toBe(0);
    expect(headless.stderr).toMatch(/Successfully logged in\n$/);
  });

  it('codex login --device-auth: shows the code, the test approves it, auth.json is written', async () => {
    const authority = await issuer();
    const home = await makeCodexHome();
    let approval: Promise<void> | null = null;
    const result = await runInteractive(
      home,
      ['login', '--device-auth'],
      { CODEX_LOGIN_ISSUER: authority.url },
      ({ stdout }) => {
        const code = /one-time code.*\n\s+(\S+)/.exec(stripVTControlCharacters(stdout))?.[1];
        if (code !== undefined) approval ??= authority.approveDevice(code);
      },
    );
    await approval;
    expect(result.exitCode).toBe(0);
    const prompt = stripVTControlCharacters(result.stdout);
    expect(prompt).toContain(
      `1. Open this link in your browser and sign in to your account\n   ${authority.url}/codex/device\n`,
    );
    expect(prompt).toContain('Device codes are a common phishing target. Never share this code.');
    expect(result.stderr).toBe('Successfully logged in\n');
    await expectChatgptAuthFile(home, authority);
  });

  it('codex login --device-auth: upstream error text when the issuer has no device codes', async () => {
    const authority = await issuer({ deviceCodeDisabled: true });
    const home = await makeCodexHome();
    const result = await home.run(['login', '--device-auth'], {
      env: { CODEX_LOGIN_ISSUER: authority.url },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'Error logging in with device code: device code login is not enabled for this Codex server. Use the browser login or verify the server URL.',
    );
  });

  it('refuses ChatGPT login when forced_login_method = "api"', async () => {
    const home = await makeCodexHome('forced_login_method = "api"\n');
    for (const args of [['login'], ['login', '--device-auth']]) {
      const result = await home.run(args);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe('ChatGPT login is disabled. Use API key login instead.');
    }
  });
});

// CI installs dbus + gnome-keyring (.ci/run): there a missing daemon is a failure, never a skip.
const unavailable = await keyringDaemonUnavailableReason();
if (unavailable !== null && process.env['CI']) {
  throw new Error(`the keyring tests need a Secret Service in CI: ${unavailable}`);
}

describe.skipIf(unavailable !== null)('credentials in the OS keyring (built bin)', () => {
  let daemon: KeyringDaemon;
  beforeAll(async () => {
    daemon = await startKeyringDaemon();
  }, 90_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  it('keyring mode: codex login stores in the keyring, not auth.json; status and logout read it', async () => {
    const authority = await issuer();
    const home = await makeCodexHome('cli_auth_credentials_store = "keyring"\n');
    const env = {
      ...daemon.env,
      CODEX_LOGIN_ISSUER: authority.url,
      CODEX_REVOKE_TOKEN_URL_OVERRIDE: `${authority.url}/oauth/revoke`,
    };
    let approval: Promise<void> | null = null;
    const result = await runInteractive(home, ['login', '--device-auth'], env, ({ stdout }) => {
      const code = /one-time code.*\n\s+(\S+)/.exec(stripVTControlCharacters(stdout))?.[1];
      if (code !== undefined) approval ??= authority.approveDevice(code);
    });
    await approval;
    expect(result.exitCode).toBe(0);
    await expect(stat(path.join(home.codexHome, 'auth.json'))).rejects.toThrow();
    const status = await home.run(['login', 'status'], { env });
    expect(status.stderr).toBe('Logged in using ChatGPT');
    const logout = await home.run(['logout'], { env });
    expect(logout.stderr).toBe('Successfully logged out');
    expect(authority.revoked).toEqual([
      expect.objectContaining({ token_type_hint: 'refresh_token' }),
    ]);
    const after = await home.run(['login', 'status'], { env });
    expect(after.stderr).toBe('Not logged in');
  });

  it('auto mode: the keyring when it answers, else auth.json', async () => {
    const home = await makeCodexHome('cli_auth_credentials_store = "auto"\n');
    const withKeyring = await home.run(['login', '--with-api-key'], {
      input: 'sk-proj-0123456789ABCDE\n',
      env: daemon.env,
    });
    expect(withKeyring.exitCode).toBe(0);
    await expect(stat(path.join(home.codexHome, 'auth.json'))).rejects.toThrow();
    const status = await home.run(['login', 'status'], { env: daemon.env });
    expect(status.stderr).toBe('Logged in using an API key - sk-proj-***ABCDE');

    const noBus = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${home.dir}/no-bus` };
    const other = await makeCodexHome('cli_auth_credentials_store = "auto"\n');
    const withoutKeyring = await other.run(['login', '--with-api-key'], {
      input: 'sk-proj-0123456789ABCDE\n',
      env: noBus,
    });
    expect(withoutKeyring.exitCode).toBe(0);
    const stored = JSON.parse(await readFile(path.join(other.codexHome, 'auth.json'), 'utf8'));
    expect(stored.OPENAI_API_KEY).toBe('sk-proj-0123456789ABCDE');
  });
});
