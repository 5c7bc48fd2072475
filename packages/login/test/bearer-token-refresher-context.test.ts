import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inspect } from 'node:util';
import {
  AuthCommandError,
  clearProviderBearerRefreshers,
  createBearerTokenRefresher,
  ExternalAuthTokens,
} from '@codex/login';
import { redact } from '@codex/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authConfig, scriptRuns, tempDir, writeScript } from './helpers/fixtures.ts';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function pids(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map(Number)
    .filter((pid) => pid > 0);
}

afterEach(() => {
  clearProviderBearerRefreshers();
});

describe('BearerTokenRefresher helper context (improvement 15)', () => {
  it('tells the command why it runs: initial, expired, unauthorized, and which provider', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'ctx.sh',
      'echo "$CODEX_AUTH_REASON $CODEX_PROVIDER_ID" >> reasons\necho "tok-$(wc -l < reasons)"',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './ctx.sh', refresh_interval_ms: 1000 }),
      { now: time.now, providerId: 'corp' },
    );

    const first = await refresher.resolve();
    time.advance(1000);
    const second = await refresher.resolve();
    await refresher.refresh({
      reason: 'unauthorized',
      previousAccountId: null,
      rejectedToken: second.accessToken,
    });

    expect(first.accessToken.reveal()).toBe('tok-1');
    expect((await readFile(path.join(dir, 'reasons'), 'utf8')).trim().split('\n')).toEqual([
      'initial corp',
      'expired corp',
      'unauthorized corp',
    ]);
  });

  it('does not pass on a CODEX_PROVIDER_ID of its own environment when it has no provider id', async () => {
    vi.stubEnv('CODEX_PROVIDER_ID', 'outer-provider');
    const dir = await tempDir();
    await writeScript(dir, 'ctx.sh', 'env | grep "^CODEX_PROVIDER_ID=" > provider\necho tok-1');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './ctx.sh' }));

    await refresher.resolve();

    expect(await readFile(path.join(dir, 'provider'), 'utf8')).toBe('');
  });

  it('never puts a token in the command environment or argv', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'env.sh', 'env >> envdump\necho "$@" >> envdump\necho tok-secret-1234');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './env.sh' }));

    const { accessToken } = await refresher.resolve();
    await refresher
      .refresh({ reason: 'unauthorized', previousAccountId: null, rejectedToken: accessToken })
      .catch(() => {});

    expect(await readFile(path.join(dir, 'envdump'), 'utf8')).not.toContain('tok-secret-1234');
  });
});

describe('BearerTokenRefresher rejected token returned again (improvement 16)', () => {
  it('fails instead of resending a token the server just rejected', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'same.sh', 'echo run >> runs.log\necho same-token-42');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './same.sh' }));
    const { accessToken } = await refresher.resolve();

    const error = await refresher
      .refresh({ reason: 'unauthorized', previousAccountId: null, rejectedToken: accessToken })
      .then(
        () => null,
        (caught: unknown) => caught,
      );

    expect(error).toBeInstanceOf(AuthCommandError);
    expect((error as Error).message).toBe(
      'provider auth command `./same.sh` printed the token the server just rejected; it was not resent (the command runs with CODEX_AUTH_REASON=unauthorized after a 401, so a caching helper can fetch a new token)',
    );
    expect(await scriptRuns(dir)).toBe(2);
  });
});

describe('BearerTokenRefresher refresh ahead (improvement 17)', () => {
  it('renews a token with a known expiry in the background while callers get the valid one', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'exp.sh',
      'echo run >> runs.log\nn=$(wc -l < runs.log)\necho "{\\"access_token\\": \\"tok-$n\\", \\"expires_in\\": 100}"',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './exp.sh', refresh_interval_ms: 0 }),
      {
        now: time.now,
      },
    );
    const first = await refresher.resolve();

    // stale at 100 s - 10 s = 90 s; renewal starts after 75% of that (67.5 s)
    time.advance(70_000);
    const during = await refresher.resolve();
    await vi.waitFor(async () => expect(await scriptRuns(dir)).toBe(2), {
      timeout: 10_000,
      interval: 10,
    });
    await vi.waitFor(
      async () => expect((await refresher.resolve()).accessToken.reveal()).toBe('tok-2'),
      {
        timeout: 10_000,
        interval: 10,
      },
    );

    expect(first.accessToken.reveal()).toBe('tok-1');
    expect(during.accessToken.reveal()).toBe('tok-1');
    expect(refresher.runCount).toBe(2);
  });

  it('never hands out an expired token when the background renewal failed', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'flaky.sh',
      'echo run >> runs.log\nn=$(wc -l < runs.log)\n[ "$n" = 2 ] && exit 3\necho "{\\"access_token\\": \\"tok-$n\\", \\"expires_in\\": 100}"',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './flaky.sh', refresh_interval_ms: 0 }),
      {
        now: time.now,
      },
    );
    await refresher.resolve();
    time.advance(70_000);
    const valid = await refresher.resolve();
    await vi.waitFor(async () => expect(await scriptRuns(dir)).toBe(2), {
      timeout: 10_000,
      interval: 10,
    });

    time.advance(30_000);
    const renewed = await refresher.resolve();

    expect(valid.accessToken.reveal()).toBe('tok-1');
    expect(renewed.accessToken.reveal()).toBe('tok-3');
  });

  it('starts the renewal earlier for a slow command: twice its last run time before the token goes stale', async () => {
    const dir = await tempDir();
    // the first run waits for the test to say `go`, so the injected clock can show a 20 s run
    await writeScript(
      dir,
      'slow.sh',
      'echo run >> runs.log\nn=$(wc -l < runs.log)\nwhile [ ! -f go ]; do sleep 0.01; done\necho "{\\"access_token\\": \\"tok-$n\\", \\"expires_in\\": 100}"',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './slow.sh', refresh_interval_ms: 0 }),
      { now: time.now },
    );
    const pending = refresher.resolve();
    await vi.waitFor(async () => expect(await scriptRuns(dir)).toBe(1), {
      timeout: 10_000,
      interval: 10,
    });
    time.advance(20_000);
    await writeFile(path.join(dir, 'go'), '');
    await pending;

    // usable life 90 s; a 20 s run moves the renewal from 67.5 s to 90 - 2 * 20 = 50 s
    time.advance(45_000);
    const before = await refresher.resolve();
    const runsBefore = refresher.runCount;
    time.advance(10_000);
    const during = await refresher.resolve();
    await vi.waitFor(async () => expect(await scriptRuns(dir)).toBe(2), {
      timeout: 10_000,
      interval: 10,
    });

    expect(runsBefore).toBe(1);
    expect(before.accessToken.reveal()).toBe('tok-1');
    expect(during.accessToken.reveal()).toBe('tok-1');
    expect(refresher.runCount).toBe(2);
  });

  it('is off when refreshAhead is false', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'exp.sh',
      'echo run >> runs.log\necho \'{"access_token": "tok", "expires_in": 100}\'',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './exp.sh', refresh_interval_ms: 0 }),
      {
        now: time.now,
        refreshAhead: false,
      },
    );
    await refresher.resolve();
    time.advance(80_000);

    await refresher.resolve();

    expect(refresher.runCount).toBe(1);
  });
});

