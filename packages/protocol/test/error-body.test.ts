import { parseErrorBody } from '@codex/protocol';
import { describe, expect, it } from 'vitest';

describe('parseErrorBody', () => {
  it('reads an OpenAI error object', () => {
    const body =
      '{"error":{"code":"usage_limit_reached","type":"usage_limit_reached","message":" Slow down ","resets_at":1700000000}}';

    expect(parseErrorBody(body)).toEqual({
      code: 'usage_limit_reached',
      type: 'usage_limit_reached',
      message: 'Slow down',
      resetsAt: 1700000000,
    });
  });

  it('reads an OAuth error string and description', () => {
    expect(parseErrorBody('{"error":"invalid_grant","error_description":"expired"}')).toEqual({
      code: 'invalid_grant',
      message: 'expired',
      type: undefined,
      resetsAt: undefined,
    });
  });

  it('reads a top-level code and message', () => {
    const parsed = parseErrorBody('{"code":"refresh_token_reused","message":"used"}');

    expect(parsed.code).toBe('refresh_token_reused');
    expect(parsed.message).toBe('used');
  });

  it('reads a body with leading whitespace, as JSON.parse does', () => {
    expect(parseErrorBody(' \n\t{"code":"c","message":"m"}').code).toBe('c');
  });

  it('prefers error.code and error.message over every fallback', () => {
    const body =
      '{"error":{"code":"inner","message":"inner text"},"error_description":"oauth text","code":"top","message":"top text"}';

    expect(parseErrorBody(body)).toEqual({
      code: 'inner',
      message: 'inner text',
      type: undefined,
      resetsAt: undefined,
    });
  });

  it('falls back past blank or null inner fields, OAuth first, then the top level', () => {
    expect(
      parseErrorBody(
        '{"error":"invalid_grant","error_description":"expired","code":"top","message":"top text"}',
      ),
    ).toMatchObject({ code: 'invalid_grant', message: 'expired' });
    expect(
      parseErrorBody(
        '{"error":{"code":"  ","message":null,"type":" ","resets_at":null},"error_description":"  ","code":" top ","message":"top text"}',
      ),
    ).toEqual({ code: 'top', message: 'top text', type: undefined, resetsAt: undefined });
  });

  it('reads no code from a blank OAuth error string', () => {
    expect(parseErrorBody('{"error":"  ","code":"top"}').code).toBe('top');
  });

  it('reads error.resets_at only when it is a number', () => {
    expect(parseErrorBody('{"error":{"resets_at":"1700000000"}}').resetsAt).toBeUndefined();
    expect(parseErrorBody('{"error":{"resets_at":0}}').resetsAt).toBe(0);
  });

  it.each(['', 'not json', '[1,2]', '{"error":{"code":5,"message":""}}', '{"error":null}', '{'])(
    'yields no fields for %j',
    (body) => {
      const parsed = parseErrorBody(body);

      expect([parsed.code, parsed.message, parsed.type, parsed.resetsAt]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    },
  );
});
