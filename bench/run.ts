// `pnpm bench`: figures and ratios for the claims in SPEC §4 and §5, never pass/fail on time.
// Loopback only. Usage: pnpm bench [--reference <path-to-another-codex>] [--quick]
//
// The bench lives at the repo root, outside every workspace package, so it imports each package's
// contract (src/index.ts) by path; `--conditions=@codex/source` makes their own imports resolve to src too.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createModelClient,
  loadConfig,
  parseResponsesSse,
  userMessage,
} from '../packages/core/src/index.ts';
// undici is a dependency of @codex/fault-suite; the root has none.
import { request } from '../packages/fault-suite/node_modules/undici/index.js';
import { createBearerTokenRefresher } from '../packages/login/src/index.ts';
import {
  makeTempDir,
  responseEvents,
  startResponsesServer,
  toSseFrame,
  writeTokenQueueScript,
} from '../packages/test-support/src/index.ts';
import { runAppServerTurns } from './app-server-turns.ts';
import { benchRefreshAhead } from './refresh-ahead.ts';

const { values: flags } = parseArgs({
  options: {
    reference: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});

const repoRoot = path.resolve(import.meta.dirname, '..');
const codexBin = path.join(repoRoot, 'apps/cli/dist/bin.cjs');
const floorScript = path.join(repoRoot, 'bench/floor/exec-floor.mjs');
const resultsFile = path.join(repoRoot, 'bench/results/latest.json');
const scale = flags.quick ? 0.2 : 1;

type Section = Record<string, unknown>;
const results: Record<string, Section> = {};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function nowMs(): number {
  return performance.now();
}

function print(title: string, lines: readonly string[]): void {
  console.log(`\n${title}`);
  for (const line of lines) console.log(`  ${line}`);
}

function skipped(name: string, reason: string): void {
  results[name] = { skipped: reason };
  print(name, [`skipped: ${reason}`]);
}

const authBase = { args: [] as string[], timeout_ms: 5000, refresh_interval_ms: 0 };

/** Cached resolve() against a bare Map.get: the price of the cache check. */
async function benchCachedResolve(): Promise<void> {
  await using temp = await makeTempDir('codex-bench-');
  const script = await writeTokenQueueScript(temp.dir, ['bench-token-1']);
  const refresher = createBearerTokenRefresher({
    ...authBase,
    command: script.command,
    cwd: temp.dir,
  });
  await refresher.resolve();
  const calls = Math.round(1_000_000 * scale);
  const rounds = 5;

  const map = new Map([['provider', 'bench-token-1']]);
  let sink = 0;
  const mapNs: number[] = [];
  const asyncMapNs: number[] = [];
  const resolveNs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += map.get('provider')?.length ?? 0;
    mapNs.push(Number(process.hrtime.bigint() - start) / calls);

    start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++)
      sink += (await Promise.resolve(map.get('provider')))?.length ?? 0;
    asyncMapNs.push(Number(process.hrtime.bigint() - start) / calls);

    start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += (await refresher.resolve()).accessToken.length;
    resolveNs.push(Number(process.hrtime.bigint() - start) / calls);
  }
  if (sink === 0) throw new Error('unreachable');
  const resolve = median(resolveNs);
  const bare = median(mapNs);
  const awaited = median(asyncMapNs);
  results['cached_resolve'] = {
    calls_per_round: calls,
    rounds,
    resolve_ns_per_call: round(resolve),
    map_get_ns_per_call: round(bare),
    awaited_map_get_ns_per_call: round(awaited),
    ratio_vs_map_get: round(resolve / bare, 1),
    ratio_vs_awaited_map_get: round(resolve / awaited, 2),
    command_runs: refresher.runCount,
  };
  print('cached resolve() (command refresher, warm cache)', [
    `resolve(): ${round(resolve)} ns/call; bare Map.get: ${round(bare)} ns/call (x${round(resolve / bare, 1)}); awaited Map.get: ${round(awaited)} ns/call (x${round(resolve / awaited, 2)})`,
    `command runs: ${refresher.runCount}`,
  ]);
}

