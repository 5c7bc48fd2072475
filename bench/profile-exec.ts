// `node --conditions=@codex/source --import tsx bench/profile-exec.ts [runs] [-- codex args]`: runs
// `codex exec` (or the given args) under `node --cpu-prof` against a loopback server and prints where
// the time goes: self time per bundle file and per function, summed over the runs. Needs a built CLI.
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir, startResponsesServer } from '../packages/test-support/src/index.ts';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const repoRoot = path.resolve(import.meta.dirname, '..');
const codexBin = path.join(repoRoot, 'apps/cli/dist/bin.cjs');
const separator = process.argv.indexOf('--');
const runs = Number(process.argv[2] ?? 5) || 5;
const codexArgs =
  separator === -1
    ? ['exec', '--skip-git-repo-check', 'say ok']
    : process.argv.slice(separator + 1);

await using server = await startResponsesServer();
await using temp = await makeTempDir('codex-profile-');
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
const profiles = process.env['CODEX_PROFILE_DIR'] ?? path.join(temp.dir, 'profiles');
for (let i = 0; i < runs; i++) {
  const child = spawn(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', profiles, codexBin, ...codexArgs],
    {
      cwd: temp.dir,
      env: { PATH: process.env['PATH'] ?? '', HOME: temp.dir, CODEX_HOME: temp.dir },
      stdio: 'ignore',
    },
  );
  await new Promise((resolve) => child.on('close', resolve));
}

const byFile = new Map<string, number>();
const byFunction = new Map<string, number>();
let totalUs = 0;
for (const name of await readdir(profiles)) {
  const profile = JSON.parse(await readFile(path.join(profiles, name), 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  profile.samples.forEach((id, index) => {
    const node = nodes.get(id);
    const us = profile.timeDeltas[index] ?? 0;
    if (node === undefined) return;
    totalUs += us;
    const { url, functionName, lineNumber } = node.callFrame;
    const file = url === '' ? `(${functionName || 'native'})` : url.replace(/^.*\/dist\//, 'dist/');
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  });
}
const top = (map: Map<string, number>, count: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${(us / 1000 / runs).toFixed(1).padStart(7)} ms  ${key}`);
console.log(
  `codex ${codexArgs.join(' ')}: ${(totalUs / 1000 / runs).toFixed(1)} ms sampled per run (${runs} runs)`,
);
console.log('\nself time per file (ms per run)');
for (const line of top(byFile, 15)) console.log(`  ${line}`);
console.log('\nself time per function (ms per run)');
for (const line of top(byFunction, 25)) console.log(`  ${line}`);
