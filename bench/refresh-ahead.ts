// The refresh-ahead figure (improvement 17): how long callers of a long-lived refresher wait on a slow helper.
// A real 300 ms helper prints JSON tokens that live 2 s; a caller calls resolve() every 100 ms for 5 s.
import { setTimeout as sleep } from 'node:timers/promises';
import { createBearerTokenRefresher } from '../packages/login/src/index.ts';
import { makeTempDir, writeScript } from '../packages/test-support/src/index.ts';

const HELPER_MS = 300;
const TOKEN_SECONDS = 2;
const INTERVAL_MS = 100;
/** A call that takes longer than this waited on the helper (a cached resolve() takes microseconds). */
const WAITED_MS = 50;

type Call = { startMs: number; waitMs: number; token: string; expired: boolean };

export type RefreshAheadRun = {
  readonly refresh_ahead: boolean;
  readonly calls: number;
  readonly first_token_ms: number;
  /** Calls started after the first token arrived. */
  readonly after_first_token: {
    readonly calls: number;
    readonly p50_ms: number;
    readonly p95_ms: number;
    readonly max_ms: number;
    readonly calls_that_waited: number;
  };
  readonly helper_runs: number;
  readonly distinct_tokens: number;
  readonly expired_tokens_handed_out: number;
};

function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** One run: callers every 100 ms for `durationMs` against a fresh refresher. */
export async function measureRefreshAhead(
  refreshAhead: boolean,
  durationMs: number,
): Promise<RefreshAheadRun> {
  await using temp = await makeTempDir('codex-bench-ahead-');
  // Each token names the epoch ms it expires at, so a caller can tell whether it got an expired one.
  await writeScript(
    temp.dir,
    'slow-helper.sh',
    [
      'echo run >> runs.log',
      `sleep ${HELPER_MS / 1000}`,
      `expires=$(( $(date +%s%3N) + ${TOKEN_SECONDS * 1000} ))`,
      `printf '{"access_token": "bench-%s", "expires_in": ${TOKEN_SECONDS}}\\n' "$expires"`,
    ].join('\n'),
  );
  const refresher = createBearerTokenRefresher(
    {
      command: './slow-helper.sh',
      args: [],
      timeout_ms: 5000,
      refresh_interval_ms: 0,
      cwd: temp.dir,
    },
    { refreshAhead },
  );

  const calls: Promise<Call>[] = [];
  const started = performance.now();
  const count = Math.floor(durationMs / INTERVAL_MS);
  for (let index = 0; index < count; index++) {
    const due = started + index * INTERVAL_MS;
    const ahead = due - performance.now();
    if (ahead > 0) await sleep(ahead);
    const startMs = performance.now();
    calls.push(
      refresher.resolve().then(({ accessToken }) => {
        const token = accessToken.reveal();
        const expiresAtMs = Number(token.slice('bench-'.length));
        return {
          startMs: startMs - started,
          waitMs: performance.now() - startMs,
          token,
          expired: Date.now() >= expiresAtMs,
        };
      }),
    );
  }
  const done = await Promise.all(calls);
  refresher.close();

  const first = done[0];
  const firstTokenMs = first === undefined ? Number.NaN : first.startMs + first.waitMs;
  const later = done.filter((call) => call.startMs >= firstTokenMs);
  const waits = later.map((call) => call.waitMs).sort((a, b) => a - b);
  return {
    refresh_ahead: refreshAhead,
    calls: done.length,
    first_token_ms: round(firstTokenMs),
    after_first_token: {
      calls: later.length,
      p50_ms: round(percentile(waits, 0.5)),
      p95_ms: round(percentile(waits, 0.95)),
      max_ms: round(waits.at(-1) ?? Number.NaN),
      calls_that_waited: waits.filter((wait) => wait > WAITED_MS).length,
    },
    helper_runs: refresher.runCount,
    distinct_tokens: new Set(done.map((call) => call.token)).size,
    expired_tokens_handed_out: done.filter((call) => call.expired).length,
  };
}

/** The figure: refresh ahead on, and off for comparison, after a warm-up. */
export async function benchRefreshAhead(durationMs: number): Promise<{
  section: Record<string, unknown>;
  lines: string[];
}> {
  // warm-up: the first command run of a process also loads the command runner
  await measureRefreshAhead(true, INTERVAL_MS);
  const on = await measureRefreshAhead(true, durationMs);
  const off = await measureRefreshAhead(false, durationMs);
  const describe = (run: RefreshAheadRun): string => {
    const after = run.after_first_token;
    return `refreshAhead ${run.refresh_ahead ? 'on ' : 'off'}: first token ${run.first_token_ms} ms; then ${after.calls} calls p50 ${after.p50_ms} ms, p95 ${after.p95_ms} ms, max ${after.max_ms} ms, ${after.calls_that_waited} waited > ${WAITED_MS} ms; helper runs ${run.helper_runs}; expired tokens handed out ${run.expired_tokens_handed_out}`;
  };
  return {
    section: {
      helper_ms: HELPER_MS,
      token_lifetime_s: TOKEN_SECONDS,
      interval_ms: INTERVAL_MS,
      duration_ms: durationMs,
      waited_threshold_ms: WAITED_MS,
      on,
      off,
    },
    lines: [describe(on), describe(off)],
  };
}
