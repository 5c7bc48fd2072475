import {
  CodexHomeError,
  ConfigLoadError,
  ConfigOverrideError,
  ContextWindowExceededError,
  CredentialError,
  CyberPolicyError,
  EnvVarError,
  InternalServerError,
  InvalidRequestError,
  QuotaExceededError,
  RetryLimitError,
  ServerOverloadedError,
  StreamError,
  TurnAbortedError,
  UnexpectedStatusError,
  UsageLimitReachedError,
  UsageNotIncludedError,
} from '@codex/core';
import { isCodexError } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { formatStatus, requestIdFrom, truncateWithEllipsis } from '../src/errors.ts';

const url = 'http://127.0.0.1:1/v1/responses';

describe('error classes', () => {
  // each error is built inside its test, so per-test coverage ties the class to the test
  it.each([
    ['CodexHomeError', 'CODEX_HOME', () => new CodexHomeError('d')],
    ['ConfigOverrideError', 'CONFIG_OVERRIDE', () => new ConfigOverrideError('d')],
    ['ConfigLoadError', 'CONFIG_LOAD', () => new ConfigLoadError('d')],
    ['EnvVarError', 'ENV_VAR', () => new EnvVarError('V')],
    ['CredentialError', 'CREDENTIAL_INVALID', () => new CredentialError('d')],
    ['StreamError', 'STREAM', () => new StreamError('d')],
    [
      'UnexpectedStatusError',
      'UNEXPECTED_STATUS',
      () => new UnexpectedStatusError({ status: 418, url, headers: {}, body: '' }),
    ],
    ['RetryLimitError', 'RETRY_LIMIT', () => new RetryLimitError({ status: 429 })],
    ['InternalServerError', 'INTERNAL_SERVER_ERROR', () => new InternalServerError()],
    ['InvalidRequestError', 'INVALID_REQUEST', () => new InvalidRequestError('d')],
    ['CyberPolicyError', 'CYBER_POLICY', () => new CyberPolicyError('d')],
    ['ServerOverloadedError', 'SERVER_OVERLOADED', () => new ServerOverloadedError()],
    ['QuotaExceededError', 'QUOTA_EXCEEDED', () => new QuotaExceededError()],
    ['UsageNotIncludedError', 'USAGE_NOT_INCLUDED', () => new UsageNotIncludedError()],
    ['UsageLimitReachedError', 'USAGE_LIMIT_REACHED', () => new UsageLimitReachedError()],
    [
      'ContextWindowExceededError',
      'CONTEXT_WINDOW_EXCEEDED',
      () => new ContextWindowExceededError(),
    ],
    ['TurnAbortedError', 'TURN_ABORTED', () => new TurnAbortedError()],
  ])('%s has code %s', (name, code, build) => {
    const error = build();
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(isCodexError(error)).toBe(true);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });

  it('keep the detail apart from the prefix, and the cause', () => {
    const cause = new Error('inner');
    const home = new CodexHomeError('no such dir', { cause });
    const override = new ConfigOverrideError('bad key');
    const load = new ConfigLoadError('bad value', { cause, keyPath: 'model' });
    const stream = new StreamError('cut', { cause, retryDelayMs: 1500 });

    expect([home.message, home.detail, home.cause]).toEqual([
      'Error finding codex home: no such dir',
      'no such dir',
      cause,
    ]);
    expect([override.message, override.detail]).toEqual([
      'Error parsing -c overrides: bad key',
      'bad key',
    ]);
    expect([load.message, load.detail, load.keyPath, load.cause]).toEqual([
      'Error loading config.toml: bad value',
      'bad value',
      'model',
      cause,
    ]);
    expect(new ConfigLoadError('x').keyPath).toBeUndefined();
    expect([stream.detail, stream.retryDelayMs, stream.cause]).toEqual(['cut', 1500, cause]);
    expect(new StreamError('x').retryDelayMs).toBeUndefined();
    expect(new TurnAbortedError({ cause }).cause).toBe(cause);
    expect(new TurnAbortedError().message).toBe('turn aborted');
  });

  it('have the upstream texts', () => {
    expect(new EnvVarError('K', 'Get one at x.').message).toBe(
      'Missing environment variable: `K`. Get one at x.',
    );
    expect(new EnvVarError('K', '').message).toBe('Missing environment variable: `K`.');
    expect(new EnvVarError('K').variable).toBe('K');
    expect(new RetryLimitError({ status: 503, requestId: 'r-1' })).toMatchObject({
      message: 'exceeded retry limit, last status: 503 Service Unavailable, request id: r-1',
      status: 503,
      requestId: 'r-1',
    });
    expect(new InternalServerError({ requestId: 'r-2' }).requestId).toBe('r-2');
    expect(new InternalServerError().requestId).toBeUndefined();
    expect(new UsageLimitReachedError().message).toBe(
      "You've hit your usage limit. Try again later.",
    );
    expect(new UsageLimitReachedError({ resetsAt: 0 })).toMatchObject({
      resetsAt: 0,
      message: `You've hit your usage limit. Try again at ${new Date(0).toLocaleString()}.`,
    });
  });
});

