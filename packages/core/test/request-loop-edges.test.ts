import {
  type ClientNotice,
  createModelClient,
  StreamError,
  TurnAbortedError,
  userMessage,
} from '@codex/core';
import { AuthManager } from '@codex/login';
import { responseEvents, startResponsesServer } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { loadProviderConfig, recordingSleep, tomlString } from './helpers/provider-config.ts';

const turn = { input: [userMessage('hello')] };

describe('request loop edge cases', () => {
  it('neither retries nor waits when the turn is aborted in flight', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'hang' }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequest_max_retries = 3\nstream_max_retries = 0`,
    );
    const { sleep, delays } = recordingSleep();
    const notices: ClientNotice[] = [];
    const client = createModelClient({ config, env: {}, sleep, onNotice: (n) => notices.push(n) });
    const controller = new AbortController();

    const pending = client
      .runTurn(turn, { signal: controller.signal })
      .catch((caught: unknown) => caught);
    await server.waitForRequests(1);
    controller.abort(new Error('stop'));
    const error = await pending;

    expect(error).toBeInstanceOf(TurnAbortedError);
    expect((error as Error).cause).toEqual(new Error('stop'));
    expect(notices).toEqual([]);
    expect(delays).toEqual([]);
  });

  it('keeps the transport error as the cause of the StreamError', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({ kind: 'drop' }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequest_max_retries = 0\nstream_max_retries = 0`,
    );
    const client = createModelClient({ config, env: {} });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StreamError);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('reports an abort as TurnAbortedError even when a failure event follows in the same read', async () => {
    await using server = await startResponsesServer();
    server.respond(() => ({
      kind: 'sse',
      events: [responseEvents.created(), responseEvents.failed('server_error', 'boom')],
    }));
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequest_max_retries = 0\nstream_max_retries = 0`,
    );
    const client = createModelClient({ config, env: {} });
    const controller = new AbortController();

    const error = await client
      .runTurn(turn, {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'created') controller.abort('user');
        },
      })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TurnAbortedError);
    expect((error as Error).cause).toBe('user');
  });

  it('uses the AuthManager it is given rather than creating one', async () => {
    await using server = await startResponsesServer();
    const config = await loadProviderConfig(
      `base_url = ${tomlString(server.url)}\nrequires_openai_auth = true`,
    );
    const authManager = AuthManager.create({
      codexHome: config.codexHome,
      enableCodexApiKeyEnv: true,
      env: { CODEX_API_KEY: 'sk-given' },
    });
    const client = createModelClient({ config, env: { CODEX_API_KEY: 'sk-env' }, authManager });

    await client.runTurn(turn);

    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-given');
  });
});
