import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../src/run-demo.ts', import.meta.url));

describe('pnpm demo', () => {
  it('narrates a codex exec turn that gets a 401, reruns the auth command, resends and answers', async () => {
    const result = await execa(
      process.execPath,
      ['--conditions=@codex/source', '--import', 'tsx', demo],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { PATH: process.env['PATH'] ?? '' },
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      },
    );

    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const index = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const rejected = index(/gateway: request with token #1 -> 401 Unauthorized \(token expired/);
    const reissued = index(/gateway: the auth command ran again and signed in -> token #2$/);
    const resent = index(/gateway: request resent with token #2 -> 200 OK/);
    const answered = index(
      /^4\. codex printed the answer and exited 0: Hello from behind the gateway\.$/,
    );
    expect(
      [rejected, reissued, resent, answered].every((line) => line >= 0),
      result.stdout,
    ).toBe(true);
    expect(rejected).toBeLessThan(reissued);
    expect(reissued).toBeLessThan(resent);
    expect(resent).toBeLessThan(answered);
    expect(result.stdout).toContain('2 runs in all');
    // the gateway's tokens start with gw-: none may be printed
    expect(result.stdout + result.stderr).not.toMatch(/gw-[\w-]{8}/);
    expect(result.stderr).toBe('');
  }, 120_000);
});