/** 1,000 concurrent resolve() on a cold cache, then 1,000 concurrent refresh() of one rejected token. */
async function benchSingleFlight(): Promise<void> {
  await using temp = await makeTempDir('codex-bench-');
  const script = await writeTokenQueueScript(temp.dir, [
    'bench-token-1',
    'bench-token-2',
    'bench-token-3',
  ]);
  const refresher = createBearerTokenRefresher({
    ...authBase,
    command: script.command,
    cwd: temp.dir,
  });
  const concurrency = 1000;

  let start = nowMs();
  const resolved = await Promise.all(
    Array.from({ length: concurrency }, () => refresher.resolve()),
  );
  const resolveMs = nowMs() - start;
  const resolveRuns = refresher.runCount;
  const resolvedTokens = new Set(resolved.map((tokens) => tokens.accessToken)).size;

  start = nowMs();
  const refreshed = await Promise.all(
    Array.from({ length: concurrency }, () =>
      refresher.refresh({
        reason: 'unauthorized',
        previousAccountId: null,
        rejectedToken: 'bench-token-1',
      }),
    ),
  );
  const refreshMs = nowMs() - start;
  const refreshRuns = refresher.runCount - resolveRuns;
  const refreshedTokens = new Set(refreshed.map((tokens) => tokens.accessToken)).size;
  const scriptRuns = await script.runs();

  results['single_flight'] = {
    concurrency,
    cold_resolve: {
      command_runs: resolveRuns,
      distinct_tokens: resolvedTokens,
      wall_ms: round(resolveMs),
    },
    refresh_same_rejected_token: {
      command_runs: refreshRuns,
      distinct_tokens: refreshedTokens,
      wall_ms: round(refreshMs),
    },
    script_runs_on_disk: scriptRuns,
    expected_command_runs_each: 1,
  };
  print(`single flight (${concurrency} concurrent callers)`, [
    `cold resolve(): ${resolveRuns} command run(s) (must be 1), ${round(resolveMs)} ms wall`,
    `refresh() of one rejected token: ${refreshRuns} command run(s) (must be 1), ${round(refreshMs)} ms wall`,
    `the script itself counted ${scriptRuns} run(s)`,
  ]);
}

/** About 64 KiB of SSE: created, ~1 KiB text deltas, the message, completed. */
function sixtyFourKiBEvents(): { events: unknown[]; bytes: number } {
  const chunk = 'x'.repeat(1000);
  const events: unknown[] = [responseEvents.created('resp_bench')];
  let bytes = toSseFrame(events[0]).length;
  const tail = [responseEvents.messageDone('done'), responseEvents.completed('resp_bench')];
  const tailBytes = tail.reduce<number>((sum, event) => sum + toSseFrame(event).length, 0);
  while (bytes + tailBytes < 64 * 1024) {
    const event = responseEvents.textDelta(chunk);
    events.push(event);
    bytes += toSseFrame(event).length;
  }
  events.push(...tail);
  return { events, bytes: bytes + tailBytes };
}

/**
 * 200 streamed 64 KiB responses through @codex/core, each followed by plain undici `request` of the same stream
 * read to the end, then by the parse floor: undici plus the least a client must do with the stream (decode it,
 * split the frames, `JSON.parse` each event's data, as bench/floor/exec-floor.mjs does). Both baselines send the
 * very request core sends (its headers and JSON body, captured from the server), so all three pay the same for
 * the request and for the in-process server's work on it.
 */
