import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaNode } from 'execa';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.cjs', import.meta.url));
const bundle = fileURLToPath(new URL('../dist/codex.bundle.js', import.meta.url));
const packageJson = JSON.parse(
  await readFile(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string; files: string[] };

describe('codex bin', () => {
  it('prints the version of its package', async () => {
    const result = await execaNode(bin, ['--version']);

    expect(result.stdout).toBe(`codex-cli ${packageJson.version}`);
  });

  it('ships the license notices of the packages it bundles, and no source maps', async () => {
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
    expect(packageJson.files.some((file) => file.includes('.map'))).toBe(false);
  });

  it('prints a CODEX_DEBUG=1 stack whose frames point at readable lines of the bundle', async () => {
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
      const frame = /at (?:async )?(\w+) \((\/[^:]+\.js):(\d+):\d+\)/.exec(result.stderr);
      expect(frame, result.stderr).not.toBeNull();
      const [, name = '', file = '', line = '0'] = frame ?? [];
      expect(name).toBe('runAuthCommand');
      const source = (await readFile(file, 'utf8')).split('\n');
      expect(Number(line)).toBeGreaterThan(1);
      expect(source[Number(line) - 1]?.length ?? 0).toBeLessThan(200);
      expect(source.slice(0, Number(line)).join('\n')).toMatch(/function runAuthCommand\(/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("ships the CLI as one ASCII script and undici's fetch apart from it", async () => {
    const text = await readFile(bundle, 'latin1');

    // bin.cjs reads the bundle as latin1: any byte over 0x7f would change its meaning
    expect(text).not.toMatch(/[\u0080-\uffff]/);
    expect(text).toContain('require("./undici-fetch.cjs")');
    // undici's fetch (half of undici) is not in the file every command reads
    const fetchInternals = 'function fetching(';
    expect(text).not.toContain(fetchInternals);
    expect(await readFile(new URL('../dist/undici-fetch.cjs', import.meta.url), 'utf8')).toContain(
      fetchInternals,
    );
    expect(packageJson.files).toEqual(
      expect.arrayContaining(['dist/bin.cjs', 'dist/codex.bundle.js', 'dist/undici-fetch.cjs']),
    );
  });

  it('answers a bare --version without compiling the bundle, and anything else through it', async () => {
    // a preload that reports whether the process loaded node:vm, which bin.cjs needs only for the bundle
    const home = await mkdtemp(path.join(tmpdir(), 'codex-bin-'));
    try {
      const probe = path.join(home, 'probe.cjs');
      await writeFile(
        probe,
        "process.on('exit', () => process.stderr.write(process.moduleLoadList.includes('NativeModule vm') ? 'bundle' : 'launcher'));\n",
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
      expect(withOption.stderr).toBe('bundle');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
