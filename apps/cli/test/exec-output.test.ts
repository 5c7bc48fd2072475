import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createHumanOutput, createJsonlOutput } from '../src/exec-output.ts';

function streams(stdoutIsTty = false) {
  const stdout = Object.assign(new PassThrough(), { isTTY: stdoutIsTty });
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  return { stdout, stderr, out: () => out.join(''), err: () => err.join('') };
}

const usage = {
  input_tokens: 12,
  cached_input_tokens: 2,
  output_tokens: 5,
  reasoning_output_tokens: 1,
};

describe('createJsonlOutput', () => {
  it('writes the event sequence @openai/codex-sdk reads, one JSON object per line', () => {
    const io = streams();
    const output = createJsonlOutput(io);

    output.threadStarted('thread-1');
    output.turnStarted();
    output.textDelta('He');
    output.reconnecting(1, 5, 'stream disconnected');
    output.agentMessage('Hello');
    output.warning('careful');
    output.turnCompleted(usage);

    const events = io
      .out()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events).toEqual([
      { type: 'thread.started', thread_id: 'thread-1' },
      { type: 'turn.started' },
      { type: 'error', message: 'Reconnecting... 1/5 (stream disconnected)' },
      { type: 'item.completed', item: { id: 'item_0', type: 'agent_message', text: 'Hello' } },
      { type: 'item.completed', item: { id: 'item_1', type: 'error', message: 'careful' } },
      { type: 'turn.completed', usage },
    ]);
    expect(output.lastMessage).toBe('Hello');
  });

  it('reports a failed turn as error then turn.failed, both with codexErrorInfo', () => {
    const io = streams();
    const output = createJsonlOutput(io);

    output.turnFailed('unexpected status 401 Unauthorized: bad token', 'unauthorized');

    expect(io.out()).toBe(
      '{"type":"error","message":"unexpected status 401 Unauthorized: bad token","codexErrorInfo":"unauthorized"}\n' +
        '{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: bad token","codexErrorInfo":"unauthorized"}}\n',
    );
  });

  it('reports zero usage when the server sent none', () => {
    const io = streams();

    createJsonlOutput(io).turnCompleted(null);

    expect(JSON.parse(io.out())).toEqual({
      type: 'turn.completed',
      usage: {
        input_tokens: 0,
        cached_input_tokens: 0,
        output_tokens: 0,
        reasoning_output_tokens: 0,
      },
    });
  });
});

describe('createHumanOutput', () => {
  it('prints only the final message on a non-TTY stdout', () => {
    const io = streams(false);
    const output = createHumanOutput(io);

    output.textDelta('Hel');
    output.textDelta('lo');
    output.agentMessage('Hello');
    output.turnCompleted(usage);

    expect(io.out()).toBe('Hello\n');
    expect(io.err()).toBe('');
  });

  it('streams deltas on a TTY stdout and ends the line once', () => {
    const io = streams(true);
    const output = createHumanOutput(io);

    output.textDelta('Hel');
    output.textDelta('lo');
    output.agentMessage('Hello');
    output.turnCompleted(usage);

    expect(io.out()).toBe('Hello\n');
  });

  it('puts failures and notices on stderr only', () => {
    const io = streams(false);
    const output = createHumanOutput(io);

    output.reconnecting(2, 5, 'timeout');
    output.turnFailed('boom', 'other');

    expect(io.out()).toBe('');
    expect(io.err()).toBe('Reconnecting... 2/5 (timeout)\nERROR: boom\n');
  });
});