async function benchRequestPath(): Promise<void> {
  const { events, bytes } = sixtyFourKiBEvents();
  await using server = await startResponsesServer({ responder: () => ({ kind: 'sse', events }) });
  await using temp = await makeTempDir('codex-bench-');
  await writeFile(
    path.join(temp.dir, 'config.toml'),
    [
      'model = "gpt-bench"',
      'model_provider = "bench"',
      '[model_providers.bench]',
      'name = "Bench"',
      `base_url = ${JSON.stringify(server.url)}`,
      'experimental_bearer_token = "bench-token"',
      '',
    ].join('\n'),
  );
  const env = { HOME: temp.dir, CODEX_HOME: temp.dir };
  const config = await loadConfig({ env, cwd: temp.dir, codexHome: temp.dir });
  const client = createModelClient({ config, env });
  const url = `${server.url}/responses`;

  const viaCore = async (): Promise<number> => {
    const start = nowMs();
    const result = await client.runTurn({ input: [userMessage('hi')] });
    if (result.responseId !== 'resp_bench') throw new Error('unexpected response');
    return nowMs() - start;
  };
  await viaCore();
  const sent = server.requests.at(-1);
  if (sent === undefined) throw new Error('core sent no request');
  const hopByHop = new Set(['host', 'connection', 'content-length', 'transfer-encoding']); // undici's own
  const sameRequest = {
    method: 'POST' as const,
    body: sent.rawBody,
    headers: Object.fromEntries(
      Object.entries(sent.headers).filter(([name]) => !hopByHop.has(name)),
    ),
  };
  const viaUndici = async (): Promise<number> => {
    const start = nowMs();
    const response = await request(url, sameRequest);
    let received = 0;
    for await (const chunk of response.body) received += (chunk as Buffer).length;
    if (received !== bytes) throw new Error(`expected ${bytes} bytes, got ${received}`);
    return nowMs() - start;
  };
  const viaParseFloor = async (): Promise<number> => {
    const start = nowMs();
    const response = await request(url, sameRequest);
    response.body.setEncoding('utf8');
    let buffered = '';
    let parsed = 0;
    for await (const chunk of response.body) {
      buffered += chunk as string;
      let end = buffered.indexOf('\n\n');
      while (end !== -1) {
        for (const line of buffered.slice(0, end).split('\n')) {
          if (line.startsWith('data:') && JSON.parse(line.slice(5)) !== null) parsed += 1;
        }
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\n\n');
      }
    }
    if (parsed !== events.length)
      throw new Error(`expected ${events.length} events, got ${parsed}`);
    return nowMs() - start;
  };

  const count = Math.max(20, Math.round(200 * scale));
  for (let i = 0; i < 20; i++) {
    await viaCore();
    await viaUndici();
    await viaParseFloor();
  }
  const core: number[] = [];
  const undici: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < count; i++) {
    // interleaved, so drift on a shared machine hits all three alike
    core.push(await viaCore());
    undici.push(await viaUndici());
    floor.push(await viaParseFloor());
  }
  const coreMedian = median(core);
  const undiciMedian = median(undici);
  const floorMedian = median(floor);
  // a core run and the runs right after it form a group: the ratio within it is the steadier figure
  const groupRatio = (baseline: readonly number[]) =>
    median(core.map((ms, index) => ms / (baseline[index] ?? Number.NaN)));
  results['request_path'] = {
    responses: count,
    response_bytes: bytes,
    request_bytes: sent.rawBody.length,
    core_median_ms: round(coreMedian, 3),
    undici_median_ms: round(undiciMedian, 3),
    ratio_of_medians: round(coreMedian / undiciMedian, 2),
    median_of_pair_ratios: round(groupRatio(undici), 2),
    parse_floor_median_ms: round(floorMedian, 3),
    parse_floor_vs_undici: round(floorMedian / undiciMedian, 2),
    core_vs_parse_floor: round(groupRatio(floor), 2),
  };
  print(`request path (${count} streamed responses of ${bytes} bytes, loopback)`, [
    `@codex/core runTurn: median ${round(coreMedian, 3)} ms; plain undici request (the same request): median ${round(undiciMedian, 3)} ms`,
    `ratio of medians (core/undici): ${round(coreMedian / undiciMedian, 2)}; median of pair ratios: ${round(groupRatio(undici), 2)}`,
    `parse floor (undici + decode, split, JSON.parse of each event): median ${round(floorMedian, 3)} ms, x${round(floorMedian / undiciMedian, 2)} of undici; core vs the floor: x${round(groupRatio(floor), 2)}`,
  ]);
}

/** A recorded-style stream of `megabytes` MB: text deltas, then completed. */
function recordedStream(megabytes: number): Buffer {
  const parts: string[] = [toSseFrame(responseEvents.created('resp_sse'))];
  let size = parts[0]?.length ?? 0;
  const target = megabytes * 1024 * 1024;
  let index = 0;
  while (size < target) {
    const frame = toSseFrame(
      responseEvents.textDelta(`token ${index++} ${'lorem ipsum dolor sit amet '.repeat(6)}`),
    );
    parts.push(frame);
    size += frame.length;
  }
  parts.push(toSseFrame(responseEvents.messageDone('done')));
  parts.push(toSseFrame(responseEvents.completed('resp_sse')));
  return Buffer.from(parts.join(''));
}

async function* chunked(buffer: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < buffer.length; offset += size) {
    yield buffer.subarray(offset, offset + size);
  }
}

