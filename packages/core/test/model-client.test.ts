import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type ClientNotice,
  createModelClient,
  EnvVarError,
  InternalServerError,
  RetryLimitError,
  StreamError,
  TurnAbortedError,
  userMessage,
} from '@codex/core';
import { AuthManager } from '@codex/login';
import {
  completedEvents,
  completedReply,
  responseEvents,
  startResponsesServer,
} from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import {
  loadProviderConfig,
  recordingSleep,
  tempHome,
  tomlString,
} from './helpers/provider-config.ts';

const turn = { input: [userMessage('hello')] };

function providerToml(url: string, extra = '') {
  return `base_url = ${tomlString(url)}\nstream_idle_timeout_ms = 5000\n${extra}`;
}

describe('createModelClient request', () => {
  it('sends upstream headers, URL and body', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      providerToml(
        server.url,
        [
          'experimental_bearer_token = "literal-token"',
          'query_params = { api-version = "2025-04-01 preview", "a&b" = "c=d" }',
          'http_headers = { "X-Static" = "static", Authorization = "Bearer from-http-headers" }',
          'env_http_headers = { "X-From-Env" = "FROM_ENV", "X-Blank" = "BLANK_ENV" }',
        ].join('\n'),
      ),
    );
    const client = createModelClient({
      config,
      env: { FROM_ENV: 'env-value', BLANK_ENV: '   ', TERM: 'xterm-256color' },
      version: '1.2.3',
    });

    await client.runTurn({
      instructions: 'be brief',
      input: [userMessage('describe', ['data:image/png;base64,AAAA'])],
      outputSchema: { type: 'object', properties: {} },
      sessionId: 'conv-1',
    });

    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/responses?api-version=2025-04-01+preview&a%26b=c%3Dd');
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer literal-token',
      'x-static': 'static',
      'x-from-env': 'env-value',
      originator: 'codex_exec',
      session_id: 'conv-1',
      'x-client-request-id': 'conv-1',
      accept: 'text/event-stream',
      'content-type': 'application/json',
    });
    expect(request?.headers['x-blank']).toBeUndefined();
    expect(request?.headers['user-agent']).toMatch(
      /^codex_exec\/1\.2\.3 \([^;]+ [^;]+; [^)]+\) xterm-256color$/,
    );
    expect(request?.rawBody).toBe(
      JSON.stringify({
        model: 'test-model',
        instructions: 'be brief',
        input: [
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
              { type: 'input_text', text: 'describe' },
            ],
          },
        ],
        tools: [],
        tool_choice: 'auto',
        parallel_tool_calls: false,
        reasoning: null,
        store: false,
        stream: true,
        include: [],
        prompt_cache_key: 'conv-1',
        text: {
          format: {
            type: 'json_schema',
            strict: true,
            schema: { type: 'object', properties: {} },
            name: 'codex_output_schema',
          },
        },
      }),
    );
  });

  it('omits empty instructions and stores responses for Azure', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url), { name: 'Azure' });
    const client = createModelClient({ config, env: {} });

    await client.runTurn({ ...turn, instructions: '' });

    const body = server.requests[0]?.body as Record<string, unknown>;
    expect(body).not.toHaveProperty('instructions');
    expect(body['store']).toBe(true);
  });

  it('lets CODEX_INTERNAL_ORIGINATOR_OVERRIDE win over the originator option', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({
      config,
      env: { CODEX_INTERNAL_ORIGINATOR_OVERRIDE: 'codex_vscode' },
      originator: 'codex_cli_rs',
    });

    await client.runTurn(turn);

    expect(server.requests[0]?.headers['originator']).toBe('codex_vscode');
    expect(server.requests[0]?.headers['user-agent']).toMatch(/^codex_vscode\//);
  });
});

