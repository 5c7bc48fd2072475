import { StreamError } from '@codex/core';
import { describe, expect, it } from 'vitest';
import {
  errorText,
  isTlsError,
  parseTryAgainDelayMs,
  responseFailedError,
  toResponseEvent,
} from '../src/response-events.ts';

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('toResponseEvent', () => {
  it('ignores what is not an event object', () => {
    for (const data of [null, 'response.created', 3, [{ type: 'response.created' }]]) {
      expect(toResponseEvent(data)).toBeNull();
    }
    expect(toResponseEvent({ type: 'response.in_progress' })).toBeNull();
  });

  it('reads response.created with or without an id', () => {
    expect(toResponseEvent({ type: 'response.created', response: { id: 'r1' } })).toEqual({
      type: 'created',
      responseId: 'r1',
    });
    expect(toResponseEvent({ type: 'response.created', response: { id: 5 } })).toEqual({
      type: 'created',
      responseId: null,
    });
    expect(toResponseEvent({ type: 'response.created', response: ['r1'] })).toEqual({
      type: 'created',
      responseId: null,
    });
    expect(toResponseEvent({ type: 'response.created' })).toEqual({
      type: 'created',
      responseId: null,
    });
  });

  it('reads a text delta, skipping one without a string delta', () => {
    expect(toResponseEvent({ type: 'response.output_text.delta', delta: '' })).toEqual({
      type: 'output_text_delta',
      delta: '',
    });
    expect(toResponseEvent({ type: 'response.output_text.delta', delta: 1 })).toBeNull();
  });

  it('reads output items added and done, skipping items without a string type', () => {
    const item = { type: 'reasoning', id: 'rs_1' };

    expect(toResponseEvent({ type: 'response.output_item.added', item })).toEqual({
      type: 'output_item_added',
      item,
    });
    expect(toResponseEvent({ type: 'response.output_item.done', item })).toEqual({
      type: 'output_item_done',
      item,
    });
    expect(toResponseEvent({ type: 'response.output_item.done', item: { id: 'x' } })).toBeNull();
    expect(toResponseEvent({ type: 'response.output_item.done', item: 'x' })).toBeNull();
    expect(toResponseEvent({ type: 'response.output_item.added', item: [item] })).toBeNull();
  });

  it('reads reasoning deltas and summary parts, skipping incomplete ones', () => {
    expect(
      toResponseEvent({
        type: 'response.reasoning_summary_text.delta',
        delta: 'd',
        summary_index: 2,
      }),
    ).toEqual({ type: 'reasoning_summary_delta', delta: 'd', summaryIndex: 2 });
    expect(
      toResponseEvent({ type: 'response.reasoning_summary_text.delta', delta: 'd' }),
    ).toBeNull();
    expect(
      toResponseEvent({ type: 'response.reasoning_summary_text.delta', summary_index: 0 }),
    ).toBeNull();
    expect(
      toResponseEvent({ type: 'response.reasoning_summary_part.added', summary_index: 1 }),
    ).toEqual({ type: 'reasoning_summary_part_added', summaryIndex: 1 });
    expect(
      toResponseEvent({ type: 'response.reasoning_summary_part.added', summary_index: '1' }),
    ).toBeNull();
    expect(
      toResponseEvent({ type: 'response.reasoning_text.delta', delta: 'x', content_index: 0 }),
    ).toEqual({ type: 'reasoning_content_delta', delta: 'x', contentIndex: 0 });
    expect(
      toResponseEvent({ type: 'response.reasoning_text.delta', delta: 'x', content_index: NaN }),
    ).toBeNull();
    expect(toResponseEvent({ type: 'response.reasoning_text.delta', content_index: 0 })).toBeNull();
  });

  it('reads tool-call input deltas with an item id or a call id', () => {
    expect(
      toResponseEvent({ type: 'response.custom_tool_call_input.delta', delta: 'a', call_id: 'c' }),
    ).toEqual({ type: 'tool_call_input_delta', delta: 'a', itemId: null, callId: 'c' });
    expect(
      toResponseEvent({
        type: 'response.function_call_arguments.delta',
        delta: 'b',
        item_id: 'i',
        call_id: 'c',
      }),
    ).toEqual({ type: 'tool_call_input_delta', delta: 'b', itemId: 'i', callId: 'c' });
    expect(
      toResponseEvent({ type: 'response.function_call_arguments.delta', delta: 'b' }),
    ).toBeNull();
    expect(
      toResponseEvent({ type: 'response.function_call_arguments.delta', item_id: 'i' }),
    ).toBeNull();
  });

  it('reads response.completed with usage details and end_turn', () => {
    expect(
      toResponseEvent({
        type: 'response.completed',
        response: {
          id: 'r',
          end_turn: false,
          usage: {
            input_tokens: 10,
            input_tokens_details: { cached_tokens: 3 },
            output_tokens: 4,
            output_tokens_details: { reasoning_tokens: 2 },
            total_tokens: 14,
          },
        },
      }),
    ).toEqual({
      type: 'completed',
      responseId: 'r',
      endTurn: false,
      usage: {
        input_tokens: 10,
        cached_input_tokens: 3,
        output_tokens: 4,
        reasoning_output_tokens: 2,
        total_tokens: 14,
      },
    });
  });

  it('counts missing or malformed usage details as zero, and a null usage as none', () => {
    const usage = (extra: object) =>
      toResponseEvent({
        type: 'response.completed',
        response: {
          id: 'r',
          end_turn: true,
          usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3, ...extra },
        },
      });

    expect(usage({})).toMatchObject({
      endTurn: true,
      usage: { cached_input_tokens: 0, reasoning_output_tokens: 0 },
    });
    expect(
      usage({
        input_tokens_details: { cached_tokens: '3' },
        output_tokens_details: { reasoning_tokens: null },
      }),
    ).toMatchObject({ usage: { cached_input_tokens: 0, reasoning_output_tokens: 0 } });
    expect(usage({ input_tokens_details: [5], output_tokens_details: 'many' })).toMatchObject({
      usage: { cached_input_tokens: 0, reasoning_output_tokens: 0 },
    });
    expect(
      toResponseEvent({ type: 'response.completed', response: { id: 'r', usage: null } }),
    ).toEqual({ type: 'completed', responseId: 'r', usage: null, endTurn: null });
    expect(
      toResponseEvent({ type: 'response.completed', response: { id: 'r', end_turn: 'yes' } }),
    ).toEqual({ type: 'completed', responseId: 'r', usage: null, endTurn: null });
  });

  it.each([
    [{ id: 7 }, 'response.id is missing'],
    [{ id: 'r', usage: 5 }, 'usage is not an object'],
    [{ id: 'r', usage: [] }, 'usage is not an object'],
    [
      { id: 'r', usage: { output_tokens: 1, total_tokens: 1 } },
      'usage is missing input_tokens, output_tokens or total_tokens',
    ],
    [
      { id: 'r', usage: { input_tokens: 1, total_tokens: 1 } },
      'usage is missing input_tokens, output_tokens or total_tokens',
    ],
    [
      { id: 'r', usage: { input_tokens: 1, output_tokens: Infinity } },
      'usage is missing input_tokens, output_tokens or total_tokens',
    ],
  ])('fails on an unusable response.completed %j', (response, detail) => {
    const error = thrown(() => toResponseEvent({ type: 'response.completed', response }));

    expect(error).toBeInstanceOf(StreamError);
    expect(error.message).toBe(
      `stream disconnected before completion: failed to parse ResponseCompleted: ${detail}`,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('ends with response.incomplete, naming an unknown reason when there is none', () => {
    for (const response of [{}, { incomplete_details: 'x' }, { incomplete_details: {} }]) {
      expect(thrown(() => toResponseEvent({ type: 'response.incomplete', response })).message).toBe(
        'stream disconnected before completion: Incomplete response returned, reason: unknown',
      );
    }
  });

  it('ends with an error event, with its message or a default one', () => {
    expect(
      thrown(() => toResponseEvent({ type: 'error', error: { message: 'overloaded' } })).message,
    ).toBe('stream disconnected before completion: overloaded');
    for (const error of [undefined, 'text', { message: 3 }]) {
      const caught = thrown(() => toResponseEvent({ type: 'error', error }));
      expect(caught).toBeInstanceOf(StreamError);
      expect(caught.message).toBe('stream disconnected before completion: error event received');
    }
  });
});

describe('responseFailedError', () => {
  it('gives default texts when the message is missing', () => {
    expect(responseFailedError({ code: 'cyber_policy' }).message).toBe(
      'This request has been flagged for possible cybersecurity risk.',
    );
    expect(responseFailedError({ code: 'invalid_prompt', message: 5 }).message).toBe(
      'Invalid request.',
    );
    expect(responseFailedError({}).message).toBe('stream disconnected before completion: ');
    expect(responseFailedError(['x']).message).toBe(
      'stream disconnected before completion: response.failed event received',
    );
  });

  it('keeps the delay a rate_limit_exceeded message asks for, and only for that code', () => {
    const message = 'Please try again in 1.5s.';

    expect(
      (responseFailedError({ code: 'rate_limit_exceeded', message }) as StreamError).retryDelayMs,
    ).toBe(1500);
    expect(
      (responseFailedError({ code: 'server_error', message }) as StreamError).retryDelayMs,
    ).toBeUndefined();
    expect(
      (responseFailedError({ code: 'rate_limit_exceeded', message: 'later' }) as StreamError)
        .retryDelayMs,
    ).toBeUndefined();
  });
});

describe('parseTryAgainDelayMs', () => {
  it.each([
    ['Please try again in 11.054s.', 11_054],
    ['try again in 2 seconds', 2000],
    ['Try Again In 1 second', 1000],
    ['try again in 250ms', 250],
    ['try again in 250MS', 250],
    ['try again in7s', 7000],
  ])('reads %j as %i ms', (message, ms) => {
    expect(parseTryAgainDelayMs(message)).toBe(ms);
  });

  it.each(['try again later', 'try again in s', 'retry in 5s', ''])(
    'finds no delay in %j',
    (message) => {
      expect(parseTryAgainDelayMs(message)).toBeUndefined();
    },
  );
});

function withCode(message: string, code: unknown, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? {} : { cause }), { code });
}

