import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaNode } from 'execa';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.cjs', import.meta.url));
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const packageJson = JSON.parse(
  await readFile(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string; files: string[] };

/** Every file Node loads before running main.js: its static `import … from "./…"` closure. */
async function staticClosure(entry: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file)) return;
    const text = await readFile(file, 'utf8');
    seen.set(file, text.length);
    for (const match of text.matchAll(/(?:^|[;\s}])import\s*[^("'`]*?from\s*["'](\.[^"']+)["']/g)) {
      await visit(path.resolve(path.dirname(file), match[1] ?? ''));
    }
  };
  await visit(entry);
  return seen;
}

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
      const frame = /at (?:async )?(\w+) \(file:\/\/(\/[^:]+\.js):(\d+):\d+\)/.exec(result.stderr);
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

  it('starts without loading core, login or undici: subcommands are lazy chunks', async () => {
    const files = await staticClosure(main);

    const totalBytes = [...files.values()].reduce((sum, size) => sum + size, 0);
    expect(totalBytes).toBeLessThan(64 * 1024);
    const bundle = await readFile(main, 'utf8');
    expect(bundle).toMatch(/import\("\.\/chunks\/exec-[\w-]+\.js"\)/);
  });

  it('answers a bare --version without starting the ES module loader, and anything else through it', async () => {
    // a preload that reports which of Node's module loaders the process started
    const home = await mkdtemp(path.join(tmpdir(), 'codex-bin-'));
    try {
      const probe = path.join(home, 'probe.cjs');
      await writeFile(
        probe,
        "process.on('exit', () => process.stderr.write(process.moduleLoadList.includes('NativeModule internal/modules/esm/loader') ? 'esm' : 'cjs'));\n",
      );
      const run = (args: string[]) =>
        execaNode(bin, args, { nodeOptions: ['--require', probe], reject: false });

      const version = await run(['--version']);
      expect(version.stdout).toBe(`codex-cli ${packageJson.version}`);
      expect(version.stderr).toBe('cjs');
      const short = await run(['-V']);
      expect(short.stdout).toBe(`codex-cli ${packageJson.version}`);
      expect(short.stderr).toBe('cjs');
      // root options before --version go through the full command line parser
      const withOption = await run(['-c', 'model="m"', '--version']);
      expect(withOption.stdout).toBe(`codex-cli ${packageJson.version}`);
      expect(withOption.stderr).toBe('esm');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
