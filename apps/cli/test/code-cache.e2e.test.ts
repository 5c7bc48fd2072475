// The launcher's V8 code cache (src/bin.ts): written under $CODEX_HOME/cache/v8 by a run that went
// through, used by the next run of the same subcommand, replaced when V8 rejects it.
import { execFileSync } from 'node:child_process';
import {
  chmod,
  chown,
  cp,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { completedReply } from '@codex/test-support';
import { execa, execaNode } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  bin,
  type CodexHome,
  makeCodexHome,
  providerConfig,
  useResponsesServer,
} from './helpers/codex-e2e.ts';

const server = useResponsesServer();

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

/** Runs the launcher of a copy of dist/ (`copy`) with the home's environment and its provider key. */
function runCopy(copy: string, home: CodexHome, args: string[], env: Record<string, string> = {}) {
  return execaNode(path.join(copy, 'bin.cjs'), args, {
    cwd: home.dir,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: home.dir,
      CODEX_HOME: home.codexHome,
      MOCK_API_KEY: 'sk-cache',
      ...env,
    },
    extendEnv: false,
    input: '',
    reject: false,
  });
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
    // the probe comes in through NODE_OPTIONS: a digest of the options ends the name
    expect(name).toMatch(
      new RegExp(`^[0-9a-f]{16}-${nodeVersion}-${process.arch}-exec-[0-9a-f]{8}\\.bin$`),
    );
    expect(await cacheFiles(home)).toEqual([name]);
    expect(written.mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    // an accepted cache is not written again
    const after = await stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
  });

  it("keeps one cache per subcommand and per bundle's help, and `codex e` shares exec's", async () => {
    const { home, run } = await homeWithProbe();
    server.enqueue(completedReply('one'));
    server.enqueue(completedReply('two'));

    // help first: it runs none of exec, so it must not become exec's cache
    const help = await run('exec', '--help');
    const exec = await run('exec', 'hi');
    const logout = await run('logout');
    const alias = await run('-c', 'model="gpt-test"', 'e', 'hi');
    // exec's help (exec.bundle.js) and logout's (codex.bundle.js) keep their own slots: neither evicts the other
    const logoutHelp = await run('logout', '--help');
    const execHelp = await run('e', '-h');

    expect(
      [help, exec, logout, alias, logoutHelp, execHelp].map((result) => result.exitCode),
    ).toEqual([0, 0, 0, 0, 0, 0]);
    expect(
      [help, exec, logout, alias, logoutHelp, execHelp].map((result) => result.verdict),
    ).toEqual(['none', 'none', 'none', 'accepted', 'none', 'accepted']);
    const slot = new RegExp(`-${process.arch}-([\\w-]+)-[0-9a-f]{8}\\.bin$`);
    expect((await cacheFiles(home)).map((name) => slot.exec(name)?.[1])).toEqual([
      'exec',
      'exec-help',
      'help',
      'logout',
    ]);
  });

  // class: a cache that is not exactly what this user's CLI wrote (V8 has no checksum in release builds:
  // flipped bytes crash it), or that someone else could have written (a cache is code), is not used
  it.each([
    [
      'with bytes flipped in the middle',
      async (file: string) => {
        const data = await readFile(file);
        data.fill(0x41, 200_000, 200_004);
        await writeFile(file, data);
      },
    ],
    ['that is not a code cache', (file: string) => writeFile(file, 'not a V8 code cache')],
    [
      'that is a FIFO',
      async (file: string) => {
        await rm(file);
        execFileSync('mkfifo', [file]);
      },
    ],
    [
      'that is a symlink',
      async (file: string) => {
        await rename(file, `${file}.real`);
        await symlink(`${file}.real`, file);
      },
    ],
    ['in a directory others can write', (file: string) => chmod(path.dirname(file), 0o777)],
    ['owned by another user', (file: string) => chown(file, 65534, 65534)],
  ])('does not use a cache %s, answers the same, and writes its own', async (_, spoil) => {
    const { home, run } = await homeWithProbe();
    for (const text of ['before', 'spoilt', 'after']) server.enqueue(completedReply(text));
    await run('exec', 'hi');
    const [name = ''] = await cacheFiles(home);
    await spoil(path.join(home.codexHome, 'cache', 'v8', name));

    const spoilt = await run('exec', 'hi');
    const after = await run('exec', 'hi');

    expect([spoilt.exitCode, spoilt.stdout, spoilt.verdict]).toEqual([0, 'spoilt', 'none']);
    expect([after.exitCode, after.stdout, after.verdict]).toEqual([0, 'after', 'accepted']);
  });

  // class: a symlink where the cache directories go must not carry the cache's chmod, pruning or file elsewhere
  it.each([
    ['cache/v8', (home: CodexHome) => path.join(home.codexHome, 'cache', 'v8')],
    ['cache', (home: CodexHome) => path.join(home.codexHome, 'cache')],
  ])('writes nothing through a symlinked %s, and answers the same', async (_, linkPath) => {
    const { home, run } = await homeWithProbe();
    const elsewhere = path.join(home.dir, 'elsewhere');
    await mkdir(elsewhere, { mode: 0o755 });
    await chmod(elsewhere, 0o755);
    // what the pruning of stale caches and temporary files would remove
    const old = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000);
    for (const name of ['thesis.docx', 'build.tmp']) {
      await writeFile(path.join(elsewhere, name), 'keep');
      await utimes(path.join(elsewhere, name), old, old);
    }
    const link = linkPath(home);
    await mkdir(path.dirname(link), { recursive: true, mode: 0o700 });
    await symlink(elsewhere, link);
    server.enqueue(completedReply('first'));
    server.enqueue(completedReply('second'));

    const first = await run('exec', 'hi');
    const second = await run('exec', 'hi');

    expect([first.exitCode, first.stdout, second.exitCode, second.stdout]).toEqual([
      0,
      'first',
      0,
      'second',
    ]);
    expect((await readdir(elsewhere)).sort()).toEqual(['build.tmp', 'thesis.docx']);
    expect((await stat(elsewhere)).mode & 0o777).toBe(0o755);
  });

  it('writes under the real $CODEX_HOME when its path has a `..` after a symlink', async () => {
    const { home } = await homeWithProbe();
    // CODEX_HOME=<dir>/link/.. where link -> <home>/deep: the kernel resolves it to <home>, the text to <dir>
    const deep = path.join(home.codexHome, 'deep');
    await mkdir(deep);
    await symlink(deep, path.join(home.dir, 'link'));
    server.enqueue(completedReply('real'));

    const result = await home.run(['exec', 'hi'], {
      // not path.join, which would resolve the `..` by its text
      env: { MOCK_API_KEY: 'sk-cache', CODEX_HOME: `${home.dir}/link/..` },
    });

    expect([result.exitCode, result.stdout], result.stderr).toEqual([0, 'real']);
    expect(await readdir(home.dir)).not.toContain('cache');
    expect(await cacheFiles(home)).toHaveLength(1);
  });

  it('keeps apart the caches of two copies of one build, so stacks name and map each one', async () => {
    const { home } = await homeWithProbe();
    const copies = [path.join(home.dir, 'one'), path.join(home.dir, 'two')];
    for (const copy of copies) {
      await cp(path.dirname(bin), copy, { recursive: true, preserveTimestamps: true });
    }
    // as npm and pnpm unpack a tarball: every file of both copies has the same mtime
    const packed = new Date('1985-10-26T08:15:00Z');
    for (const copy of copies) {
      await utimes(path.join(copy, 'exec.bundle.js'), packed, packed);
    }
    server.enqueue(completedReply('one'));
    server.enqueue(completedReply('two'));

    // each copy's first turn writes its cache; the second copy's error then runs from its own
    const answers = [
      (await runCopy(copies[0] ?? '', home, ['exec', 'hi'])).stdout,
      (await runCopy(copies[1] ?? '', home, ['exec', 'hi'])).stdout,
    ];
    const debug = await runCopy(
      copies[1] ?? '',
      home,
      ['exec', '-i', path.join(home.dir, 'missing.png'), 'hi'],
      { CODEX_DEBUG: '1' },
    );

    expect(answers).toEqual(['one', 'two']);
    expect(debug.exitCode).toBe(1);
    // the frames of the second copy's stack are mapped: none is left in either copy's bundle
    expect(debug.stderr).not.toContain('.bundle.js');
    expect(debug.stderr).toMatch(/\(apps\/cli\/src\/exec-input\.ts:\d+:\d+\)/);
    expect(
      (await cacheFiles(home)).filter((name) => /-exec-[0-9a-f]{8}\.bin$/.test(name)),
    ).toHaveLength(2);
  });

  it('does not run a same-length edit of the bundle from the cache of the original', async () => {
    const { home } = await homeWithProbe();
    const copy = path.join(home.dir, 'dist');
    await cp(path.dirname(bin), copy, { recursive: true });
    const bundleFile = path.join(copy, 'exec.bundle.js');
    const original = await readFile(bundleFile, 'latin1');
    server.enqueue(completedReply('original'));

    const first = await runCopy(copy, home, ['exec', 'hi']);
    // same length, other text: V8 alone would take the old cache for it
    const edited = original.replace(
      'No prompt provided via stdin.',
      'No prompt PROVIDED via stdin.',
    );
    await writeFile(bundleFile, edited, 'latin1');
    const second = await runCopy(copy, home, ['exec']);

    expect([first.exitCode, first.stdout]).toEqual([0, 'original']);
    expect(edited).not.toBe(original);
    expect(edited.length).toBe(original.length);
    expect(second.stderr).toContain('No prompt PROVIDED via stdin.');
  });

  it('makes its directories and file private whatever the umask', async () => {
    const { home } = await homeWithProbe();
    server.enqueue(completedReply('strict'));
    const env = {
      PATH: process.env['PATH'] ?? '',
      CODEX_HOME: home.codexHome,
      HOME: home.dir,
      MOCK_API_KEY: 'k',
    };

    // `umask 277` would leave cache/ unwritable (dr-x------), and so every later run without a cache
    // (async: the Responses server runs in this process)
    const { stdout } = await execa(
      'sh',
      ['-c', 'umask 277 && exec "$0" "$@"', process.execPath, bin, 'exec', 'hi'],
      { cwd: home.dir, env, extendEnv: false, input: '', timeout: 60_000 },
    );
    const v8Dir = path.join(home.codexHome, 'cache', 'v8');
    const names = await cacheFiles(home);

    expect(stdout).toBe('strict');
    expect(names).toHaveLength(1);
    expect((await stat(path.dirname(v8Dir))).mode & 0o777).toBe(0o700);
    expect((await stat(v8Dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(v8Dir, names[0] ?? ''))).mode & 0o777).toBe(0o600);
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
    expect(written).toEqual([expect.stringMatching(/^[0-9a-f]{16}-v.+-exec-[0-9a-f]{8}\.bin$/)]);
    expect(names.filter((name) => name in kept || name in stale)).toEqual(Object.keys(kept).sort());
  });
});
