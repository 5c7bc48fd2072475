// The packages as npm users get them: each public package is packed (`pnpm pack`), the tarballs are
// installed into a scratch project in a temp dir with `npm install --engine-strict` (no workspace
// links; their registry dependencies come from the npm registry or its cache), and consumers use them:
// ESM, CommonJS, `tsc --noEmit` under node16 and bundler resolution, and the installed `codex` bin.
// publint and @arethetypeswrong/cli (profile esm-only) check every tarball.
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  completedReply,
  makeTempDir,
  type ResponsesServer,
  startResponsesServer,
} from '@codex/test-support';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const bin = (name: string) =>
  fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
const publicPackages = ['packages/protocol', 'packages/login', 'packages/core', 'apps/cli'];

type Packed = { readonly name: string; readonly version: string; readonly tarball: string };

let scratch: Awaited<ReturnType<typeof makeTempDir>>;
const packed: Packed[] = [];
let server: ResponsesServer;
let codexHome: string;

/** A scratch project's environment: nothing from the workspace, the loopback provider in config.toml. */
function consumerEnv(): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: scratch.dir,
    CODEX_HOME: codexHome,
    CONSUMER_TOKEN_COMMAND: path.join(scratch.dir, 'print-token.mjs'),
  };
}

function runInScratch(file: string, args: readonly string[] = [], env = consumerEnv()) {
  return execa(file, args, { cwd: scratch.dir, env, extendEnv: false, reject: false });
}

beforeAll(async () => {
  scratch = await makeTempDir('codex-consumer-');
  const tarballs = path.join(scratch.dir, 'tarballs');
  await mkdir(tarballs);
  for (const directory of publicPackages) {
    const cwd = path.join(repo, directory);
    const manifest = JSON.parse(await readFile(path.join(cwd, 'package.json'), 'utf8')) as Packed;
    await execa('npx', ['-y', 'pnpm@10.34.8', 'pack', '--pack-destination', tarballs], { cwd });
    const tarball = path.join(
      tarballs,
      `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`,
    );
    packed.push({ name: manifest.name, version: manifest.version, tarball });
  }
  await writeFile(
    path.join(scratch.dir, 'package.json'),
    JSON.stringify({
      name: 'codex-consumer',
      private: true,
      type: 'module',
      dependencies: Object.fromEntries(
        packed.map((entry) => [entry.name, `file:${entry.tarball}`]),
      ),
    }),
  );
  await execa(
    'npm',
    [
      'install',
      '--engine-strict',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
    ],
    { cwd: scratch.dir, env: { ...process.env, npm_config_update_notifier: 'false' } },
  );
  for (const name of await readdir(fixtures)) {
    await copyFile(path.join(fixtures, name), path.join(scratch.dir, name));
  }

  server = await startResponsesServer();
  codexHome = path.join(scratch.dir, 'codex-home');
  await mkdir(codexHome);
  await writeFile(
    path.join(codexHome, 'config.toml'),
    [
      'model = "consumer-model"',
      'model_provider = "loopback"',
      '[model_providers.loopback]',
      'name = "Loopback"',
      `base_url = ${JSON.stringify(server.url)}`,
      '[model_providers.loopback.auth]',
      `command = ${JSON.stringify(process.execPath)}`,
      `args = [${JSON.stringify(path.join(scratch.dir, 'print-token.mjs'))}]`,
      '',
    ].join('\n'),
  );
}, 300_000);

afterAll(async () => {
  await server?.close();
  await scratch?.dispose();
});