describe('formatStatus', () => {
  it('names known statuses and flags unknown ones like Rust', () => {
    expect(formatStatus(401)).toBe('401 Unauthorized');
    expect(formatStatus(599)).toBe('599 <unknown status code>');
  });
});

describe('requestIdFrom', () => {
  it('prefers x-request-id over x-oai-request-id', () => {
    expect(requestIdFrom({ 'x-request-id': 'a', 'x-oai-request-id': 'b' })).toBe('a');
    expect(requestIdFrom({ 'x-oai-request-id': 'b' })).toBe('b');
    expect(requestIdFrom({})).toBeUndefined();
  });
});

describe('truncateWithEllipsis', () => {
  it('keeps text that fits and cuts at the last whole character that fits', () => {
    expect(truncateWithEllipsis('abcd', 3)).toBe('abc...');
    expect(truncateWithEllipsis('aé', 2)).toBe('a...');
    expect(truncateWithEllipsis('aé', 3)).toBe('aé');
    expect(truncateWithEllipsis('🙂🙂', 4)).toBe('🙂...');
    expect(truncateWithEllipsis('🙂🙂x', 8)).toBe('🙂🙂...');
    expect(truncateWithEllipsis('', 0)).toBe('');
  });
});

describe('UnexpectedStatusError details', () => {
  it('keeps the redacted diagnostics and the parsed body', () => {
    const error = new UnexpectedStatusError({
      status: 404,
      url,
      headers: { 'cf-ray': 'ray', 'x-request-id': 'req' },
      body: '{"error":{"code":"not_found","message":"gone"}}',
    });

    expect(error).toMatchObject({
      status: 404,
      url,
      headers: { 'cf-ray': 'ray', 'x-request-id': 'req' },
      body: '{"error":{"code":"not_found","message":"gone"}}',
      requestId: 'req',
      cfRay: 'ray',
      errorBody: { code: 'not_found', message: 'gone' },
    });
  });

  it('shows the trimmed body when it has no JSON message, and an auth error code only when present', () => {
    const error = new UnexpectedStatusError({
      status: 502,
      url,
      headers: {
        'x-error-json': Buffer.from('{"error":{"message":"no code"}}').toString('base64'),
      },
      body: '  upstream down \n',
    });

    expect(error.message).toBe(`unexpected status 502 Bad Gateway: upstream down, url: ${url}`);
    expect(error.cfRay).toBeUndefined();
    expect(error.requestId).toBeUndefined();
  });

  it.each([
    [404, 'Cloudflare blocked'],
    [403, 'blocked by policy'],
    [403, 'Cloudflare error'],
  ])('keeps the usual text for a %i that is not a Cloudflare block: %s', (status, body) => {
    const error = new UnexpectedStatusError({ status, url, headers: {}, body });

    expect(error.message).toMatch(/^unexpected status /);
    expect(error.message).toContain(body);
  });
});
