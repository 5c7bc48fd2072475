// Ctrl-C while config.toml is a FIFO with no writer: the read waits in a thread-pool thread, and libuv joins
// its pool threads at exit, so process.exit() would wait for a writer forever (src/process-main.ts, exitForSignal).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { execaNode } from 'execa';
import { describe, expect, it } from 'vitest';
import { bin, makeCodexHome } from './helpers/codex-e2e.ts';

/** Whether a thread of `pid` is blocked opening a FIFO that has no writer (Linux /proc). */
function waitingForWriter(pid: number): boolean {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return false;
  return readdirSync(tasks).some((task) => {
    try {
      return readFileSync(path.join(tasks, task, 'wchan'), 'utf8') === 'wait_for_partner';
    } catch {
      return false; // the thread ended meanwhile
    }
  });
}

describe.runIf(existsSync('/proc/self/wchan'))('a config.toml FIFO with no writer', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'does not keep an interrupted codex from ending (%s)',
    async (signal) => {
      const home = await makeCodexHome();
      execFileSync('mkfifo', [path.join(home.codexHome, 'config.toml')]);
      const child = execaNode(bin, ['exec', 'hi'], {
        cwd: home.dir,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: home.dir,
          CODEX_HOME: home.codexHome,
        },
        extendEnv: false,
        input: '',
        reject: false,
        timeout: 20_000,
      });
      const pid = child.pid as number;
      for (let tries = 0; !waitingForWriter(pid); tries += 1) {
        if (tries > 2000) throw new Error('codex never started reading config.toml');
        await delay(5);
      }
      child.kill(signal);
      const result = await child;

      // ended by the signal itself (which shells report as 130 / 143), not by the 20 s timeout
      expect(result.timedOut).toBe(false);
      expect(result.signal).toBe(signal);
    },
  );
});
