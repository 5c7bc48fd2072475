import type { CodexErrorInfo } from './codex-error-info.ts';

/** Token counts reported in `turn.completed`, as `@openai/codex-sdk` reads them. */
export interface ExecUsage {
  readonly input_tokens: number;
  readonly cached_input_tokens: number;
  readonly output_tokens: number;
  readonly reasoning_output_tokens: number;
}

/** The `codex exec --json` events (upstream `exec_events.rs`), limited to what a tool-less turn emits. */
export type ThreadEvent =
  | { readonly type: 'thread.started'; readonly thread_id: string }
  | { readonly type: 'turn.started' }
  | { readonly type: 'item.started' | 'item.updated' | 'item.completed'; readonly item: ThreadItem }
  | { readonly type: 'turn.completed'; readonly usage: ExecUsage }
  | { readonly type: 'turn.failed'; readonly error: ThreadError }
  | { readonly type: 'error'; readonly message: string; readonly codexErrorInfo?: CodexErrorInfo };

/**
 * The `error` of `turn.failed`: upstream's `{message}` plus `codexErrorInfo`, the app-server
 * `TurnError` classification, so scripts need not match message texts.
 */
export type ThreadError = { readonly message: string; readonly codexErrorInfo: CodexErrorInfo };

export type ThreadItem =
  | { readonly id: string; readonly type: 'agent_message'; readonly text: string }
  | { readonly id: string; readonly type: 'error'; readonly message: string };

/** Where one `codex exec` turn reports its progress: people (human) or programs (JSONL). */
export interface ExecOutput {
  threadStarted(threadId: string): void;
  turnStarted(): void;
  textDelta(delta: string): void;
  /** A completed assistant message. */
  agentMessage(text: string): void;
  /** A retry notice (`Reconnecting... 2/5 (<details>)`). */
  reconnecting(attempt: number, max: number, details: string): void;
  /** A non-fatal problem, e.g. a config warning. */
  warning(message: string): void;
  /** A line for stderr only, in both modes (e.g. the slow-helper notice). */
  note(message: string): void;
  turnCompleted(usage: ExecUsage | null): void;
  turnFailed(message: string, codexErrorInfo: CodexErrorInfo): void;
  /** The last completed agent message, for `-o`. */
  readonly lastMessage: string | null;
}

interface OutputStreams {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

const zeroUsage: ExecUsage = {
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  reasoning_output_tokens: 0,
};

/** JSONL on stdout, one {@link ThreadEvent} per line; stderr gets only plain notes. */
export function createJsonlOutput({ stdout, stderr }: OutputStreams): ExecOutput {
  let nextItemId = 0;
  let lastMessage: string | null = null;
  const emit = (event: ThreadEvent) => {
    stdout.write(`${JSON.stringify(event)}\n`);
  };
  const itemId = () => `item_${nextItemId++}`;
  return {
    get lastMessage() {
      return lastMessage;
    },
    threadStarted: (threadId) => emit({ type: 'thread.started', thread_id: threadId }),
    turnStarted: () => emit({ type: 'turn.started' }),
    textDelta: () => {
      // upstream's JSONL stream reports agent messages once, when complete
    },
    agentMessage: (text) => {
      lastMessage = text;
      emit({ type: 'item.completed', item: { id: itemId(), type: 'agent_message', text } });
    },
    reconnecting: (attempt, max, details) =>
      emit({ type: 'error', message: reconnectingText(attempt, max, details) }),
    warning: (message) =>
      emit({ type: 'item.completed', item: { id: itemId(), type: 'error', message } }),
    note: (message) => {
      stderr.write(`${message}\n`);
    },
    turnCompleted: (usage) => emit({ type: 'turn.completed', usage: usage ?? zeroUsage }),
    turnFailed: (message, codexErrorInfo) => {
      emit({ type: 'error', message, codexErrorInfo });
      emit({ type: 'turn.failed', error: { message, codexErrorInfo } });
    },
  };
}

/**
 * Human output: the answer on stdout (streamed when stdout is a terminal, else only the final
 * message, like upstream), everything else on stderr.
 */
export function createHumanOutput({ stdout, stderr }: OutputStreams): ExecOutput {
  const streaming = stdout.isTTY === true;
  let lastMessage: string | null = null;
  let streamedText = '';
  let pendingStreamEnd = false;
  const endStreamedLine = () => {
    if (pendingStreamEnd && !streamedText.endsWith('\n')) stdout.write('\n');
    pendingStreamEnd = false;
    streamedText = '';
  };
  return {
    get lastMessage() {
      return lastMessage;
    },
    threadStarted: () => {},
    turnStarted: () => {},
    textDelta: (delta) => {
      if (!streaming || delta === '') return;
      stdout.write(delta);
      streamedText += delta;
      pendingStreamEnd = true;
    },
    agentMessage: (text) => {
      lastMessage = text;
      if (!streaming) return;
      if (!pendingStreamEnd) stdout.write(text);
      streamedText = streamedText || text;
      pendingStreamEnd = true;
      endStreamedLine();
    },
    reconnecting: (attempt, max, details) => {
      stderr.write(`${reconnectingText(attempt, max, details)}\n`);
    },
    warning: (message) => {
      stderr.write(`warning: ${message}\n`);
    },
    note: (message) => {
      stderr.write(`${message}\n`);
    },
    turnCompleted: () => {
      endStreamedLine();
      if (!streaming && lastMessage !== null) stdout.write(`${lastMessage}\n`);
    },
    turnFailed: (message) => {
      endStreamedLine();
      stderr.write(`ERROR: ${message}\n`);
    },
  };
}

function reconnectingText(attempt: number, max: number, details: string): string {
  return details
    ? `Reconnecting... ${attempt}/${max} (${details})`
    : `Reconnecting... ${attempt}/${max}`;
}