/** SSE parsing throughput of core's event parser on a 50 MB stream fed in 64 KiB chunks. */
async function benchSseParser(): Promise<void> {
  const megabytes = Math.max(5, Math.round(50 * scale));
  const stream = recordedStream(megabytes);
  const rates: number[] = [];
  let events = 0;
  for (let round = 0; round < 3; round++) {
    events = 0;
    const start = nowMs();
    for await (const event of parseResponsesSse(chunked(stream, 64 * 1024))) {
      if (event.type !== 'completed') events++;
    }
    const seconds = (nowMs() - start) / 1000;
    rates.push(stream.length / 1024 / 1024 / seconds);
  }
  const rate = median(rates);
  // one large event (a base64 image, long tool arguments) arriving in 1 KiB pieces: the cost must grow with
  // its size, not with its size times its pieces
  const largeEventMb = Math.max(2, Math.round(8 * scale));
  const large = Buffer.from(
    [
      toSseFrame(responseEvents.created('resp_large')),
      toSseFrame(responseEvents.messageDone('z'.repeat(largeEventMb * 1024 * 1024))),
      toSseFrame(responseEvents.completed('resp_large')),
    ].join(''),
  );
  const largeRates: number[] = [];
  for (let round = 0; round < 3; round++) {
    const start = nowMs();
    for await (const event of parseResponsesSse(chunked(large, 1024))) {
      if (event.type === 'completed') break;
    }
    largeRates.push(large.length / 1024 / 1024 / ((nowMs() - start) / 1000));
  }
  const largeRate = median(largeRates);
  results['sse_parser'] = {
    stream_mb: round(stream.length / 1024 / 1024),
    events: events + 1,
    rounds: 3,
    mb_per_s: round(rate, 1),
    large_event_mb: largeEventMb,
    large_event_in_1_kib_chunks_mb_per_s: round(largeRate, 1),
  };
  print(`SSE parser (${round(stream.length / 1024 / 1024)} MB, ${events + 1} events)`, [
    `parseResponsesSse: ${round(rate, 1)} MB/s (median of 3)`,
    `one ${largeEventMb} MB event in 1 KiB chunks: ${round(largeRate, 1)} MB/s (median of 3)`,
  ]);
}

const timeBin = ['/usr/bin/time', '/bin/time'].find((candidate) => existsSync(candidate));

/** Runs a command to its end; wall time from spawn to exit and peak RSS (KiB) via GNU time. */
async function measure(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
  rssFile: string,
): Promise<{ wallMs: number; rssKiB: number | null; code: number | null; stdout: string }> {
  const [file, argv] = timeBin
    ? [timeBin, ['-f', '%M', '-o', rssFile, command, ...args]]
    : [command, [...args]];
  const start = nowMs();
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    stdout += data;
  });
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const wallMs = nowMs() - start;
  let rssKiB: number | null = null;
  if (timeBin) {
    const lines = (await readFile(rssFile, 'utf8')).trim().split('\n');
    rssKiB = Number(lines.at(-1));
  }
  return { wallMs, rssKiB, code, stdout };
}

type CliFigures = { wall_median_ms: number; peak_rss_median_mib: number | null; runs: number };
type Sample = { wallMs: number; rssKiB: number | null };
type Contender = {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly check?: (stdout: string) => boolean;
  /** Runs before each of its runs, untimed. */
  readonly before?: () => Promise<void>;
};

/**
 * Runs every contender once per round, in turn, for `runs` rounds (after two warm-up rounds), so drift
 * on a shared machine hits all of them alike. A contender that fails is dropped with its reason.
 */
async function measureAlternately(
  contenders: readonly Contender[],
  options: { cwd: string; env: Record<string, string> },
  runs: number,
): Promise<Map<string, Sample[] | { skipped: string }>> {
  const samples = new Map<string, Sample[] | { skipped: string }>(
    contenders.map((contender) => [contender.label, []]),
  );
  for (let round = 0; round < runs + 2; round++) {
    for (const contender of contenders) {
      const list = samples.get(contender.label);
      if (!Array.isArray(list)) continue;
      const rssFile = path.join(options.cwd, `rss-${contender.label}.txt`);
      await contender.before?.();
      const result = await measure(contender.command, contender.args, options, rssFile);
      if (result.code !== 0 || (contender.check && !contender.check(result.stdout))) {
        samples.set(contender.label, {
          skipped: `exit ${result.code}, stdout ${JSON.stringify(result.stdout.slice(0, 200))}`,
        });
        continue;
      }
      if (round >= 2) list.push({ wallMs: result.wallMs, rssKiB: result.rssKiB }); // 2 warm-up rounds
    }
  }
  return samples;
}

function figures(samples: readonly Sample[]): CliFigures {
  const rss = samples.flatMap((sample) => (sample.rssKiB === null ? [] : [sample.rssKiB]));
  return {
    wall_median_ms: round(median(samples.map((sample) => sample.wallMs)), 1),
    peak_rss_median_mib: rss.length > 0 ? round(median(rss) / 1024, 1) : null,
    runs: samples.length,
  };
}

