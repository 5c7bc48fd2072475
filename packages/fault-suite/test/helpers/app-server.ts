import { createInterface } from 'node:readline';
import { execaNode } from 'execa';
import { onTestFinished } from 'vitest';
import { CANARY, type CodexHome, codexBin, RUN_TIMEOUT_MS, recordRun } from './cli.ts';

export type Message = Record<string, unknown>;

/** `codex app-server` against `home`, as a parent app drives it: JSON lines in, JSON lines out. */
export interface AppServer {
  readonly child: ReturnType<typeof launch>;
  /** Every line it wrote to stdout, raw. */
  readonly lines: string[];
  send(message: Message): void;
  /** Resolves with the first message (already received or to come) that matches. */
  next(predicate: (message: Message) => boolean): Promise<Message>;
  /** initialize, thread/start, turn/start; resolves with the thread id once turn/start answered. */
  startTurn(): Promise<string>;
}

function launch(home: CodexHome, env: Record<string, string>) {
  return execaNode(codexBin, ['app-server'], {
    cwd: home.dir,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home.dir,
      CODEX_HOME: home.dir,
      OPENAI_API_KEY: CANARY,
      ...env,
    },
    extendEnv: false,
    reject: false,
    timeout: RUN_TIMEOUT_MS,
  });
}

export function startAppServer(home: CodexHome, env: Record<string, string> = {}): AppServer {
  const child = launch(home, env);
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  const lines: string[] = [];
  const errorLines: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => errorLines.push(line));
  // the canary check at the end of the test reads what the server wrote by then
  recordRun(home, {
    get stdout() {
      return lines.join('\n');
    },
    get stderr() {
      return errorLines.join('\n');
    },
  });
  const messages: Message[] = [];
  const waiters: { predicate: (message: Message) => boolean; resolve: (m: Message) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    const message = JSON.parse(line) as Message;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  let nextId = 1;
  const server: AppServer = {
    child,
    lines,
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    next: (predicate) => {
      const found = messages.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    async startTurn() {
      const call = async (method: string, params: Message): Promise<Message> => {
        const id = nextId++;
        server.send({ id, method, params });
        const answer = await server.next((message) => message['id'] === id);
        if (!('result' in answer)) throw new Error(`${method} failed: ${JSON.stringify(answer)}`);
        return answer['result'] as Message;
      };
      await call('initialize', { clientInfo: { name: 'fault-suite', version: '1.0.0' } });
      server.send({ method: 'initialized' });
      const thread = await call('thread/start', {});
      const threadId = (thread['thread'] as { id: string }).id;
      await call('turn/start', { threadId, input: [{ type: 'text', text: 'say ok' }] });
      return threadId;
    },
  };
  return server;
}
