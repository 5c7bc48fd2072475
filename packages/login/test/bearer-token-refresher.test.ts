import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AuthCommandError,
  clearProviderBearerRefreshers,
  createBearerTokenRefresher,
  providerBearerRefresher,
} from '@codex/login';
import { fakeJwt } from '@codex/test-support';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  authConfig,
  scriptRuns,
  tempDir,
  writeScript,
  writeTokenScript,
} from './helpers/fixtures.ts';

function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

async function rejection(promise: Promise<unknown>): Promise<AuthCommandError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthCommandError);
  return error as AuthCommandError;
}

function isGone(pid: number): boolean {
  try {
    // a zombie has exited; it only waits to be reaped
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

afterEach(() => {
  clearProviderBearerRefreshers();
});

describe('BearerTokenRefresher', () => {
  it('external_bearer_only_auth_manager_uses_cached_provider_token', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['provider-token', 'next-token']);
    const refresher = createBearerTokenRefresher(authConfig(dir));

    const first = await refresher.resolve();
    const second = await refresher.resolve();

    expect([first.accessToken.reveal(), second.accessToken.reveal()]).toEqual([
      'provider-token',
      'provider-token',
    ]);
    expect(refresher.runCount).toBe(1);
  });

  it('external_bearer_only_auth_manager_disables_auto_refresh_when_interval_is_zero', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['provider-token', 'next-token']);
    let now = Date.parse('2026-04-01T12:00:00Z');
    const refresher = createBearerTokenRefresher(authConfig(dir, { refresh_interval_ms: 0 }), {
      now: () => now,
    });

    const first = await refresher.resolve();
    // far past the 60 s default interval: only a disabled auto refresh keeps the first token
    now += 24 * 60 * 60_000;
    const second = await refresher.resolve();

    expect([first.accessToken.reveal(), second.accessToken.reveal()]).toEqual([
      'provider-token',
      'provider-token',
    ]);
    expect(await scriptRuns(dir)).toBe(1);
  });

  it('reports apikey as its auth mode (R1)', () => {
    const refresher = createBearerTokenRefresher(authConfig('/tmp'));

    expect(refresher.authMode).toBe('apikey');
  });

  it('runs a relative command against cwd and trims the token (print-token.sh fixture)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['  provider-token  ', 'next-token']);
    const refresher = createBearerTokenRefresher(authConfig(dir));

    const tokens = await refresher.resolve();

    expect(tokens.accessToken.reveal()).toBe('provider-token');
    expect(tokens.chatgptMetadata).toBeNull();
    expect(refresher.runCount).toBe(1);
  });

  it('runs an absolute command as is', async () => {
    const dir = await tempDir();
    const script = await writeScript(dir, 'abs.sh', 'echo absolute-token');
    const refresher = createBearerTokenRefresher(authConfig('/', { command: script }));

    expect((await refresher.resolve()).accessToken.reveal()).toBe('absolute-token');
  });

  it('looks a bare command name up on PATH', async () => {
    const dir = await tempDir();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: 'echo', args: ['bare-token'] }),
    );

    expect((await refresher.resolve()).accessToken.reveal()).toBe('bare-token');
  });

  it('passes args literally without a shell, with stdin closed, in cwd', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'args.sh',
      [
        'if read line; then input=stdin-open; else input=stdin-closed; fi',
        'printf "%s|%s|%s|%s\\n" "$1" "$2" "$input" "$(pwd)"',
      ].join('\n'),
    );
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './args.sh', args: ['$HOME', 'a b;echo hi'] }),
    );

    const { accessToken } = await refresher.resolve();

    expect(accessToken.reveal()).toBe(`$HOME|a b;echo hi|stdin-closed|${realpathSync(dir)}`);
  });

  it('fails with upstream text when the command cannot start', async () => {
    const dir = await tempDir();
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './missing.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe(
      'provider auth command `./missing.sh` failed to start: No such file or directory (os error 2)',
    );
    expect(error.code).toBe('AUTH_COMMAND_FAILED');
  });

  it('fails with the exit status and trimmed stderr', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'fail.sh', 'echo "  boom  " >&2\nexit 1');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './fail.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe(
      'provider auth command `./fail.sh` exited with status exit status: 1: boom',
    );
  });

  it('fails with the exit status alone when stderr is empty', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'fail.sh', 'exit 3');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './fail.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe(
      'provider auth command `./fail.sh` exited with status exit status: 3',
    );
  });

  it('rejects non-UTF-8 stdout', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'bytes.sh', "printf '\\377\\376token'");
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './bytes.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe('provider auth command `./bytes.sh` wrote non-UTF-8 data to stdout');
  });

  it('rejects an empty token', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'empty.sh', 'printf "  \\n\\n"');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './empty.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe('provider auth command `./empty.sh` produced an empty token');
  });

  it('times out with upstream text', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'hang.sh', 'exec sleep 30');
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './hang.sh', timeout_ms: 300 }),
    );

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe('provider auth command `./hang.sh` timed out after 300 ms');
  });

  it('shares one run between concurrent resolve() calls (single flight)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second']);
    const refresher = createBearerTokenRefresher(authConfig(dir));

    const results = await Promise.all(Array.from({ length: 10 }, () => refresher.resolve()));

    expect(new Set(results.map((tokens) => tokens.accessToken.reveal()))).toEqual(
      new Set(['first']),
    );
    expect(refresher.runCount).toBe(1);
    expect(await scriptRuns(dir)).toBe(1);
  });

  it('reuses the cached token within refresh_interval_ms and reruns once it has passed', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second']);
    const time = clock();
    const refresher = createBearerTokenRefresher(authConfig(dir, { refresh_interval_ms: 1000 }), {
      now: time.now,
    });

    const first = await refresher.resolve();
    time.advance(999);
    const cached = await refresher.resolve();
    time.advance(1);
    const renewed = await refresher.resolve();

    expect([
      first.accessToken.reveal(),
      cached.accessToken.reveal(),
      renewed.accessToken.reveal(),
    ]).toEqual(['first', 'first', 'second']);
    expect(refresher.runCount).toBe(2);
  });

  it('reuses the token forever with refresh_interval_ms = 0 until refresh() after a 401', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second']);
    const time = clock();
    const refresher = createBearerTokenRefresher(authConfig(dir, { refresh_interval_ms: 0 }), {
      now: time.now,
    });

    await refresher.resolve();
    time.advance(365 * 24 * 3600 * 1000);
    const cached = await refresher.resolve();
    const refreshed = await refresher.refresh({ reason: 'unauthorized', previousAccountId: null });
    const after = await refresher.resolve();

    expect(cached.accessToken.reveal()).toBe('first');
    expect(refreshed.accessToken.reveal()).toBe('second');
    expect(after.accessToken.reveal()).toBe('second');
    expect(refresher.runCount).toBe(2);
  });

  it('always reruns the command on refresh() without a rejected token (R3)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second', 'third']);
    const refresher = createBearerTokenRefresher(authConfig(dir));
    await refresher.resolve();

    await refresher.refresh({ reason: 'unauthorized', previousAccountId: null });
    const last = await refresher.refresh({ reason: 'unauthorized', previousAccountId: null });

    expect(last.accessToken.reveal()).toBe('third');
    expect(refresher.runCount).toBe(3);
  });

  it('fails closed: resolve() rejects when the command fails, with no token-less fallback (improvement 1)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'fail.sh', 'echo denied >&2\nexit 1');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './fail.sh' }));

    await expect(refresher.resolve()).rejects.toThrow(
      'provider auth command `./fail.sh` exited with status exit status: 1: denied',
    );
    await expect(refresher.resolve()).rejects.toBeInstanceOf(AuthCommandError);
  });

  it('fails closed after a cached token went stale and the command starts failing (improvement 1)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'once.sh', 'if [ -f used ]; then exit 1; fi\ntouch used\necho first');
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './once.sh', refresh_interval_ms: 1000 }),
      { now: time.now },
    );
    await refresher.resolve();
    time.advance(1000);

    await expect(refresher.resolve()).rejects.toBeInstanceOf(AuthCommandError);
  });

  it('runs a failing command once per failure, however many callers wait on it (improvement 2)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'fail.sh', 'echo run >> runs.log\nexit 1');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './fail.sh' }));

    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0
          ? refresher.resolve()
          : refresher.refresh({ reason: 'unauthorized', previousAccountId: null }),
      ),
    );

    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(refresher.runCount).toBe(1);
    expect(await scriptRuns(dir)).toBe(1);
  });

  it('returns the newer cached token for a stale rejected token without running (improvement 4)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second', 'third']);
    const refresher = createBearerTokenRefresher(authConfig(dir));
    await refresher.resolve();
    await refresher.refresh({ reason: 'unauthorized', previousAccountId: null });

    const tokens = await refresher.refresh({
      reason: 'unauthorized',
      previousAccountId: null,
      rejectedToken: 'first',
    });

    expect(tokens.accessToken.reveal()).toBe('second');
    expect(refresher.runCount).toBe(2);
  });

  it('runs the command once for 100 concurrent refresh() calls for the same rejected token (improvement 4)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second', 'third']);
    const refresher = createBearerTokenRefresher(authConfig(dir));
    const { accessToken: rejectedToken } = await refresher.resolve();

    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        refresher.refresh({ reason: 'unauthorized', previousAccountId: null, rejectedToken }),
      ),
    );

    expect(new Set(results.map((tokens) => tokens.accessToken.reveal()))).toEqual(
      new Set(['second']),
    );
    expect(refresher.runCount).toBe(2);
    expect(await scriptRuns(dir)).toBe(2);
  });

  it('reruns when the rejected token is the cached one (improvement 4)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second']);
    const refresher = createBearerTokenRefresher(authConfig(dir));
    const { accessToken } = await refresher.resolve();

    const tokens = await refresher.refresh({
      reason: 'unauthorized',
      previousAccountId: null,
      rejectedToken: accessToken,
    });

    expect(tokens.accessToken.reveal()).toBe('second');
  });

  it('keeps one refresher per provider id and auth config for the process (improvement 5)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['first', 'second']);

    const first = providerBearerRefresher('corp', authConfig(dir));
    await first.resolve();
    const again = providerBearerRefresher('corp', authConfig(`${dir}/`));
    const second = await again.resolve();
    const otherProvider = providerBearerRefresher('other', authConfig(dir));
    const otherConfig = providerBearerRefresher('corp', authConfig(dir, { args: ['x'] }));

    expect(again).toBe(first);
    expect(second.accessToken.reveal()).toBe('first');
    expect(first.runCount).toBe(1);
    expect(otherProvider).not.toBe(first);
    expect(otherConfig).not.toBe(first);
  });

  it('treats a JSON token as stale at expiry minus min(60 s, 10% of its lifetime) (improvement 6)', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'json.sh',
      'echo run >> runs.log\nn=$(wc -l < runs.log | tr -d " ")\necho "{\\"access_token\\": \\"tok-$n\\", \\"expires_in\\": 100}"',
    );
    const time = clock();
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './json.sh', refresh_interval_ms: 0 }),
      { now: time.now },
    );

    const first = await refresher.resolve();
    time.advance(89_999);
    const cached = await refresher.resolve();
    time.advance(1);
    const renewed = await refresher.resolve();

    expect([
      first.accessToken.reveal(),
      cached.accessToken.reveal(),
      renewed.accessToken.reveal(),
    ]).toEqual(['tok-1', 'tok-1', 'tok-2']);
  });

  it('reads expires_at as RFC 3339 or epoch seconds, and "token" as the token key (improvement 6)', async () => {
    const dir = await tempDir();
    const time = clock(Date.parse('2030-01-01T00:00:00Z'));
    await writeFile(
      path.join(dir, 'out.json'),
      JSON.stringify({ token: 'rfc', expires_at: '2030-01-01T01:00:00Z' }),
    );
    await writeScript(dir, 'json.sh', 'cat out.json');
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './json.sh', refresh_interval_ms: 0 }),
      { now: time.now },
    );

    const first = await refresher.resolve();
    writeFileSync(
      path.join(dir, 'out.json'),
      JSON.stringify({
        access_token: 'epoch',
        expires_at: Date.parse('2030-01-01T03:00:00Z') / 1000,
      }),
    );
    time.advance(3_540_000 - 1);
    const stillCached = await refresher.resolve();
    time.advance(1);
    const renewed = await refresher.resolve();

    expect([
      first.accessToken.reveal(),
      stillCached.accessToken.reveal(),
      renewed.accessToken.reveal(),
    ]).toEqual(['rfc', 'rfc', 'epoch']);
  });

  it('treats a plain JWT as stale before its exp, and refresh_interval_ms still caps its age (improvement 6)', async () => {
    const dir = await tempDir();
    const time = clock(1_800_000_000_000);
    const iat = 1_800_000_000;
    const jwtA = fakeJwt({ iat, exp: iat + 300 });
    const jwtB = fakeJwt({ iat, exp: iat + 100_000 });
    await writeTokenScript(dir, [jwtA, jwtB, 'opaque']);
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { refresh_interval_ms: 600_000 }),
      { now: time.now },
    );

    const a = await refresher.resolve();
    time.advance(270_000 - 1);
    const aCached = await refresher.resolve();
    time.advance(1);
    const b = await refresher.resolve();
    time.advance(600_000 - 1);
    const bCached = await refresher.resolve();
    time.advance(1);
    const c = await refresher.resolve();

    expect(a.accessToken.reveal()).toBe(jwtA);
    expect(aCached.accessToken.reveal()).toBe(jwtA);
    expect(b.accessToken.reveal()).toBe(jwtB);
    expect(bCached.accessToken.reveal()).toBe(jwtB);
    expect(c.accessToken.reveal()).toBe('opaque');
  });

  it('rejects output with more than one non-empty line (improvement 7)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'two.sh', 'echo one\necho\necho two');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './two.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe(
      'provider auth command `./two.sh` printed 2 lines; expected a single token',
    );
  });

  it('rejects stdout over 1 MiB (improvement 7)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'big.sh', 'head -c 1100000 /dev/zero | tr "\\0" "a"');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './big.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe('provider auth command `./big.sh` wrote more than 1 MiB to stdout');
  });

  it('rejects a token with control characters (improvement 7)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'ctl.sh', "printf 'abc\\033def\\n'");
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './ctl.sh' }));

    const error = await rejection(refresher.resolve());

    expect(error.message).toBe(
      'provider auth command `./ctl.sh` printed a token with control characters',
    );
  });

  it('kills the whole process group on timeout, grandchildren included (improvement 8)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'tree.sh', 'sleep 60 &\necho $! > grandchild.pid\nsleep 60\necho late');
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './tree.sh', timeout_ms: 500 }),
    );

    const error = await rejection(refresher.resolve());
    const pid = Number((await readFile(path.join(dir, 'grandchild.pid'), 'utf8')).trim());

    expect(error.message).toBe('provider auth command `./tree.sh` timed out after 500 ms');
    expect(pid).toBeGreaterThan(0);
    await vi.waitFor(() => expect(isGone(pid)).toBe(true), { timeout: 10_000, interval: 20 });
  });

  it('reaps a forked child that holds stdout open once the command exits (improvement 8)', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'forks.sh',
      'sleep 60 &\necho $! > child.pid\nprintf "%s\\n" forked-token',
    );
    const refresher = createBearerTokenRefresher(
      authConfig(dir, { command: './forks.sh', timeout_ms: 20_000 }),
    );

    const { accessToken } = await refresher.resolve();
    const pid = Number((await readFile(path.join(dir, 'child.pid'), 'utf8')).trim());

    expect(accessToken.reveal()).toBe('forked-token');
    expect(pid).toBeGreaterThan(0);
    await vi.waitFor(() => expect(isGone(pid)).toBe(true), { timeout: 10_000, interval: 20 });
  });

  it('caps stderr quoted in an error at 2 KiB (improvement 9)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'noisy.sh', 'head -c 10000 /dev/zero | tr "\\0" "e" >&2\nexit 1');
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './noisy.sh' }));

    const error = await rejection(refresher.resolve());
    const prefix = 'provider auth command `./noisy.sh` exited with status exit status: 1: ';

    expect(error.message.startsWith(`${prefix}${'e'.repeat(2048)}`)).toBe(true);
    expect(error.message).not.toContain('e'.repeat(2049));
    expect(error.message.length).toBeLessThan(prefix.length + 2048 + 100);
  });

  it('never puts a token in an error message (improvement 9)', async () => {
    const canary = 'canary-7f3a9c1e5b';
    const dir = await tempDir();
    await writeScript(dir, 'leak-exit.sh', `echo ${canary}\necho "bad ${canary}" >&2\nexit 1`);
    await writeScript(dir, 'leak-lines.sh', `echo ${canary}\necho ${canary}`);
    await writeScript(dir, 'leak-ctl.sh', `printf '${canary}\\007\\n'`);
    await writeScript(
      dir,
      'leak-json.sh',
      `echo '{"access_token": "${canary}", "expires_at": "soon"}'`,
    );
    await writeScript(dir, 'leak-slow.sh', `echo ${canary}\nexec sleep 30`);
    const commands = ['./leak-exit.sh', './leak-lines.sh', './leak-ctl.sh', './leak-json.sh'];

    const errors = await Promise.all(
      [
        ...commands.map((command) => authConfig(dir, { command })),
        authConfig(dir, { command: './leak-slow.sh', timeout_ms: 300 }),
      ].map((config) => rejection(createBearerTokenRefresher(config).resolve())),
    );

    expect(errors).toHaveLength(5);
    for (const error of errors) {
      const rendered = [error.message, String(error), error.stack, JSON.stringify(error)].join(
        '\n',
      );
      expect(rendered).not.toContain(canary);
    }
  });

  it('calls onSlowCommand once when a run passes the slow threshold (improvement 11)', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'slow.sh', 'while [ ! -f go ]; do sleep 0.02; done\necho slow-token');
    const notices: string[] = [];
    const refresher = createBearerTokenRefresher(authConfig(dir, { command: './slow.sh' }), {
      slowNoticeMs: 50,
      onSlowCommand: (command) => {
        notices.push(command);
        writeFileSync(path.join(dir, 'go'), '');
      },
    });

    const tokens = await refresher.resolve();

    expect(tokens.accessToken.reveal()).toBe('slow-token');
    expect(notices).toEqual(['./slow.sh']);
  });

  it('does not call onSlowCommand for a fast run (improvement 11)', async () => {
    const dir = await tempDir();
    await writeTokenScript(dir, ['fast']);
    const onSlowCommand = vi.fn();
    const refresher = createBearerTokenRefresher(authConfig(dir), { onSlowCommand });

    await refresher.resolve();

    expect(onSlowCommand).not.toHaveBeenCalled();
  });
});
