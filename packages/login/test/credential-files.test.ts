import { execFileSync } from 'node:child_process';
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthManager, loadAuthDotJson, logout, saveAuthDotJson } from '@codex/login';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { requestTokenRefresh } from '../src/token-authority.ts';
import { tempDir } from './helpers/fixtures.ts';
import { startTokenAuthority } from './helpers/token-authority.ts';

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const umaskChild = path.join(packageDir, 'test', 'helpers', 'save-with-umask.ts');

const apiKeyRecord = { auth_mode: 'apikey' as const, OPENAI_API_KEY: 'sk-file-key-1234' };

/** A pid that no process holds: a child that has already exited. */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

describe('credential files (security)', () => {
  it('creates CODEX_HOME 0700 whatever the umask', async () => {
    const home = path.join(await tempDir(), 'nested', 'codex-home');
    const result = await execa(
      process.execPath,
      ['--conditions=@codex/source', '--import', 'tsx', umaskChild, home],
      { cwd: packageDir, reject: false },
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);

    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(home, 'auth.json'))).mode & 0o777).toBe(0o600);
  });

  it('removes a killed writer’s stale .auth.json.*.tmp on the next write and on logout', async () => {
    const home = await tempDir();
    const dead = path.join(home, `.auth.json.${deadPid()}.abcdef012345.tmp`);
    const old = path.join(home, `.auth.json.${process.pid}.0123456789ab.tmp`);
    const live = path.join(home, `.auth.json.${process.pid}.ba9876543210.tmp`);
    for (const file of [dead, old, live])
      await writeFile(file, 'sk-left-behind-key', { mode: 0o600 });
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);

    await saveAuthDotJson(home, apiKeyRecord, 'file');

    // a temp file this process may still be writing is kept; the dead writer's and the old one are gone
    expect((await readdir(home)).sort()).toEqual([
      `.auth.json.${process.pid}.ba9876543210.tmp`,
      'auth.json',
    ]);

    await writeFile(dead, 'sk-left-behind-key', { mode: 0o600 });
    expect(await logout(home, 'file')).toBe(true);
    expect(await readdir(home)).toEqual([path.basename(live)]);
  });

  it.each([
    ['a FIFO', (file: string) => execFileSync('mkfifo', [file])],
    ['a directory', (file: string) => mkdir(file)],
  ])('refuses an auth.json that is %s without hanging, naming it', async (_kind, make) => {
    const home = await tempDir();
    const file = path.join(home, 'auth.json');
    await make(file);

    await expect(loadAuthDotJson(home, 'file')).rejects.toThrow(
      `${file} is not a regular file; remove it, then run \`codex login\` to sign in again`,
    );
    const warnings: string[] = [];
    const manager = AuthManager.create({
      codexHome: home,
      enableCodexApiKeyEnv: false,
      onWarning: (warning) => warnings.push(warning),
    });
    expect(manager.authCached()).toBeNull();
    expect(warnings.join('\n')).toContain('is not a regular file');
  });

  it.each([
    ['plain', (token: string) => token],
    [
      '\\u-escaped',
      (token: string) =>
        [...token].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    ],
  ])('never prints the refresh token a 400 body quotes back (%s)', async (_form, encode) => {
    const refreshToken = 'rt-quoted-back-7f3a9c';
    const authority = await startTokenAuthority(() => ({
      status: 400,
      body: `{"error":{"message":"bad refresh_token ${encode(refreshToken)}"}}`,
    }));

    const error = await requestTokenRefresh(refreshToken, {
      CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url,
    }).then(
      () => new Error('expected the refresh to fail'),
      (caught: unknown) => caught as Error,
    );

    expect(error.message).toMatch(
      /^Failed to refresh token: 400 Bad Request: bad refresh_token \[REDACTED\]$/,
    );
    expect(error.message).not.toContain(refreshToken);
  });

  it('bounds a token refresh whose endpoint never answers (the auth.json lock is held across it)', async () => {
    const authority = await startTokenAuthority(() => 'hang');
    const startedAt = Date.now();

    const error = await requestTokenRefresh(
      'rt-hanging-endpoint-1',
      { CODEX_REFRESH_TOKEN_URL_OVERRIDE: authority.url },
      { timeoutMs: 300 },
    ).then(
      () => new Error('expected the refresh to fail'),
      (caught: unknown) => caught as Error,
    );

    expect(error.message).toBe('Failed to refresh token: request timed out after 300 ms');
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });
});
