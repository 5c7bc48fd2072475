import { EnvVarError, RetryLimitError, StreamError, UnexpectedStatusError } from '@codex/core';
import { isCodexError } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { truncateWithEllipsis } from '../src/errors.ts';

const url = 'http://127.0.0.1:1/v1/responses';

describe('UnexpectedStatusError', () => {
  it('prefers the JSON error message and appends request ids', () => {
    const error = new UnexpectedStatusError({
      status: 401,
      url,
      headers: {
        'x-request-id': 'req-1',
        'cf-ray': 'ray-1',
        'x-openai-authorization-error': 'missing_scope',
        'x-error-json': Buffer.from(JSON.stringify({ error: { code: 'token_expired' } })).toString(
          'base64',
        ),
      },
      body: JSON.stringify({ error: { message: ' Workspace is not authorized. ' } }),
    });

    expect(error.message).toBe(
      `unexpected status 401 Unauthorized: Workspace is not authorized., url: ${url}, cf-ray: ray-1, request id: req-1, auth error: missing_scope, auth error code: token_expired`,
    );
    expect(isCodexError(error)).toBe(true);
    expect(error.code).toBe('UNEXPECTED_STATUS');
  });

  it('caps a plain body at 1000 bytes and names an empty body', () => {
    const long = new UnexpectedStatusError({
      status: 404,
      url,
      headers: {},
      body: 'x'.repeat(1500),
    });
    const empty = new UnexpectedStatusError({ status: 404, url, headers: {}, body: '  ' });

    expect(long.message).toBe(
      `unexpected status 404 Not Found: ${'x'.repeat(1000)}..., url: ${url}`,
    );
    expect(empty.message).toBe(`unexpected status 404 Not Found: Unknown error, url: ${url}`);
  });

  it('uses x-oai-request-id when x-request-id is absent', () => {
    const error = new UnexpectedStatusError({
      status: 502,
      url,
      headers: { 'x-oai-request-id': 'oai-7' },
      body: 'bad gateway',
    });

    expect(error.requestId).toBe('oai-7');
    expect(error.message).toBe(
      `unexpected status 502 Bad Gateway: bad gateway, url: ${url}, request id: oai-7`,
    );
  });

  it('simplifies a Cloudflare block page', () => {
    const error = new UnexpectedStatusError({
      status: 403,
      url,
      headers: { 'cf-ray': 'ray-id' },
      body: '<html>Cloudflare: Sorry, you have been blocked</html>',
    });

    expect(error.message).toBe(
      `Access blocked by Cloudflare. This usually happens when connecting from a restricted region (status 403 Forbidden), url: ${url}, cf-ray: ray-id`,
    );
  });
});

describe('error texts', () => {
  it('formats the remaining upstream texts', () => {
    expect(new RetryLimitError({ status: 429 }).message).toBe(
      'exceeded retry limit, last status: 429 Too Many Requests',
    );
    expect(new EnvVarError('KEY').message).toBe('Missing environment variable: `KEY`.');
    expect(new StreamError('boom').message).toBe('stream disconnected before completion: boom');
  });

  it('truncates on a character boundary', () => {
    expect(truncateWithEllipsis('ééé', 3)).toBe('é...');
    expect(truncateWithEllipsis('abc', 3)).toBe('abc');
  });
});
