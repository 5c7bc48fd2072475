import { startResponsesServer } from '@codex/test-support';
import { execaNode } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CANARY,
  type CodexHome,
  codexBin,
  expectNoProcessLeft,
  makeCodexHome,
  RUN_TIMEOUT_MS,
  recordedPids,
  recordRun,
} from './helpers/cli.ts';
import { mockProviderConfig, writeTokenScript } from './helpers/config.ts';

/** Resolves once the scripts have recorded `count` pids: the command and what it started are running. */
async function pidsRecorded(home: CodexHome, count: number): Promise<void> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while ((await recordedPids(home)).length < count) {
    if (Date.now() > deadline) throw new Error(`the token command never recorded ${count} pids`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('codex exec cancelled while the auth command runs (improvement 13)', () => {
  it.each([
    ['SIGINT', 130, 'exec'],
    ['SIGTERM', 143, 'exec'],
    ['SIGINT', 130, 'login status'],
    ['SIGTERM', 143, 'login status'],
  ] as const)(
    'on %s kills the command process group and exits %i at once (%s)',
    async (signal, code, command) => {
      const server = await startResponsesServer();
      onTestFinished(() => server.close());
      const home = await makeCodexHome();
      await home.writeConfig(mockProviderConfig(server.url, { timeoutMs: 60_000 }));
      // the command: `sh -c 'sleep 30 & wait'`, recording both pids
      await writeTokenScript(home, ['sleep 30 &', 'echo $! >> "$PIDFILE"', 'wait'].join('\n'));
      const child = execaNode(
        codexBin,
        command === 'exec' ? ['exec', 'say ok'] : ['login', 'status'],
        {
          cwd: home.dir,
          env: {
            PATH: process.env['PATH'] ?? '/usr/bin:/bin',
            HOME: home.dir,
            CODEX_HOME: home.dir,
          },
          extendEnv: false,
          stdin: 'ignore',
          reject: false,
          timeout: RUN_TIMEOUT_MS,
        },
      );

      await pidsRecorded(home, 2);
      const signalledAt = Date.now();
      child.kill(signal);
      const result = recordRun(home, await child);
      const exitedAt = Date.now();

      expect(result.exitCode, String(result.stderr)).toBe(code);
      expect(exitedAt - signalledAt).toBeLessThan(2000);
      expect(server.requests).toHaveLength(0);
      expect(`${result.stdout}${result.stderr}`).not.toContain(CANARY);
      await expectNoProcessLeft(home, 2);
    },
  );
});