/** Median of the per-round ratios ours/theirs (rounds ran back to back), for wall time and peak RSS. */
function pairedRatios(
  ours: readonly Sample[],
  theirs: readonly Sample[],
): { wall: number | null; rss: number | null } {
  const count = Math.min(ours.length, theirs.length);
  const walls: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < count; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (a === undefined || b === undefined) continue;
    walls.push(a.wallMs / b.wallMs);
    if (a.rssKiB !== null && b.rssKiB !== null) rss.push(a.rssKiB / b.rssKiB);
  }
  return {
    wall: walls.length > 0 ? round(median(walls), 2) : null,
    rss: rss.length > 0 ? round(median(rss), 2) : null,
  };
}

/**
 * `codex --version` against `node -e 0`, and `codex exec` against the floor (bench/floor/exec-floor.mjs:
 * the same turn with node:http alone) and, with --reference, another codex's `exec`: all timed in turn.
 */
async function benchCli(): Promise<void> {
  if (!existsSync(codexBin)) {
    skipped('cli', `${path.relative(repoRoot, codexBin)} is not built (run pnpm build)`);
    return;
  }
  await using server = await startResponsesServer();
  await using temp = await makeTempDir('codex-bench-cli-');
  await writeFile(
    path.join(temp.dir, 'config.toml'),
    [
      'model = "gpt-bench"',
      'model_provider = "bench"',
      '[model_providers.bench]',
      'name = "Bench"',
      `base_url = ${JSON.stringify(server.url)}`,
      'experimental_bearer_token = "bench-token"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n'),
  );
  const options = {
    cwd: temp.dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: temp.dir, CODEX_HOME: temp.dir },
  };
  const runs = Math.max(5, Math.round(20 * scale));
  const node = process.execPath;
  const execArgs = ['exec', '--skip-git-repo-check', 'say ok'];
  const saysOk = (out: string) => out.includes('ok');
  const contenders: Contender[] = [
    { label: 'node', command: node, args: ['-e', '0'] },
    {
      label: 'version',
      command: node,
      args: [codexBin, '--version'],
      check: (out) => out.startsWith('codex-cli '),
    },
    { label: 'floor', command: node, args: [floorScript, 'say ok'], check: saysOk },
    { label: 'exec', command: node, args: [codexBin, ...execArgs], check: saysOk },
    {
      // the first run after an install or upgrade: no code cache yet (it writes one, removed again)
      label: 'exec_first',
      command: node,
      args: [codexBin, ...execArgs],
      check: saysOk,
      before: () => rm(path.join(temp.dir, 'cache'), { recursive: true, force: true }),
    },
  ];
  const reference = flags.reference === undefined ? undefined : path.resolve(flags.reference);
  if (reference !== undefined) {
    const [command, prefix] = /\.[cm]?js$/.test(reference) ? [node, [reference]] : [reference, []];
    contenders.push({ label: 'reference', command, args: [...prefix, ...execArgs], check: saysOk });
  }
  const samples = await measureAlternately(contenders, options, runs);
  const get = (label: string): Sample[] | { skipped: string } =>
    samples.get(label) ?? { skipped: 'not run' };

  const section: Section = {
    runs,
    order: 'alternating: one run of each per round, ratios are medians of per-round ratios',
    peak_rss_source: timeBin ? `${timeBin} -f %M` : 'unavailable (no GNU time)',
  };
  const lines: string[] = [];
  const describe = (name: string, label: string, versus?: { label: string; name: string }) => {
    const own = get(label);
    if (!Array.isArray(own)) {
      section[name] = own;
      lines.push(`${name}: skipped: ${own.skipped}`);
      return;
    }
    const entry: Record<string, unknown> = { ...figures(own) };
    let text = `${name}: wall ${entry['wall_median_ms']} ms, peak RSS ${entry['peak_rss_median_mib'] ?? 'n/a'} MiB`;
    const other = versus === undefined ? undefined : get(versus.label);
    if (versus !== undefined && Array.isArray(other)) {
      const ratios = pairedRatios(own, other);
      entry[`wall_ratio_vs_${versus.name}`] = ratios.wall;
      entry[`rss_ratio_vs_${versus.name}`] = ratios.rss;
      text += ` (vs ${versus.name}: wall x${ratios.wall}, peak RSS x${ratios.rss})`;
    }
    section[name] = entry;
    lines.push(text);
  };
  describe('node_e_0', 'node');
  describe('floor', 'floor');
  describe('codex_version', 'version', { label: 'node', name: 'node' });
  describe('codex_exec', 'exec', { label: 'floor', name: 'floor' });
  describe('codex_exec_first_run', 'exec_first', { label: 'floor', name: 'floor' });
  if (reference !== undefined) {
    describe('reference_exec', 'reference');
    const ours = get('exec');
    const theirs = get('reference');
    if (Array.isArray(ours) && Array.isArray(theirs)) {
      const ratios = pairedRatios(ours, theirs);
      section['reference_exec'] = {
        binary: reference,
        ...(section['reference_exec'] as Section),
        our_over_their_wall: ratios.wall,
        our_over_their_rss: ratios.rss,
      };
      lines.push(`codex exec / reference exec: wall x${ratios.wall}, peak RSS x${ratios.rss}`);
    }
  }
  results['cli'] = section;
  print(`CLI (${runs} alternating rounds, medians)`, lines);
}