describe('BearerTokenRefresher cancellation and hard timeout (improvements 8, 13)', () => {
  it('kills the command process group when the signal aborts and rejects with its reason', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'hang.sh', 'echo $$ >> pids\nsleep 30 &\necho $! >> pids\nwait');
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './hang.sh', timeout_ms: 60_000 }),
    );
    const controller = new AbortController();
    const pending = refresher.resolve({ signal: controller.signal });
    await vi.waitFor(async () => expect(await pids(path.join(dir, 'pids'))).toHaveLength(2), {
      timeout: 10_000,
      interval: 10,
    });

    const reason = new Error('interrupted');
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    for (const pid of await pids(path.join(dir, 'pids'))) {
      await vi.waitFor(() => expect(isGone(pid)).toBe(true), { timeout: 5000, interval: 20 });
    }
  });

  it('settles at timeout_ms although a grandchild in its own session holds stdout', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'setsid.sh', 'setsid sh -c "sleep 30" &\nsleep 30');
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './setsid.sh', timeout_ms: 300 }),
    );

    const error = await refresher.resolve().then(
      () => null,
      (caught: unknown) => caught,
    );

    expect((error as Error).message).toBe(
      'provider auth command `./setsid.sh` timed out after 300 ms',
    );
  });

  it('returns the token of a command that exits while a detached grandchild holds stdout', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'detach.sh', 'setsid sh -c "sleep 30" &\necho detached-token');
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './detach.sh', timeout_ms: 20_000 }),
    );

    const { accessToken } = await refresher.resolve();

    expect(accessToken.reveal()).toBe('detached-token');
  });
});

describe('ExternalAuthTokens redaction (improvement 9)', () => {
  it('prints [REDACTED] through util.inspect, console formatting, String and JSON', async () => {
    const token = 'tok-canary-5150';
    const tokens = ExternalAuthTokens.bearerOnly(token);
    const file = path.join(await tempDir(), 'out');

    await writeFile(
      file,
      [
        inspect(tokens, { showHidden: true, depth: null }),
        String(tokens.accessToken),
        `${tokens.accessToken}`,
        JSON.stringify(tokens),
        JSON.stringify({ tokens }),
      ].join('\n'),
    );

    expect(await readFile(file, 'utf8')).not.toContain(token);
    expect(redact(`server said ${token}`)).toBe('server said [REDACTED]');
  });
});

describe('BearerTokenRefresher mutations the suite must catch', () => {
  it('does not hand back a cached token that has expired when refreshing after a 401', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'exp.sh',
      'echo run >> runs.log\nn=$(wc -l < runs.log)\necho "{\\"access_token\\": \\"tok-$n\\", \\"expires_in\\": 100}"',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './exp.sh', refresh_interval_ms: 0 }),
      { now: time.now, refreshAhead: false },
    );
    await refresher.resolve();
    time.advance(200_000);

    // the rejected token is another one: a cache hit would be wrong only because the cached token expired
    const refreshed = await refresher.refresh({
      reason: 'unauthorized',
      previousAccountId: null,
      rejectedToken: 'tok-older',
    });

    expect(refreshed.accessToken.reveal()).toBe('tok-2');
    expect(await scriptRuns(dir)).toBe(2);
  });

  it('keeps the cached token out of the stderr of a later failing run', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'then-fail.sh',
      'if [ -f used ]; then echo "cached was $(cat used)" >&2; exit 1; fi\necho cached-token-77 > used\necho cached-token-77',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './then-fail.sh', refresh_interval_ms: 1000 }),
      { now: time.now },
    );
    const first = await refresher.resolve();
    time.advance(1000);

    const error = await refresher.resolve().then(
      () => null,
      (caught: unknown) => caught as Error,
    );

    expect(first.accessToken.reveal()).toBe('cached-token-77');
    expect(error?.message).toBe(
      'provider auth command `./then-fail.sh` exited with status exit status: 1: cached was [REDACTED]',
    );
  });
});
