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
