import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeScript } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { authTable, makeCodexHome, providerConfig } from './helpers/codex-e2e.ts';

const apiKey = 'sk-proj-0123456789ABCDE';

describe('codex login / logout (built bin)', () => {
  it('stores a piped API key, reports it masked, and logs out', async () => {
    const home = await makeCodexHome();
    const authFile = path.join(home.codexHome, 'auth.json');

    const login = await home.run(['login', '--with-api-key'], { input: `${apiKey}\n` });
    const stored = JSON.parse(await readFile(authFile, 'utf8'));
    const status = await home.run(['login', 'status']);
    const logout = await home.run(['logout']);
    const statusAfter = await home.run(['login', 'status']);
    const logoutAgain = await home.run(['logout']);

    expect(login.exitCode).toBe(0);
    expect(login.stderr).toBe('Reading API key from stdin...\nSuccessfully logged in');
    expect(stored).toMatchObject({ auth_mode: 'apikey', OPENAI_API_KEY: apiKey });
    expect(status.exitCode).toBe(0);
    expect(status.stderr).toBe('Logged in using an API key - sk-proj-***ABCDE');
    expect(status.stderr).not.toContain(apiKey);
    expect(logout.exitCode).toBe(0);
    expect(logout.stderr).toBe('Successfully logged out');
    await expect(stat(authFile)).rejects.toThrow();
    expect(statusAfter.exitCode).toBe(1);
    expect(statusAfter.stderr).toBe('Not logged in');
    expect(logoutAgain.exitCode).toBe(0);
    expect(logoutAgain.stderr).toBe('Not logged in');
  });

  it('masks short keys entirely', async () => {
    const home = await makeCodexHome();

    await home.run(['login', '--with-api-key'], { input: 'sk-short\n' });
    const status = await home.run(['login', 'status']);

    expect(status.stderr).toBe('Logged in using an API key - ***');
  });

  it('refuses a blank key with upstream text', async () => {
    const home = await makeCodexHome();

    const result = await home.run(['login', '--with-api-key'], { input: '  \n' });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('No API key provided via stdin.');
  });

  it.each([
    ['two lines', 'sk-aaa\nsk-bbb\n'],
    ['an escape character', 'sk-aaa\u001b[2Jbbb\n'],
    ['non-Latin-1 characters', 'sk-aaa\u20acbbb\n'],
  ])(
    'refuses a key with %s and saves nothing (a key that could never be sent)',
    async (_name, input) => {
      const home = await makeCodexHome();

      const result = await home.run(['login', '--with-api-key'], { input });

      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('nothing was saved');
      expect(existsSync(path.join(home.codexHome, 'auth.json'))).toBe(false);
    },
  );

  it('rejects the removed --api-key flag with upstream text', async () => {
    const home = await makeCodexHome();

    const result = await home.run(['login', '--api-key', apiKey]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'The --api-key flag is no longer supported. Pipe the key instead, e.g. `printenv OPENAI_API_KEY | codex login --with-api-key`.',
    );
  });

  it('refuses API key login when forced_login_method = "chatgpt"', async () => {
    const home = await makeCodexHome('forced_login_method = "chatgpt"\n');

    const result = await home.run(['login', '--with-api-key'], { input: `${apiKey}\n` });

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('API key login is disabled. Use ChatGPT login instead.');
  });

  it('reports config errors of login commands with their prefix', async () => {
    const home = await makeCodexHome('model = = 1\n');

    const result = await home.run(['login', 'status']);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^Error loading configuration: /);
  });

  it('login status for a command-auth provider says whether the command works, never the token', async () => {
    const home = await makeCodexHome();
    const good = await writeScript(home.dir, 'good.sh', 'echo secret-token-123');
    const bad = await writeScript(home.dir, 'bad.sh', 'echo nope >&2; exit 4');
    const configFile = path.join(home.codexHome, 'config.toml');

    await writeFile(configFile, providerConfig('http://127.0.0.1:9/v1', '', authTable(good)));
    const works = await home.run(['login', 'status']);
    await writeFile(configFile, providerConfig('http://127.0.0.1:9/v1', '', authTable(bad)));
    const fails = await home.run(['login', 'status']);

    expect(works.exitCode).toBe(0);
    expect(works.stderr).toContain(good);
    expect(works.stderr).toContain('works');
    expect(works.stderr).not.toContain('secret-token-123');
    expect(fails.exitCode).toBe(1);
    expect(fails.stderr).toContain(`provider auth command \`${bad}\``);
  });
});
