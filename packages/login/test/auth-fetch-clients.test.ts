import { createOpenAI } from '@ai-sdk/openai';
import { AuthCommandError, createAuthFetch, createBearerTokenRefresher } from '@codex/login';
import { type ResponsesServer, startResponsesServer } from '@codex/test-support';
import { streamText } from 'ai';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  authConfig,
  scriptRuns,
  tempDir,
  writeScript,
  writeTokenScript,
} from './helpers/fixtures.ts';

const unauthorized = {
  kind: 'status',
  status: 401,
  body: { error: { message: 'token expired', type: 'invalid_request_error', code: null } },
} as const;

/** A Responses stream as the API sends it, complete enough for the openai client and the AI SDK schemas. */
function responsesStream(text: string): unknown[] {
  const response = {
    id: 'resp_1',
    object: 'response',
    created_at: 1_700_000_000,
    model: 'gpt-test',
  };
  const message = { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed' };
  const usage = {
    input_tokens: 3,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 2,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 5,
  };
  const half = Math.ceil(text.length / 2);
  return [
    {
      type: 'response.created',
      sequence_number: 0,
      response: { ...response, status: 'in_progress' },
    },
    {
      type: 'response.output_item.added',
      sequence_number: 1,
      output_index: 0,
      item: { ...message, status: 'in_progress', content: [] },
    },
    ...[text.slice(0, half), text.slice(half)].map((delta, index) => ({
      type: 'response.output_text.delta',
      sequence_number: 2 + index,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta,
      logprobs: [],
    })),
    {
      type: 'response.output_item.done',
      sequence_number: 4,
      output_index: 0,
      item: { ...message, content: [{ type: 'output_text', text, annotations: [] }] },
    },
    {
      type: 'response.completed',
      sequence_number: 5,
      response: { ...response, status: 'completed', usage },
    },
  ];
}

let server: ResponsesServer;

beforeEach(async () => {
  server = await startResponsesServer();
  server.respond(() => ({ kind: 'sse', events: responsesStream('hello there') }));
});

afterEach(async () => {
  await server.close();
});

/** A command-backed source whose first token the server rejects once. */
async function commandSource(): Promise<{
  dir: string;
  source: ReturnType<typeof createBearerTokenRefresher>;
}> {
  const dir = await tempDir();
  await writeTokenScript(dir, ['tok-client-1', 'tok-client-2']);
  server.enqueue(unauthorized);
  return { dir, source: createBearerTokenRefresher(authConfig(dir)) };
}

describe('createAuthFetch with the official clients (improvement 18)', () => {
  it('carries the openai client through a 401 on a streamed Responses call, our bearer winning (improvement 18)', async () => {
    const { dir, source } = await commandSource();
    const client = new OpenAI({
      apiKey: 'unused',
      baseURL: server.url,
      fetch: createAuthFetch(source),
      maxRetries: 0,
    });

    const stream = await client.responses.create({ model: 'gpt-test', input: 'hi', stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
    }

    expect(text).toBe('hello there');
    expect(server.requests.map((request) => request.path)).toEqual([
      '/v1/responses',
      '/v1/responses',
    ]);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-client-1',
      'Bearer tok-client-2',
    ]);
    expect(server.requests[1]?.body).toMatchObject({
      model: 'gpt-test',
      input: 'hi',
      stream: true,
    });
    expect(await scriptRuns(dir)).toBe(2);
  });

  it('carries the Vercel AI SDK streamText through a 401 (improvement 18)', async () => {
    const { dir, source } = await commandSource();
    const provider = createOpenAI({
      apiKey: 'unused',
      baseURL: server.url,
      fetch: createAuthFetch(source),
    });

    const result = streamText({ model: provider('gpt-test'), prompt: 'hi', maxRetries: 0 });
    const text = await result.text;

    expect(text).toBe('hello there');
    expect(server.requests.map((request) => request.path)).toEqual([
      '/v1/responses',
      '/v1/responses',
    ]);
    expect(server.requests.map((request) => request.headers['authorization'])).toEqual([
      'Bearer tok-client-1',
      'Bearer tok-client-2',
    ]);
    expect(server.requests[0]?.rawBody).toBe(server.requests[1]?.rawBody);
    expect(await scriptRuns(dir)).toBe(2);
  });

  it('surfaces the rejected-token error through the openai client as the cause of its connection error', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'same.sh', 'echo run >> runs.log\necho tok-client-same-9');
    const source = createBearerTokenRefresher(authConfig(dir, { command: './same.sh' }));
    server.respond(() => unauthorized);
    const client = new OpenAI({
      apiKey: 'unused',
      baseURL: server.url,
      fetch: createAuthFetch(source),
      maxRetries: 0,
    });

    const error = await client.responses.create({ model: 'gpt-test', input: 'hi' }).then(
      () => null,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect((error as Error).cause).toBeInstanceOf(AuthCommandError);
    expect(((error as Error).cause as Error).message).toContain(
      'printed the token the server just rejected',
    );
    expect(server.requests).toHaveLength(1);
    expect(await scriptRuns(dir)).toBe(2);
  });
});
