// An error answer's body is read within bounds (src/request-loop.ts): a server that stalls in the middle of it
// or sends without end gets its status reported with what came first, instead of a hang or all of it in memory.
import type { ServerResponse } from 'node:http';
import { createModelClient, InvalidRequestError, userMessage } from '@codex/core';
import { startRawHttpServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadProviderConfig, tomlString } from './helpers/provider-config.ts';

const turn = { input: [userMessage('hello')] };

async function serve(answer: (response: ServerResponse) => void): Promise<string> {
  const server = await startRawHttpServer((_request, response) => answer(response));
  onTestFinished(() => server.close());
  return `${server.origin}/v1`;
}

async function clientFor(url: string, idleTimeoutMs = 200) {
  const config = await loadProviderConfig(
    `base_url = ${tomlString(url)}\nrequest_max_retries = 0\nstream_max_retries = 0\nstream_idle_timeout_ms = ${idleTimeoutMs}`,
  );
  return createModelClient({ config, env: {} });
}

describe('the body of an error answer', () => {
  it('is cut after the idle timeout when the server stalls in it, and the 400 reported with what came', async () => {
    const url = await serve((response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.write('{"error":{"message":"stall'); // and nothing more
    });
    const client = await clientFor(url);

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidRequestError);
    // the word the stall cut is dropped: it could have been part of a secret
    expect((error as Error).message).toBe('{"error":{"message":"');
  });

  it('is read up to 1 MiB of a body without end, then the rest dropped', async () => {
    const piece = Buffer.from('abc '.repeat(16 * 1024)); // 64 KiB of words
    let written = 0;
    let stopped = false;
    const url = await serve((response) => {
      response.writeHead(400, { 'content-type': 'text/plain' });
      // an endless body: writes until the client goes away
      const write = (): void => {
        let more = true;
        while (!stopped && more) {
          more = response.write(piece);
          written += piece.length;
        }
        if (!stopped) response.once('drain', write);
      };
      response.on('close', () => {
        stopped = true;
      });
      write();
    });
    const client = await clientFor(url);

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidRequestError);
    const { message } = error as Error;
    expect(message.startsWith('abc abc')).toBe(true);
    expect(message.length).toBeGreaterThan(1024 * 1024 - 8);
    expect(message.length).toBeLessThanOrEqual(1024 * 1024);
    expect(written).toBeGreaterThan(1024 * 1024);
  });

  it('takes a stream_idle_timeout_ms beyond what Node timers hold as "very long", not as 1 ms', async () => {
    const url = await serve((response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.write('{"error":{"message":"the whole ');
      setTimeout(() => response.end('explanation"}}'), 50); // a body that trickles
    });
    const client = await clientFor(url, 3_000_000_000); // u64 in the config; Node's limit is 2^31-1 ms
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    onTestFinished(() => {
      process.off('warning', onWarning);
    });

    const error = await client.runTurn(turn).catch((caught: unknown) => caught);

    expect((error as Error).message).toContain('the whole explanation');
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it.each([
    ['a 404, whose message shows the first 1,000 bytes', 404, 1000],
    ['a 400, whose message is the body up to 1 MiB', 400, 1024 * 1024],
  ])('never shows the start of a secret the cut goes through: %s', async (_name, status, cutAt) => {
    const secret = 'sk-live-secret-0123456789abcdef';
    const body = `${'x '.repeat(cutAt)}`.slice(0, cutAt - 10) + ` ${secret} and more`;
    const url = await serve((response) => {
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(body);
    });
    const config = await loadProviderConfig(
      `base_url = ${tomlString(url)}\nenv_key = "CORP_KEY"\nrequest_max_retries = 0\nstream_max_retries = 0`,
    );
    const client = createModelClient({ config, env: { CORP_KEY: secret } });

    const error = (await client.runTurn(turn).catch((caught: unknown) => caught)) as Error;

    expect(error.message).not.toContain(secret.slice(0, 8));
  });

  it('keeps a body of exactly 1 MiB that ends there whole, last word included', async () => {
    const body = `${'ab '.repeat(400_000)}`.slice(0, 1024 * 1024 - 9) + ' LASTWORD';
    const url = await serve((response) => {
      response.writeHead(400, { 'content-length': String(Buffer.byteLength(body)) });
      response.end(body);
    });
    const client = await clientFor(url);

    const error = (await client.runTurn(turn).catch((caught: unknown) => caught)) as Error;

    expect(error.message.endsWith(' LASTWORD')).toBe(true);
  });

  it.each([
    ['JSON-escaped', '\\u0073\\u006b\\u002d\\u006c\\u0069\\u0076\\u0065'],
    ['percent-encoded', '%73%6b%2d%6c%69%76%65'],
    ['plain, after a long run of token characters', `${'t'.repeat(200_000)}sk-live`],
  ])('drops a %s word a silence cut, whole', async (_name, tail) => {
    const url = await serve((response) => {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.write(`bad request: ${tail}`); // and then nothing
    });
    const client = await clientFor(url);

    const error = (await client.runTurn(turn).catch((caught: unknown) => caught)) as Error;

    expect(error.message).toBe('bad request: ');
  });
});