describe('isTlsError and errorText', () => {
  it.each([
    'EPROTO',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
  ])('recognises %s as a TLS failure, also as a nested cause', (code) => {
    expect(isTlsError(withCode('x', code))).toBe(true);
    expect(
      isTlsError(new Error('a', { cause: new Error('b', { cause: withCode('c', code) }) })),
    ).toBe(true);
    expect(errorText(withCode('x', code))).toBe(`TLS handshake failed: ${code}`);
  });

  it('looks at most four errors deep, and only at string codes that start a TLS code', () => {
    const deep = (levels: number) => {
      let error: Error = withCode('tls', 'EPROTO');
      for (let level = 1; level < levels; level += 1) error = new Error('wrap', { cause: error });
      return error;
    };

    expect(isTlsError(deep(4))).toBe(true);
    expect(isTlsError(deep(5))).toBe(false);
    expect(isTlsError(withCode('x', 'ECONNRESET'))).toBe(false);
    expect(isTlsError(withCode('x', 'XEPROTO'))).toBe(false);
    expect(isTlsError(withCode('x', 42))).toBe(false);
    expect(isTlsError({ code: 'EPROTO' })).toBe(false);
    expect(isTlsError(undefined)).toBe(false);
  });

  it("names OpenSSL's reason and hints at plain http for a wrong version number", () => {
    const error = withCode(
      'write EPROTO 4047:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:\n  at x',
      'EPROTO',
    );

    expect(errorText(new Error('fetch failed', { cause: error }))).toBe(
      'TLS handshake failed: wrong version number (is base_url https:// for a server that speaks plain http?)',
    );
    expect(
      errorText(withCode('SSL routines:tls_get_more_records:packet length too long', 'EPROTO')),
    ).toBe(
      'TLS handshake failed: packet length too long (is base_url https:// for a server that speaks plain http?)',
    );
    expect(
      errorText(
        withCode('x SSL routines:ssl3_read_bytes: sslv3 alert bad certificate :y', 'EPROTO'),
      ),
    ).toBe('TLS handshake failed: sslv3 alert bad certificate');
  });

  it("reads the message four errors deep at most for OpenSSL's reason", () => {
    const inner = withCode('SSL routines:f:deep reason:', 'EPROTO');
    const three = new Error('a', {
      cause: new Error('b', { cause: new Error('c', { cause: inner }) }),
    });
    const four = new Error('z', { cause: three });

    expect(errorText(three)).toBe('TLS handshake failed: deep reason');
    expect(isTlsError(four)).toBe(false);
  });

  it("gives the first line of a transport error, preferring undici's cause for `terminated`", () => {
    expect(errorText(new Error('  socket hang up \nstack'))).toBe('socket hang up');
    expect(errorText(new Error('terminated', { cause: new Error('other side closed') }))).toBe(
      'other side closed',
    );
    expect(errorText(new Error('terminated', { cause: 'text' }))).toBe('terminated');
    expect(errorText(new Error('failed', { cause: new Error('inner') }))).toBe('failed');
    expect(errorText('plain\nsecond')).toBe('plain');
    expect(errorText(42)).toBe('42');
  });
});
