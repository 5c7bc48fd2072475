import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  clearProviderBearerRefreshers,
  createBearerTokenRefresher,
  providerBearerRefresher,
} from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authConfig, scriptRuns, tempDir, writeScript } from './helpers/fixtures.ts';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

/** A command that logs each run, prints `out.json` (or its run number) and can be held until `go` exists. */
async function jsonCommand(dir: string, output: unknown, hold = false): Promise<void> {
  await writeFile(path.join(dir, 'out.json'), JSON.stringify(output));
  await writeScript(
    dir,
    'json.sh',
    [
      'echo run >> runs.log',
      hold ? 'while [ ! -f go ]; do sleep 0.01; done' : '',
      'cat out.json',
    ].join('\n'),
  );
}

async function runsReach(dir: string, count: number): Promise<void> {
  await vi.waitFor(async () => expect(await scriptRuns(dir)).toBe(count), {
    timeout: 10_000,
    interval: 10,
  });
}

afterEach(() => {
  clearProviderBearerRefreshers();
});

describe('BearerTokenRefresher staleness', () => {
  it('takes the lifetime from expires_in when expires_at is given too', async () => {
    const dir = await tempDir();
    const time = clock();
    // expires in 1000 s by the clock, but a 100 s lifetime: stale 10 s (not 60 s) before expiry
    await jsonCommand(dir, {
      token: 'tok-a',
      expires_at: time.now() / 1000 + 1000,
      expires_in: 100,
    });
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './json.sh', refresh_interval_ms: 0 }),
      { now: time.now, refreshAhead: false },
    );
    await refresher.resolve();
    time.advance(990_000 - 1);
    await refresher.resolve();
    expect(refresher.runCount).toBe(1);
    time.advance(1);
    await refresher.resolve();
    expect(refresher.runCount).toBe(2);
  });

  it('uses no margin when the JWT says it was issued after it expires', async () => {
    const dir = await tempDir();
    const time = clock(1_800_000_000_000);
    const now = 1_800_000_000;
    await writeFile(path.join(dir, 'jwt'), fakeJwt({ iat: now + 1000, exp: now + 100 }));
    await writeScript(dir, 'jwt.sh', 'echo run >> runs.log\ncat jwt');
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './jwt.sh', refresh_interval_ms: 0 }),
      { now: time.now, refreshAhead: false },
    );
    await refresher.resolve();
    time.advance(100_000 - 1);
    await refresher.resolve();
    expect(refresher.runCount).toBe(1);
    time.advance(1);
    await refresher.resolve();
    expect(refresher.runCount).toBe(2);
  });
});

describe('shared provider refreshers', () => {
  it('keep apart configs that differ in timeout or refresh interval', () => {
    const base = authConfig('/tmp');
    const first = providerBearerRefresher('corp', base);
    expect(providerBearerRefresher('corp', { ...base })).toBe(first);
    expect(providerBearerRefresher('corp', { ...base, timeout_ms: 1 })).not.toBe(first);
    expect(providerBearerRefresher('corp', { ...base, refresh_interval_ms: 1 })).not.toBe(first);
    expect(providerBearerRefresher('corp', { ...base, command: './other.sh' })).not.toBe(first);
    clearProviderBearerRefreshers();
    expect(providerBearerRefresher('corp', base)).not.toBe(first);
  });

  it('are killed with the given reason when cleared', async () => {
    const dir = await tempDir();
    await jsonCommand(dir, { token: 'tok-r' }, true);
    const shared = providerBearerRefresher('corp', authConfig(dir, { command: './json.sh' }));
    const pending = shared.resolve().catch((caught: unknown) => caught);
    await runsReach(dir, 1);
    const reason = new Error('shutting down');
    clearProviderBearerRefreshers(reason);
    expect(await pending).toBe(reason);
  });
});

