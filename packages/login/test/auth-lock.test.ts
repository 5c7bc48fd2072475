import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAuthDotJson, saveAuthDotJson } from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { chatgptJwt, tempDir } from './helpers/fixtures.ts';
import { startTokenAuthority } from './helpers/token-authority.ts';

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const childScript = path.join(packageDir, 'test', 'helpers', 'refresh-child.ts');

describe('AuthManager.refreshToken across processes', () => {
  it('spends the refresh token once when 8 processes refresh the same auth.json (improvement 10)', async () => {
    const home = await tempDir();
    await saveAuthDotJson(
      home,
      {
        auth_mode: 'chatgpt',
        OPENAI_API_KEY: null,
        tokens: {
          id_token: chatgptJwt({ accountId: 'account-1' }),
          access_token: fakeJwt({ exp: 1 }),
          refresh_token: 'refresh-0',
          account_id: 'account-1',
        },
        last_refresh: '2026-01-01T00:00:00.000Z',
      },
      'file',
    );
    let current = 'refresh-0';
    let generation = 0;
    const authority = await startTokenAuthority((request) => {
      const body = request.body as { refresh_token?: string };
      if (body.refresh_token !== current) {
        return { status: 401, body: { error: { code: 'refresh_token_reused' } } };
      }
      generation += 1;
      current = `refresh-${generation}`;
      return {
        status: 200,
        body: { access_token: `access-${generation}`, refresh_token: current },
      };
    });

    const children = Array.from({ length: 8 }, () =>
      execa(
        process.execPath,
        ['--conditions=@codex/source', '--import', 'tsx', childScript, home, authority.url],
        { cwd: packageDir, stdin: 'pipe', lines: true, reject: false },
      ),
    );
    await Promise.all(
      children.map(async (child) => {
        const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
        expect(chunk.toString()).toContain('ready');
      }),
    );
    for (const child of children) {
      child.stdin.end('go\n');
    }
    const results = await Promise.all(children);

    for (const result of results) {
      expect(result.stderr).toEqual([]);
      expect(result.exitCode).toBe(0);
    }
    const stored = await loadAuthDotJson(home, 'file');
    const text = await readFile(path.join(home, 'auth.json'), 'utf8');
    expect(() => JSON.parse(text)).not.toThrow();
    expect((await stat(path.join(home, 'auth.json'))).mode & 0o777).toBe(0o600);
    expect(stored?.tokens?.access_token).toBe('access-1');
    expect(stored?.tokens?.refresh_token).toBe('refresh-1');
    expect(authority.requests).toHaveLength(1);
    expect(authority.requests[0]?.body).toMatchObject({ refresh_token: 'refresh-0' });
  }, 120_000);
});