describe('the packed packages in a scratch npm project', () => {
  it('installs with --engine-strict from the tarballs alone, no workspace links', async () => {
    for (const entry of packed) {
      const installed = path.join(scratch.dir, 'node_modules', ...entry.name.split('/'));
      const manifest = JSON.parse(await readFile(path.join(installed, 'package.json'), 'utf8'));
      expect(manifest.version).toBe(entry.version);
      expect(JSON.stringify(manifest)).not.toMatch(/workspace:|catalog:/);
      for (const field of ['description', 'license', 'homepage', 'bugs', 'keywords', 'engines']) {
        expect(manifest[field], `${entry.name} ${field}`).toBeDefined();
      }
      expect(manifest.repository?.directory, entry.name).toBeDefined();
      const files = await readdir(installed);
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md']));
    }
  });

  it.each([
    ['ESM', 'esm-consumer.mjs', 'hello from an ESM consumer'],
    ['CommonJS', 'cjs-consumer.cjs', 'hello from a CommonJS consumer'],
  ])(
    '%s consumer: a command token, refreshed after a rejection, and a turn with 401 recovery',
    async (_kind, file, prompt) => {
      await writeFile(path.join(scratch.dir, 'runs.log'), '');
      const before = server.requests.length;
      server.enqueue(
        { kind: 'status', status: 401, body: { error: { message: 'expired' } } },
        completedReply(`answer to ${prompt}`),
      );

      const result = await runInScratch(process.execPath, [file]);

      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        commandRuns: 2,
        cachedIsFirst: true,
        refreshedIsNew: true,
        answer: `answer to ${prompt}`,
      });
      // the refresher's two runs made tokens 1 and 2; the turn's client ran the command for 3, then 4
      expect(
        server.requests.slice(before).map((request) => request.headers['authorization']),
      ).toEqual(['Bearer consumer-token-3', 'Bearer consumer-token-4']);
      expect(result.stdout + result.stderr).not.toContain('consumer-token');
    },
  );

  it('type-checks against the packed declarations under node16 and bundler resolution', async () => {
    // node16 checks every declaration file too (skipLibCheck off: our .d.ts and what they import, which
    // is most of the cost); bundler then checks only how the consumer resolves and uses them
    const resolutions = {
      node16: { module: 'node16', moduleResolution: 'node16', skipLibCheck: false },
      bundler: { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true },
    };
    const results = await Promise.all(
      Object.entries(resolutions).map(async ([name, resolution]) => {
        const tsconfig = path.join(scratch.dir, `tsconfig.${name}.json`);
        await writeFile(
          tsconfig,
          JSON.stringify({
            compilerOptions: {
              ...resolution,
              target: 'es2022',
              strict: true,
              noEmit: true,
              types: ['node'],
              typeRoots: [path.join(repo, 'node_modules', '@types')],
            },
            files: ['typed-consumer.ts'],
          }),
        );
        const result = await runInScratch(bin('tsc'), ['-p', tsconfig]);
        return { name, exitCode: result.exitCode, output: result.stdout + result.stderr };
      }),
    );

    expect(results).toEqual([
      { name: 'node16', exitCode: 0, output: '' },
      { name: 'bundler', exitCode: 0, output: '' },
    ]);
  }, 300_000);

  it('installs a codex bin that prints the package version and runs a turn', async () => {
    const cli = packed.find((entry) => entry.name === '@codex/cli');
    await writeFile(path.join(scratch.dir, 'runs.log'), '');
    server.enqueue(completedReply('hello from the installed codex'));

    const codex = path.join(scratch.dir, 'node_modules', '.bin', 'codex');
    const version = await runInScratch(codex, ['--version']);
    const turn = await runInScratch(codex, ['exec', 'say hello']);

    expect(version.stdout).toBe(`codex-cli ${cli?.version}`);
    expect(turn.exitCode, turn.stderr).toBe(0);
    expect(turn.stdout).toBe('hello from the installed codex');
  });

  it('passes publint on every tarball', async () => {
    for (const entry of packed) {
      const result = await execa(bin('publint'), ['run', entry.tarball, '--strict'], {
        reject: false,
      });
      process.stdout.write(`publint ${path.basename(entry.tarball)}:\n${result.stdout}\n`);
      expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).not.toMatch(/warning|error|suggestion/i);
      expect(result.stdout + result.stderr).toContain('All good!');
    }
  });

  it('passes @arethetypeswrong/cli with the esm-only profile on every tarball', async () => {
    for (const entry of packed.filter((candidate) => candidate.name !== '@codex/cli')) {
      const result = await execa(
        bin('attw'),
        [entry.tarball, '--profile', 'esm-only', '--format', 'table-flipped'],
        {
          reject: false,
          env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
        },
      );
      process.stdout.write(`attw ${path.basename(entry.tarball)}:\n${result.stdout}\n`);
      expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
      // ESM-only: node10 and require() from CommonJS are out of the profile; ESM and bundlers resolve
      expect(result.stdout).toMatch(
        new RegExp(`"${entry.name}"\\s*│\\s*🟢 \\(ESM\\)\\s*│\\s*🟢\\s*│`),
      );
    }
  });
});
