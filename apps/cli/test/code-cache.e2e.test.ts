// The launcher's V8 code cache (src/bin.ts): written under $CODEX_HOME/cache/v8 by a run that went
// through, used by the next run of the same subcommand, replaced when V8 rejects it.
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { completedReply, type ResponsesServer, startResponsesServer } from '@codex/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CodexHome, makeCodexHome, providerConfig } from './helpers/codex-e2e.ts';

let server: ResponsesServer;

beforeEach(async () => {
  server = await startResponsesServer();
});

afterEach(async () => {
  await server.close();
});

// reports on stderr whether V8 accepted the cached data bin.cjs gave node:vm (`none` when it gave none)
const probeSource = `
const vm = require('node:vm');
const Script = vm.Script;
let verdict = 'no-script';
vm.Script = function (source, options) {
  const script = new Script(source, options);
  verdict = options?.cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return script;
};
process.on('exit', () => process.stderr.write('[code cache: ' + verdict + ']'));
`;

async function homeWithProbe(): Promise<{
  home: CodexHome;
  run: (
    ...args: string[]
  ) => Promise<{ exitCode: number | undefined; stdout: string; verdict: string }>;
}> {
  const home = await makeCodexHome(providerConfig(server.url, 'env_key = "MOCK_API_KEY"'));
  const probe = path.join(home.dir, 'probe.cjs');
  await writeFile(probe, probeSource);
  const run = async (...args: string[]) => {
    const result = await home.run(args, {
      env: { MOCK_API_KEY: 'sk-cache', NODE_OPTIONS: `--require ${probe}` },
    });
    return {
      exitCode: result.exitCode,
      stdout: result.stdout,
      verdict: /\[code cache: ([\w-]+)\]/.exec(result.stderr)?.[1] ?? `missing in ${result.stderr}`,
    };
  };
  return { home, run };
}

async function cacheFiles(home: CodexHome): Promise<string[]> {
  return (await readdir(path.join(home.codexHome, 'cache', 'v8')).catch(() => [])).sort();
}

describe('the code cache of codex (built bin)', () => {
  it('is written by the first exec, private, and used unchanged by the next', async () => {
    const { home, run } = await homeWithProbe();
    server.enqueue(completedReply('first'));
    server.enqueue(completedReply('second'));

    const first = await run('exec', 'hi');
    const [name = ''] = await cacheFiles(home);
    const file = path.join(home.codexHome, 'cache', 'v8', name);
    const written = await stat(file);
    const second = await run('exec', 'hi');

    expect([first.exitCode, first.stdout, first.verdict]).toEqual([0, 'first', 'none']);
    expect([second.exitCode, second.stdout, second.verdict]).toEqual([0, 'second', 'accepted']);
    const nodeVersion = process.version.replaceAll('.', '\\.');
    expect(name).toMatch(new RegExp(`^[0-9a-f]{16}-${nodeVersion}-${process.arch}-exec\\.bin$`));
    expect(await cacheFiles(home)).toEqual([name]);
    expect(written.mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    // an accepted cache is not written again
    const after = await stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
  });

  it("keeps one cache per subcommand, and `codex e` shares exec's", async () => {
    const { home, run } = await homeWithProbe();
    server.enqueue(completedReply('one'));
    server.enqueue(completedReply('two'));

    const exec = await run('exec', 'hi');
    const help = await run('login', '--help');
    const alias = await run('-c', 'model="gpt-test"', 'e', 'hi');

    expect([exec.exitCode, help.exitCode, alias.exitCode]).toEqual([0, 0, 0]);
    expect([exec.verdict, help.verdict, alias.verdict]).toEqual(['none', 'none', 'accepted']);
    expect((await cacheFiles(home)).map((name) => name.replace(/^.*-/, ''))).toEqual([
      'exec.bin',
      'login.bin',
    ]);
  });

  it('replaces a cache V8 rejects, and answers the same', async () => {
    const { home, run } = await homeWithProbe();
    server.enqueue(completedReply('before'));
    server.enqueue(completedReply('corrupt'));
    server.enqueue(completedReply('after'));
    await run('exec', 'hi');
    const [name = ''] = await cacheFiles(home);
    const file = path.join(home.codexHome, 'cache', 'v8', name);
    await writeFile(file, 'not a V8 code cache');

    const corrupt = await run('exec', 'hi');
    const after = await run('exec', 'hi');

    expect([corrupt.exitCode, corrupt.stdout, corrupt.verdict]).toEqual([0, 'corrupt', 'rejected']);
    expect([after.exitCode, after.stdout, after.verdict]).toEqual([0, 'after', 'accepted']);
    expect((await readFile(file)).length).toBeGreaterThan(100_000);
  });

  it('writes none for a run that fails', async () => {
    const { home, run } = await homeWithProbe();
    server.enqueue({ kind: 'status', status: 400, body: { error: { message: 'bad request' } } });

    const failed = await run('exec', 'hi');
    const usage = await run('exec', '--no-such-flag');

    expect([failed.exitCode, usage.exitCode]).toEqual([1, 2]);
    expect(await cacheFiles(home)).toEqual([]);
  });

  it('answers the same when the cache cannot be written', async () => {
    const { home, run } = await homeWithProbe();
    // a file where the cache directory would be: creating it fails (permissions would not stop root)
    await mkdir(path.join(home.codexHome, 'cache'));
    await writeFile(path.join(home.codexHome, 'cache', 'v8'), 'in the way');
    server.enqueue(completedReply('first'));
    server.enqueue(completedReply('second'));

    const first = await run('exec', 'hi');
    const second = await run('exec', 'hi');

    expect([first.exitCode, first.stdout, first.verdict]).toEqual([0, 'first', 'none']);
    expect([second.exitCode, second.stdout, second.verdict]).toEqual([0, 'second', 'none']);
    expect(await readFile(path.join(home.codexHome, 'cache', 'v8'), 'utf8')).toBe('in the way');
  });

  it('writes none when $CODEX_HOME does not exist, and creates no ~/.codex', async () => {
    const { home } = await homeWithProbe();

    const result = await home.run(['--help'], { env: { CODEX_HOME: '' } });

    expect(result.exitCode).toBe(0);
    expect(await readdir(home.dir)).toEqual(['home', 'probe.cjs']);
  });

  it('removes stale caches of other builds and left-over temporary files when it writes', async () => {
    const { home, run } = await homeWithProbe();
    const dir = path.join(home.codexHome, 'cache', 'v8');
    await mkdir(dir, { recursive: true });
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 60 * 60 * 1000);
    const twoMinutesAgo = new Date(Date.now() - 2 * 60 * 1000);
    const stale = {
      'aaaaaaaaaaaaaaaa-v20.0.0-x64-exec.bin': eightDaysAgo,
      'other-exec.bin.123.tmp': twoMinutesAgo,
    };
    const kept = {
      'bbbbbbbbbbbbbbbb-v20.0.0-x64-exec.bin': new Date(),
      'other-exec.bin.456.tmp': new Date(),
    };
    for (const [name, time] of Object.entries({ ...stale, ...kept })) {
      await writeFile(path.join(dir, name), 'old');
      await utimes(path.join(dir, name), time, time);
    }
    server.enqueue(completedReply('ok'));

    expect((await run('exec', 'hi')).exitCode).toBe(0);
    const names = await cacheFiles(home);

    const written = names.filter((name) => !(name in kept) && !(name in stale));
    expect(written).toEqual([expect.stringMatching(/^[0-9a-f]{16}-v.+-exec\.bin$/)]);
    expect(names.filter((name) => name in kept || name in stale)).toEqual(Object.keys(kept).sort());
  });
});