describe('createModelClient credentials', () => {
  it('prefers env_key over experimental_bearer_token', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      providerToml(server.url, 'env_key = "CORP_KEY"\nexperimental_bearer_token = "literal"'),
    );
    const client = createModelClient({ config, env: { CORP_KEY: 'from-env' } });

    await client.runTurn(turn);

    expect(server.requests[0]?.headers['authorization']).toBe('Bearer from-env');
  });

  it('fails with upstream text when env_key is missing, sending nothing', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      providerToml(
        server.url,
        'env_key = "CORP_KEY"\nenv_key_instructions = "Create a key at https://corp.example/keys."',
      ),
    );
    const client = createModelClient({ config, env: { CORP_KEY: '  ' } });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(EnvVarError);
    expect((error as Error).message).toBe(
      'Missing environment variable: `CORP_KEY`. Create a key at https://corp.example/keys.',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('never sends the OpenAI login to a provider without requires_openai_auth', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(providerToml(server.url));
    const authManager = AuthManager.create({
      codexHome: config.codexHome,
      enableCodexApiKeyEnv: true,
      env: { CODEX_API_KEY: 'sk-user-secret' },
    });
    const client = createModelClient({ config, env: {}, authManager });

    await client.runTurn(turn);

    expect(client.authSource).toBe('none');
    expect(server.requests[0]?.headers['authorization']).toBeUndefined();
  });

  it('uses CODEX_API_KEY for a provider with requires_openai_auth', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      providerToml(server.url, 'requires_openai_auth = true'),
    );
    const client = createModelClient({ config, env: { CODEX_API_KEY: 'sk-codex' } });

    await client.runTurn(turn);

    expect(client.authSource).toBe('openai');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-codex');
  });

  it('does not retry a 401 for API-key auth', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 401,
      body: { error: { message: 'bad key' } },
    }));
    const config = await loadProviderConfig(providerToml(server.url, 'env_key = "CORP_KEY"'));
    const { sleep } = recordingSleep();
    const client = createModelClient({ config, env: { CORP_KEY: 'k' }, sleep });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect((error as Error).message).toBe(
      `unexpected status 401 Unauthorized: bad key, url: ${server.url}/responses`,
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe('createModelClient redaction', () => {
  it('redacts a token the server quotes back in its 401 body and headers (improvement 9)', async () => {
    const secret = 'sk-echoed-secret-0123456789';
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 401,
      headers: { 'x-openai-authorization-error': `token ${secret} is invalid` },
      body: { error: { message: `invalid token ${secret}` } },
    }));
    const config = await loadProviderConfig(providerToml(server.url, 'env_key = "CORP_KEY"'));
    const client = createModelClient({ config, env: { CORP_KEY: secret } });

    const error = (await client.runTurn(turn).catch((caught: unknown) => caught)) as Error;

    expect(error.message).toContain('invalid token [REDACTED]');
    expect(error.message).toContain('auth error: token [REDACTED] is invalid');
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain(
      secret,
    );
  });
});

