import { randomUUID } from 'node:crypto';
import { codexErrorInfo } from '../codex-error-info.ts';
import { afterResponse, errorMessage, isObject } from './handler-utils.ts';
import { invalidParams, invalidRequest } from './json-rpc.ts';
import type { MessageProcessorOptions, TurnInputItem } from './message-processor.ts';

interface ThreadState {
  readonly id: string;
  readonly model: string;
  readonly cwd: string;
  readonly createdAt: number;
  readonly history: TurnInputItem[];
  activeTurnId: string | null;
}

/** The thread and turn methods of the app-server, and a way to wait for running turns. */
export function createThreadHandlers(options: MessageProcessorOptions): {
  handlers: Record<string, (params: unknown) => unknown>;
  drain: () => Promise<void>;
} {
  const { notify, now = Date.now } = options;
  const threads = new Map<string, ThreadState>();
  const runningTurns = new Set<Promise<void>>();
  const seconds = () => Math.floor(now() / 1000);

  const threadJson = (thread: ThreadState) => ({
    id: thread.id,
    sessionId: thread.id,
    forkedFromId: null,
    parentThreadId: null,
    preview: '',
    ephemeral: true,
    projectId: null,
    modelProvider: options.modelProviderId,
    model: thread.model,
    createdAt: thread.createdAt,
    updatedAt: thread.createdAt,
    status: thread.activeTurnId === null ? { type: 'idle' } : { type: 'active', activeFlags: [] },
    path: null,
    cwd: thread.cwd,
    cliVersion: options.version,
    source: 'appServer',
    name: null,
    turns: [],
  });

  const threadStart = (params: unknown): unknown => {
    if (params !== undefined && params !== null && !isObject(params)) {
      throw invalidParams('Invalid params: expected an object');
    }
    const model = isObject(params) ? params['model'] : undefined;
    const cwd = isObject(params) ? params['cwd'] : undefined;
    if (model != null && typeof model !== 'string') {
      throw invalidParams('Invalid params: `model` must be a string');
    }
    if (typeof model === 'string' && model.trim() === '') {
      throw invalidParams('Invalid params: `model` must not be empty');
    }
    if (cwd != null && typeof cwd !== 'string') {
      throw invalidParams('Invalid params: `cwd` must be a string');
    }
    const thread: ThreadState = {
      id: randomUUID(),
      model: typeof model === 'string' ? model : options.model,
      cwd: typeof cwd === 'string' ? cwd : options.cwd,
      createdAt: seconds(),
      history: [],
      activeTurnId: null,
    };
    threads.set(thread.id, thread);
    afterResponse(() => notify('thread/started', { thread: threadJson(thread) }));
    return {
      thread: threadJson(thread),
      model: thread.model,
      modelProvider: options.modelProviderId,
      cwd: thread.cwd,
      approvalPolicy: 'never',
      approvalsReviewer: 'user',
      sandbox: { type: 'readOnly' },
    };
  };

  const runTurn = async (thread: ThreadState, turnId: string, text: string): Promise<void> => {
    const startedAt = seconds();
    const startedAtMs = now();
    notify('turn/started', {
      threadId: thread.id,
      turn: { id: turnId, items: [], status: 'inProgress', error: null, startedAt },
    });
    const itemId = `msg_${randomUUID()}`;
    let streamed = '';
    let itemStarted = false;
    const startItem = () => {
      if (itemStarted) return;
      itemStarted = true;
      notify('item/started', {
        item: { type: 'agentMessage', id: itemId, text: '' },
        threadId: thread.id,
        turnId,
        startedAtMs: now(),
      });
    };
    const input: TurnInputItem = {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text }],
    };
    try {
      const result = await options.runTurn(
        { model: thread.model, input: [...thread.history, input], sessionId: thread.id },
        (event) => {
          if (event.type !== 'output_text_delta' || typeof event.delta !== 'string') return;
          startItem();
          streamed += event.delta;
          // while the parent app does not read, the turn waits rather than queue the stream in memory
          return notify('item/agentMessage/delta', {
            threadId: thread.id,
            turnId,
            itemId,
            delta: event.delta,
          });
        },
      );
      const finalText = result.text || streamed;
      startItem();
      const item = { type: 'agentMessage', id: itemId, text: finalText };
      notify('item/completed', { item, threadId: thread.id, turnId, completedAtMs: now() });
      thread.history.push(input, {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: finalText }],
      });
      notify('turn/completed', {
        threadId: thread.id,
        turn: {
          id: turnId,
          items: [item],
          status: 'completed',
          error: null,
          startedAt,
          completedAt: seconds(),
          durationMs: now() - startedAtMs,
        },
      });
    } catch (error) {
      const turnError = {
        message: errorMessage(error),
        codexErrorInfo: codexErrorInfo(error),
        additionalDetails: null,
      };
      notify('error', { error: turnError, willRetry: false, threadId: thread.id, turnId });
      notify('turn/completed', {
        threadId: thread.id,
        turn: {
          id: turnId,
          items: [],
          status: 'failed',
          error: turnError,
          startedAt,
          completedAt: seconds(),
          durationMs: now() - startedAtMs,
        },
      });
    } finally {
      thread.activeTurnId = null;
    }
  };

  const turnStart = (params: unknown): unknown => {
    if (!isObject(params)) throw invalidParams('Invalid params: expected an object');
    const { threadId, input } = params;
    if (typeof threadId !== 'string') {
      throw invalidParams('Invalid params: missing field `threadId`');
    }
    if (!Array.isArray(input)) throw invalidParams('Invalid params: missing field `input`');
    const texts: string[] = [];
    for (const item of input) {
      if (!isObject(item) || item['type'] !== 'text' || typeof item['text'] !== 'string') {
        throw invalidParams('Invalid params: only `text` input items are supported');
      }
      texts.push(item['text']);
    }
    const thread = threads.get(threadId);
    if (thread === undefined) throw invalidRequest(`thread not found: ${threadId}`);
    if (thread.activeTurnId !== null) {
      throw invalidRequest(`thread ${threadId} already has a turn in progress`);
    }
    const turnId = randomUUID();
    thread.activeTurnId = turnId;
    afterResponse(() => {
      const task = runTurn(thread, turnId, texts.join('\n'));
      runningTurns.add(task);
      void task.finally(() => runningTurns.delete(task));
    });
    return { turn: { id: turnId, items: [], status: 'inProgress', error: null } };
  };

  return {
    handlers: { 'thread/start': threadStart, 'turn/start': turnStart },
    async drain() {
      while (runningTurns.size > 0) await Promise.allSettled([...runningTurns]);
    },
  };
}
