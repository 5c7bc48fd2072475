import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaNode } from 'execa';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.cjs', import.meta.url));
const bundle = fileURLToPath(new URL('../dist/codex.bundle.js', import.meta.url));
const execBundle = fileURLToPath(new URL('../dist/exec.bundle.js', import.meta.url));
const packageJson = JSON.parse(
  await readFile(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string; files: string[] };

const fetchInternals = '"fetch failed"';

describe('codex bin', () => {
  it('prints the version of its package', async () => {
    const result = await execaNode(bin, ['--version']);

    expect(result.stdout).toBe(`codex-cli ${packageJson.version}`);
  });

  it('ships the license notices of the packages it bundles, and a source map without sources', async () => {
    const notices = await readFile(
      new URL('../dist/THIRD-PARTY-NOTICES.txt', import.meta.url),
      'utf8',
    );

    // every third-party package the bundle carries (eventsource-parser left with the one-pass SSE parser)
    for (const name of ['undici', 'zod', 'smol-toml', 'execa']) {
      expect(notices).toMatch(new RegExp(`^${name}@\\d+\\.\\d+\\.\\d+ \\((MIT|BSD)`, 'm'));
    }
    expect(notices).toContain('Permission is hereby granted, free of charge');
    expect(notices).not.toMatch(/^@codex\/[\w-]+@\d/m);
    expect(packageJson.files).toContain('dist/THIRD-PARTY-NOTICES.txt');
    // the minified bundles' maps: positions and names only (with the sources it was three times the code)
    for (const file of [bundle, execBundle]) {
      const map = JSON.parse(await readFile(`${file}.map`, 'utf8')) as Record<string, unknown>;
      expect(map).not.toHaveProperty('sourcesContent');
      expect(map['sources']).toContain('packages/login/src/auth-command.ts');
    }
    expect(packageJson.files.filter((file) => file.includes('.map'))).toEqual([
      'dist/codex.bundle.js.map',
      'dist/exec.bundle.js.map',
    ]);
  });

  it('prints a CODEX_DEBUG=1 stack whose frames in the minified bundle name source files and lines', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'codex-bin-'));
    try {
      await writeFile(
        path.join(home, 'config.toml'),
        'model_provider = "corp"\n[model_providers.corp]\nname = "Corp"\nbase_url = "http://127.0.0.1:9/v1"\n[model_providers.corp.auth]\ncommand = "./missing-token-command"\n',
      );
      const result = await execaNode(bin, ['exec', 'hi'], {
        env: { CODEX_HOME: home, HOME: home, CODEX_DEBUG: '1' },
        extendEnv: false,
        stdin: 'ignore',
        reject: false,
      });

      expect(result.exitCode).toBe(1);
      // no frame is left pointing into a bundle
      expect(result.stderr).not.toContain('.bundle.js');
      const frame =
        /at (?:async )?[\w$.]+ \((packages\/login\/src\/auth-command\.ts):(\d+):\d+\)/.exec(
          result.stderr,
        );
      expect(frame, result.stderr).not.toBeNull();
      const [, file = '', line = '0'] = frame ?? [];
      // the line is inside runAuthCommand, which throws for a command that does not exist
      const source = (await readFile(new URL(`../../../${file}`, import.meta.url), 'utf8')).split(
        '\n',
      );
      const start = source.findIndex((text) => /function runAuthCommand\(/.test(text)) + 1;
      const end = source.findIndex((text, index) => index >= start && text === '}') + 1;
      expect(start).toBeGreaterThan(0);
      expect(Number(line)).toBeGreaterThan(start);
      expect(Number(line)).toBeLessThanOrEqual(end);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("ships the CLI as ASCII scripts and undici's fetch apart from them", async () => {
    for (const file of [bundle, execBundle]) {
      const text = await readFile(file, 'latin1');
      // bin.cjs reads a bundle as latin1: any byte over 0x7f would change its meaning
      expect(text).not.toMatch(/[\u0080-\uffff]/);
      expect(text).toContain('require("./undici-fetch.cjs")');
      // undici's fetch (half of undici) is not in the files commands read
      // (a message of undici's fetch: string literals survive minification, function names do not)
      expect(text).not.toContain(fetchInternals);
    }
    expect(await readFile(new URL('../dist/undici-fetch.cjs', import.meta.url), 'utf8')).toContain(
      fetchInternals,
    );
    expect(packageJson.files).toEqual(
      expect.arrayContaining([
        'dist/bin.cjs',
        'dist/codex.bundle.js',
        'dist/exec.bundle.js',
        'dist/undici-fetch.cjs',
      ]),
    );
  });

  it('answers a bare --version without compiling a bundle, exec through its own, and the rest through the whole CLI', async () => {
    // a preload that reports the script bin.cjs compiles with node:vm, or `launcher` when it loads no node:vm
    const home = await mkdtemp(path.join(tmpdir(), 'codex-bin-'));
    try {
      const probe = path.join(home, 'probe.cjs');
      await writeFile(
        probe,
        [
          "const vm = require('node:vm');",
          'const Script = vm.Script;',
          "let compiled = 'launcher';",
          "vm.Script = function (code, options) { compiled = require('node:path').basename(options.filename); return new Script(code, options); };",
          "process.on('exit', () => process.stderr.write(compiled));",
          '',
        ].join('\n'),
      );
      const run = (args: string[]) =>
        execaNode(bin, args, {
          nodeOptions: ['--require', probe],
          env: { CODEX_HOME: home, HOME: home },
          extendEnv: false,
          reject: false,
        });

      const version = await run(['--version']);
      expect(version.stdout).toBe(`codex-cli ${packageJson.version}`);
      expect(version.stderr).toBe('launcher');
      const short = await run(['-V']);
      expect(short.stdout).toBe(`codex-cli ${packageJson.version}`);
      expect(short.stderr).toBe('launcher');
      // root options before --version go through the full command line parser
      const withOption = await run(['-c', 'model="m"', '--version']);
      expect(withOption.stdout).toBe(`codex-cli ${packageJson.version}`);
      expect(withOption.stderr).toBe('codex.bundle.js');
      for (const args of [
        ['exec', '--help'],
        ['-c', 'model="m"', 'e', '--help'],
      ]) {
        const exec = await run(args);
        expect(exec.stdout).toContain('Usage: codex exec');
        expect(exec.stderr).toBe('exec.bundle.js');
      }
      const help = await run(['help', 'exec']);
      expect(help.stdout).toContain('Usage: codex exec');
      expect(help.stderr).toBe('codex.bundle.js');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