describe('createModelClient retries', () => {
  it('recovers from 500, 500, 200 with 200 ms and 400 ms backoff', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      { kind: 'status', status: 500, body: 'oops' },
      { kind: 'status', status: 500, body: 'oops' },
      completedReply('recovered'),
    );
    const config = await loadProviderConfig(providerToml(server.url));
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep, random: () => 0.5 });

    const result = await client.runTurn(turn);

    expect(result.text).toBe('recovered');
    expect(server.requests).toHaveLength(3);
    expect(delays).toEqual([200, 400]);
  });

  it('maps a 500 that outlasts request_max_retries to upstream text', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status: 500, body: 'oops' }));
    const config = await loadProviderConfig(
      providerToml(server.url, 'request_max_retries = 2\nstream_max_retries = 0'),
    );
    const { sleep } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as Error).message).toBe(
      "We're currently experiencing high demand, which may cause temporary errors.",
    );
    expect(server.requests).toHaveLength(3);
  });

  it.each([
    [500, 'status'],
    [502, 'status'],
    [0, 'drop'],
  ] as const)(
    'spends one retry budget: always-%i costs request_max_retries + 1 requests per turn (improvement 14)',
    async (status, kind) => {
      await using server = await startResponsesServer();
      server.respond(() =>
        kind === 'drop' ? { kind: 'drop' } : { kind: 'status', status, body: 'down' },
      );
      const config = await loadProviderConfig(
        providerToml(server.url, 'request_max_retries = 3\nstream_max_retries = 4'),
      );
      const { sleep, delays } = recordingSleep();
      const notices: ClientNotice[] = [];
      const client = createModelClient({
        config,
        env: {},
        sleep,
        onNotice: (notice) => notices.push(notice),
      });

      await client.runTurn(turn).catch(() => {});

      expect(server.requests).toHaveLength(4);
      expect(delays).toHaveLength(3);
      expect(notices.filter((notice) => notice.type === 'reconnecting')).toEqual([]);
    },
  );

  it('waits for Retry-After: 1 on a 429 (improvement 12)', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      { kind: 'status', status: 429, body: 'slow down', headers: { 'retry-after': '1' } },
      completedReply('ok'),
    );
    const config = await loadProviderConfig(providerToml(server.url));
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    await client.runTurn(turn);

    expect(delays).toEqual([1000]);
    expect(server.requests).toHaveLength(2);
  });

  it('prefers retry-after-ms and honours it on a 503 (improvement 12)', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      {
        kind: 'status',
        status: 503,
        body: 'busy',
        headers: { 'retry-after-ms': '1500', 'retry-after': '9' },
      },
      completedReply('ok'),
    );
    const config = await loadProviderConfig(providerToml(server.url));
    const { sleep, delays } = recordingSleep();
    const notices: ClientNotice[] = [];
    const client = createModelClient({ config, env: {}, sleep, onNotice: (n) => notices.push(n) });

    await client.runTurn(turn);

    expect(delays).toEqual([1500]);
    expect(notices).toContainEqual({
      type: 'retrying_request',
      attempt: 1,
      max: 4,
      status: 503,
      delayMs: 1500,
    });
  });

  it('does not wait beyond 60 s: a longer Retry-After fails at once (improvement 12)', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'status',
      status: 429,
      body: { error: { message: 'rate limited' } },
      headers: { 'retry-after': '3600', 'x-request-id': 'req-42' },
    }));
    const config = await loadProviderConfig(providerToml(server.url));
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RetryLimitError);
    expect((error as Error).message).toBe(
      'exceeded retry limit, last status: 429 Too Many Requests, request id: req-42',
    );
    expect(delays).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it.each([400, 403, 404])('does not retry a %i', async (status) => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'status', status, body: 'no' }));
    const config = await loadProviderConfig(providerToml(server.url));
    const { sleep } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    await expect(client.runTurn(turn)).rejects.toThrow();

    expect(server.requests).toHaveLength(1);
  });

  it('class: https against a plain-http port fails once, on one line, without retries', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      providerToml(
        server.url.replace('http://', 'https://'),
        'experimental_bearer_token = "tok-tls"\nrequest_max_retries = 4\nstream_max_retries = 4',
      ),
    );
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toMatch(
      /^stream disconnected before completion: TLS handshake failed: /,
    );
    expect((error as Error).message).not.toContain('\n');
    expect(delays).toEqual([]);
  });

  it('retries a dropped connection at transport level', async () => {
    await using server = await startResponsesServer();
    server.enqueue({ kind: 'drop' }, completedReply('ok'));
    const config = await loadProviderConfig(providerToml(server.url));
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep, random: () => 0 });

    const result = await client.runTurn(turn);

    expect(result.text).toBe('ok');
    expect(delays).toEqual([180]);
  });

  it('retries a stream cut before response.completed within stream_max_retries', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      { kind: 'sse', events: completedEvents('partial'), dropAfterEvents: 2 },
      completedReply('whole'),
    );
    const config = await loadProviderConfig(
      providerToml(server.url, 'request_max_retries = 0\nstream_max_retries = 2'),
    );
    const { sleep } = recordingSleep();
    const notices: ClientNotice[] = [];
    const client = createModelClient({ config, env: {}, sleep, onNotice: (n) => notices.push(n) });

    const result = await client.runTurn(turn);

    expect(result.text).toBe('whole');
    expect(server.requests).toHaveLength(2);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      type: 'reconnecting',
      attempt: 1,
      max: 2,
      message: 'Reconnecting... 1/2',
    });
    expect((notices[0] as { details: string }).details).toMatch(
      /^stream disconnected before completion: /,
    );
  });

  it('gives up after stream_max_retries broken streams', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'sse', events: [responseEvents.created()] }));
    const config = await loadProviderConfig(
      providerToml(server.url, 'request_max_retries = 0\nstream_max_retries = 2'),
    );
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep, random: () => 0.5 });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toBe(
      'stream disconnected before completion: stream closed before response.completed',
    );
    expect(server.requests).toHaveLength(3);
    expect(delays).toEqual([200, 400]);
  });

  it('uses the delay a rate_limit_exceeded failure asks for', async () => {
    await using server = await startResponsesServer();
    server.enqueue(
      {
        kind: 'sse',
        events: [
          responseEvents.created(),
          responseEvents.failed(
            'rate_limit_exceeded',
            'Rate limit reached. Please try again in 11.054s.',
          ),
        ],
      },
      completedReply('ok'),
    );
    const config = await loadProviderConfig(providerToml(server.url, 'stream_max_retries = 1'));
    const { sleep, delays } = recordingSleep();
    const client = createModelClient({ config, env: {}, sleep });

    await client.runTurn(turn);

    expect(delays).toEqual([11054]);
  });

  it('times out an idle stream with upstream text', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'sse',
      events: [responseEvents.created()],
      hangAfterEvents: true,
    }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nstream_idle_timeout_ms = 100\nstream_max_retries = 0`,
    );
    const client = createModelClient({ config, env: {} });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).message).toBe(
      'stream disconnected before completion: idle timeout waiting for SSE',
    );
  });

  it('cancels a turn with an AbortSignal', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'sse',
      events: [responseEvents.created()],
      hangAfterEvents: true,
    }));
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });
    const controller = new AbortController();

    const pending = client.runTurn(turn, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'created') controller.abort();
      },
    });

    await expect(pending).rejects.toBeInstanceOf(TurnAbortedError);
  });
});

describe('createModelClient events', () => {
  it('streams typed events and returns the last message with usage', async () => {
    await using server = await startResponsesServer();
    server.enqueue(completedReply('Hello there', { id: 'resp_9' }));
    const config = await loadProviderConfig(providerToml(server.url));
    const client = createModelClient({ config, env: {} });
    const types: string[] = [];

    const result = await client.runTurn(turn, { onEvent: (event) => types.push(event.type) });

    expect(types).toEqual([
      'created',
      'output_text_delta',
      'output_text_delta',
      'output_item_done',
      'completed',
    ]);
    expect(result).toMatchObject({
      responseId: 'resp_9',
      text: 'Hello there',
      usage: {
        input_tokens: 12,
        cached_input_tokens: 2,
        output_tokens: 5,
        reasoning_output_tokens: 1,
        total_tokens: 17,
      },
    });
  });

  it('uses auth.json from CODEX_HOME through the default AuthManager', async () => {
    const home = await tempHome();
    await writeFile(
      path.join(home, 'auth.json'),
      JSON.stringify({
        auth_mode: 'apikey',
        OPENAI_API_KEY: 'sk-from-file',
        tokens: null,
        last_refresh: null,
      }),
    );
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      providerToml(server.url, 'requires_openai_auth = true'),
      {
        home,
      },
    );
    const client = createModelClient({ config, env: {} });

    await client.runTurn(turn);

    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-from-file');
  });
});
