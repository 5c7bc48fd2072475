// The long-lived figure for `pnpm bench`: `codex app-server` driven over JSON-RPC stdio (as a parent
// app does) through `turns` turns against a loopback Responses server: turns per second, and the
// server process's RSS after the warm-up turns and after all of them (from /proc/<pid>/status).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

type Message = {
  id?: number;
  method?: string;
  result?: unknown;
  error?: unknown;
  params?: unknown;
};

export type AppServerFigures = {
  turns: number;
  warm_up_turns: number;
  turns_per_second: number;
  rss_after_warm_up_mib: number | null;
  rss_after_turns_mib: number | null;
  rss_growth_mib: number | null;
};

async function rssMiB(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const kib = status === null ? null : /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kib == null ? null : Math.round((Number(kib) / 1024) * 10) / 10;
}

/**
 * Runs `turns` turns (each on its own thread, as a parent app starting a conversation), after
 * `warmUpTurns` untimed ones. The config in `home` must point at the loopback server.
 */
export async function runAppServerTurns(options: {
  readonly codexBin: string;
  readonly home: string;
  readonly turns: number;
  readonly warmUpTurns: number;
}): Promise<AppServerFigures> {
  const child = spawn(process.execPath, [options.codexBin, 'app-server'], {
    cwd: options.home,
    env: { PATH: process.env['PATH'] ?? '', HOME: options.home, CODEX_HOME: options.home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const waiting = new Map<number, (message: Message) => void>();
  let turnDone: ((message: Message) => void) | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as Message;
    if (message.id !== undefined && message.method === undefined) {
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    } else if (message.method === 'turn/completed') {
      turnDone?.(message);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let nextId = 1;
  const call = async (method: string, params?: unknown): Promise<Record<string, unknown>> => {
    const id = nextId++;
    const answer = new Promise<Message>((resolve) => waiting.set(id, resolve));
    child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    const message = await Promise.race([
      answer,
      exited.then((code) => {
        throw new Error(`app-server exited (${code}): ${stderr.slice(-3).join(' | ')}`);
      }),
    ]);
    if (message.error !== undefined) {
      throw new Error(`${method} failed: ${JSON.stringify(message.error)}`);
    }
    return message.result as Record<string, unknown>;
  };
  const turn = async (): Promise<void> => {
    const thread = await call('thread/start', { model: 'gpt-bench' });
    const threadId = (thread['thread'] as { id: string }).id;
    const completed = new Promise<Message>((resolve) => {
      turnDone = resolve;
    });
    await call('turn/start', {
      threadId,
      input: [{ type: 'text', text: 'say ok', text_elements: [] }],
    });
    const message = await completed;
    const status = (message.params as { turn?: { status?: string } }).turn?.status;
    if (status !== 'completed') throw new Error(`turn ended ${JSON.stringify(message.params)}`);
  };

  try {
    await call('initialize', {
      clientInfo: { name: 'codex-bench', version: '1.0.0' },
      capabilities: { experimentalApi: true },
    });
    child.stdin.write(`${JSON.stringify({ method: 'initialized' })}\n`);
    for (let i = 0; i < options.warmUpTurns; i++) await turn();
    const warmRss = await rssMiB(child.pid);
    const start = performance.now();
    for (let i = 0; i < options.turns; i++) await turn();
    const seconds = (performance.now() - start) / 1000;
    const endRss = await rssMiB(child.pid);
    return {
      turns: options.turns,
      warm_up_turns: options.warmUpTurns,
      turns_per_second: Math.round((options.turns / seconds) * 10) / 10,
      rss_after_warm_up_mib: warmRss,
      rss_after_turns_mib: endRss,
      rss_growth_mib:
        warmRss === null || endRss === null ? null : Math.round((endRss - warmRss) * 10) / 10,
    };
  } finally {
    child.stdin.end();
    await exited;
  }
}