describe('BearerTokenRefresher cancellation of shared runs', () => {
  it('keeps a run going while another caller still waits on it', async () => {
    const dir = await tempDir();
    await jsonCommand(dir, { token: 'tok-s' }, true);
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './json.sh' }));
    const leaving = new AbortController();
    const staying = new AbortController();
    const left = refresher.resolve({ signal: leaving.signal }).catch((caught: unknown) => caught);
    const stayed = refresher.resolve({ signal: staying.signal });
    await runsReach(dir, 1);
    leaving.abort(new Error('gave up'));
    expect(await left).toEqual(new Error('gave up'));
    await writeFile(path.join(dir, 'go'), '');
    expect((await stayed).accessToken.reveal()).toBe('tok-s');
    expect(refresher.runCount).toBe(1);
  });

  it('keeps a run going for a caller without a signal', async () => {
    const dir = await tempDir();
    await jsonCommand(dir, { token: 'tok-t' }, true);
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './json.sh' }));
    const pinned = refresher.resolve();
    const leaving = new AbortController();
    const left = refresher.resolve({ signal: leaving.signal }).catch((caught: unknown) => caught);
    await runsReach(dir, 1);
    leaving.abort(new Error('gave up'));
    expect(await left).toEqual(new Error('gave up'));
    await writeFile(path.join(dir, 'go'), '');
    expect((await pinned).accessToken.reveal()).toBe('tok-t');
  });

  it('kills the run when its last caller gives up, and runs again for the next', async () => {
    const dir = await tempDir();
    await jsonCommand(dir, { token: 'tok-u' }, true);
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './json.sh' }));
    const first = new AbortController();
    const second = new AbortController();
    const a = refresher.resolve({ signal: first.signal }).catch((caught: unknown) => caught);
    const b = refresher.resolve({ signal: second.signal }).catch((caught: unknown) => caught);
    await runsReach(dir, 1);
    first.abort(new Error('first gave up'));
    second.abort(new Error('second gave up'));
    expect(await a).toEqual(new Error('first gave up'));
    expect(await b).toEqual(new Error('second gave up'));
    await writeFile(path.join(dir, 'go'), '');
    expect((await refresher.resolve()).accessToken.reveal()).toBe('tok-u');
    expect(refresher.runCount).toBe(2);
  });

  it('refuses a caller whose signal already aborted without running', async () => {
    const dir = await tempDir();
    await jsonCommand(dir, { token: 'tok-v' });
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './json.sh' }));
    const reason = new Error('too late');
    await expect(refresher.resolve({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(refresher.runCount).toBe(0);
  });

  it('close() kills a running command with a default reason', async () => {
    const dir = await tempDir();
    await jsonCommand(dir, { token: 'tok-w' }, true);
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './json.sh' }));
    const pending = refresher.resolve().catch((caught: unknown) => caught);
    await runsReach(dir, 1);
    refresher.close();
    expect(await pending).toEqual(new Error('auth command cancelled'));
  });

  it('stops telling a removed slow-command listener', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'slow.sh', 'while [ ! -f go ]; do sleep 0.01; done\necho slow-tok');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './slow.sh' }), {
      slowNoticeMs: 20,
    });
    const removed: string[] = [];
    const kept: string[] = [];
    const remove = refresher.addSlowCommandListener((command) => removed.push(command));
    refresher.addSlowCommandListener((command) => {
      kept.push(command);
      void writeFile(path.join(dir, 'go'), '');
    });
    expect(remove()).toBe(true);
    await refresher.resolve();
    expect(kept).toEqual(['./slow.sh']);
    expect(removed).toEqual([]);
  });
});

describe('BearerTokenRefresher refresh after a 401', () => {
  it('runs again when the run in flight at the 401 printed the rejected token', async () => {
    const dir = await tempDir();
    // run 1 waits for `go` and prints tok-a; run 2 prints tok-b
    await writeScript(
      dir,
      'seq.sh',
      [
        'echo run >> runs.log',
        'n=$(wc -l < runs.log | tr -d " ")',
        'if [ "$n" = 1 ]; then while [ ! -f go ]; do sleep 0.01; done; echo tok-a; else echo tok-b; fi',
      ].join('\n'),
    );
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './seq.sh' }));
    const first = refresher.resolve();
    await runsReach(dir, 1);
    const refreshed = refresher.refresh({
      reason: 'unauthorized',
      previousAccountId: null,
      rejectedToken: 'tok-a',
    });
    await writeFile(path.join(dir, 'go'), '');

    expect((await first).accessToken.reveal()).toBe('tok-a');
    expect((await refreshed).accessToken.reveal()).toBe('tok-b');
    expect(refresher.runCount).toBe(2);
  });

  it('forgets a cached token the command printed again after its 401', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'same.sh', 'echo run >> runs.log\necho same-tok-7');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './same.sh' }));
    const { accessToken } = await refresher.resolve();
    await expect(
      refresher.refresh({
        reason: 'unauthorized',
        previousAccountId: null,
        rejectedToken: accessToken,
      }),
    ).rejects.toThrow('printed the token the server just rejected');

    await refresher.resolve();

    expect(refresher.runCount).toBe(3);
  });
});