/** `codex app-server` through 1,000 turns over JSON-RPC stdio: turns/s and RSS after warm-up and at the end. */
async function benchAppServer(): Promise<void> {
  if (!existsSync(codexBin)) {
    skipped('app_server', `${path.relative(repoRoot, codexBin)} is not built (run pnpm build)`);
    return;
  }
  await using server = await startResponsesServer();
  await using temp = await makeTempDir('codex-bench-app-server-');
  await writeFile(
    path.join(temp.dir, 'config.toml'),
    [
      'model = "gpt-bench"',
      'model_provider = "bench"',
      '[model_providers.bench]',
      'name = "Bench"',
      `base_url = ${JSON.stringify(server.url)}`,
      'experimental_bearer_token = "bench-token"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n'),
  );
  const turns = Math.max(100, Math.round(1000 * scale));
  const figures = await runAppServerTurns({ codexBin, home: temp.dir, turns, warmUpTurns: 100 });
  results['app_server'] = figures;
  print(
    `codex app-server (${figures.turns} turns after ${figures.warm_up_turns} warm-up, loopback)`,
    [
      `${figures.turns_per_second} turns/s`,
      `RSS after warm-up ${figures.rss_after_warm_up_mib ?? 'n/a'} MiB, after the turns ${figures.rss_after_turns_mib ?? 'n/a'} MiB (growth ${figures.rss_growth_mib ?? 'n/a'} MiB)`,
    ],
  );
}

/** resolve() waits with a 300 ms helper, 2 s tokens and a caller every 100 ms (see refresh-ahead.ts). */
async function benchRefreshAheadFigure(): Promise<void> {
  const { section, lines } = await benchRefreshAhead(flags.quick ? 2000 : 5000);
  results['refresh_ahead'] = section;
  print('refresh ahead (300 ms helper, 2 s tokens, a resolve() every 100 ms)', lines);
}

const benches: readonly [string, () => Promise<void>][] = [
  ['cached_resolve', benchCachedResolve],
  ['single_flight', benchSingleFlight],
  ['refresh_ahead', benchRefreshAheadFigure],
  ['request_path', benchRequestPath],
  ['sse_parser', benchSseParser],
  ['cli', benchCli],
  ['app_server', benchAppServer],
];

const started = nowMs();
console.log(
  `codex-ts bench: node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus().length} CPUs${flags.quick ? ', --quick' : ''}`,
);
const only = flags.only?.split(',');
for (const [name, bench] of benches) {
  if (only !== undefined && !only.includes(name)) continue;
  try {
    await bench();
  } catch (error) {
    skipped(name, (error as Error).message);
  }
}
const totalSeconds = round((nowMs() - started) / 1000, 1);
console.log(`\ntotal: ${totalSeconds} s`);

const document = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
  cpus: os.cpus().length,
  cpu_model: os.cpus()[0]?.model ?? 'unknown',
  quick: flags.quick,
  total_seconds: totalSeconds,
  results,
};
if (flags.quick || only !== undefined) {
  console.log('results: not written (--quick or --only)');
  process.exit(0);
}
await mkdir(path.dirname(resultsFile), { recursive: true });
const temporary = `${resultsFile}.tmp`;
await writeFile(temporary, `${JSON.stringify(document, null, 2)}\n`);
await rename(temporary, resultsFile);
console.log(`results: ${path.relative(process.cwd(), resultsFile)}`);
