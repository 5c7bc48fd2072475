// `pnpm demo`: the main job of codex-ts, offline, with real parts. A loopback gateway accepts only
// the short-lived tokens it issued; a real auth command (print-token.mjs) obtains them; the built
// `codex exec` runs one turn, gets a 401 for an expired token, reruns the command, resends the
// request and prints the answer. Each step is narrated from what the gateway actually saw.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GatewayEvent, startTokenGateway } from '@codex/test-support';

const codexBin = fileURLToPath(new URL('../../cli/dist/bin.cjs', import.meta.url));
const authCommand = fileURLToPath(new URL('./print-token.mjs', import.meta.url));
const prompt = 'Say hello through the gateway';
const answer = 'Hello from behind the gateway.';
const clockJumpMs = 2 * 60_000;

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

type Run = { readonly exitCode: number | null; readonly stdout: string; readonly stderr: string };

/** Runs a Node script to the end, collecting its output. */
async function runNode(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [exitCode] = (await once(child, 'close')) as [number | null];
  return { exitCode, stdout, stderr };
}

function describeEvent(event: GatewayEvent): string {
  switch (event.kind) {
    case 'issued':
      return `the auth command ran again and signed in -> token #${event.tokenNumber}`;
    case 'accepted':
      return `request resent with token #${event.tokenNumber} -> 200 OK, the answer streams back`;
    case 'rejected': {
      const token = event.tokenNumber === null ? 'no valid token' : `token #${event.tokenNumber}`;
      const why =
        event.reason === 'expired'
          ? `token expired ${Math.round((event.expiredForMs ?? 0) / 1000)} s ago`
          : `${event.reason} token`;
      return `request with ${token} -> 401 Unauthorized (${why})`;
    }
  }
}

/** The order the demo exists to show: a 401 for token #1, a new token #2, the resend accepted. */
function recovered(events: readonly GatewayEvent[]): boolean {
  const kinds = events.map((event) => `${event.kind} ${event.tokenNumber}`);
  return kinds.join(', ') === 'rejected 1, issued 2, accepted 2';
}

async function main(): Promise<number> {
  await using gateway = await startTokenGateway({ answer });
  const home = await mkdtemp(path.join(tmpdir(), 'codex-demo-'));
  try {
    const cacheFile = path.join(home, 'token-cache');
    await writeFile(
      path.join(home, 'config.toml'),
      [
        'model = "demo-model"',
        'model_provider = "gateway"',
        '',
        '[model_providers.gateway]',
        'name = "Demo gateway"',
        `base_url = ${JSON.stringify(gateway.url)}`,
        '',
        '[model_providers.gateway.auth]',
        `command = ${JSON.stringify(process.execPath)}`,
        `args = ${JSON.stringify([authCommand, gateway.tokenUrl, cacheFile])}`,
        '',
      ].join('\n'),
    );
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, CODEX_HOME: home };

    say('codex-ts demo: one `codex exec` turn through a gateway that accepts only the short-lived');
    say(
      `tokens it issued. Gateway: ${gateway.url} (tokens live ${gateway.tokenLifetimeMs / 1000} s).`,
    );
    say(
      'The provider gets its token from an auth command: print-token.mjs signs in to the gateway.',
    );
    say();

    const saved = await runNode([authCommand, gateway.tokenUrl, cacheFile, '--save'], env);
    if (saved.exitCode !== 0) throw new Error(`print-token.mjs --save failed: ${saved.stderr}`);
    say('1. Earlier, the auth command signed in: the gateway issued token #1, kept in its cache.');
    gateway.advanceClock(clockJumpMs);
    say(`2. ${clockJumpMs / 60_000} minutes pass on the gateway's clock: token #1 has expired.`);
    say(`3. codex exec "${prompt}"`);
    say('   the auth command prints token #1 from its cache');

    const seen: GatewayEvent[] = [];
    gateway.onEvent((event) => {
      seen.push(event);
      say(`   gateway: ${describeEvent(event)}`);
    });
    const turn = await runNode([codexBin, 'exec', '--skip-git-repo-check', prompt], env);
    const commandRuns = (await readFile(`${cacheFile}.log`, 'utf8')).split('\n').filter(Boolean);

    if (turn.exitCode !== 0 || !recovered(seen)) {
      say();
      say(`The demo did not go as planned: codex exited ${turn.exitCode}.`);
      if (turn.stderr.trim() !== '') say(turn.stderr.trimEnd());
      return 1;
    }
    say(`4. codex printed the answer and exited 0: ${turn.stdout.trim()}`);
    say();
    say(
      `One 401, one rerun of the auth command (${commandRuns.length - 1} runs in all), one resend. ` +
        'No token appeared in any output.',
    );
    say('With a real provider: set CODEX_API_KEY (or run `codex login`), then');
    say('  npx -y pnpm@10.34.8 --silent codex exec "Say hello"');
    return 0;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
