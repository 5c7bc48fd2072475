import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  completedReply,
  startResponsesServer,
  writeScript,
  writeTokenQueueScript,
} from '@codex/test-support';
import { Codex } from '@openai/codex-sdk';
import { describe, expect, it, onTestFinished } from 'vitest';
import { authTable, bin, makeCodexHome, providerConfig } from './helpers/codex-e2e.ts';

/** An executable the SDK can spawn that runs our bundled bin with this Node. */
async function codexShim(dir: string): Promise<string> {
  return writeScript(
    dir,
    'codex',
    `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"`,
  );
}

describe('@openai/codex-sdk driving our CLI', () => {
  it('thread.run returns the mock answer and usage', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    const script = await writeTokenQueueScript(home.dir, ['sdk-tok-1']);
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      providerConfig(server.url, '', authTable(script.command)),
    );
    server.enqueue(completedReply('answer for the sdk'));
    const codex = new Codex({
      codexPathOverride: await codexShim(home.dir),
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home.dir,
        CODEX_HOME: home.codexHome,
      },
    });

    const thread = codex.startThread({
      skipGitRepoCheck: true,
      workingDirectory: home.dir,
      sandboxMode: 'read-only',
    });
    const turn = await thread.run('hello sdk');

    expect(turn.finalResponse).toBe('answer for the sdk');
    expect(turn.usage).toMatchObject({
      input_tokens: 12,
      cached_input_tokens: 2,
      output_tokens: 5,
    });
    expect(turn.items).toEqual([
      { id: 'item_0', type: 'agent_message', text: 'answer for the sdk' },
    ]);
    expect(thread.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sdk-tok-1');
    expect(server.requests[0]?.headers['originator']).toBe('codex_sdk_ts');
  });

  it('surfaces an auth failure as the SDK error', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    const command = await writeScript(home.dir, 'broken.sh', 'echo "no credentials" >&2; exit 2');
    await writeFile(
      path.join(home.codexHome, 'config.toml'),
      providerConfig(server.url, '', authTable(command)),
    );
    const codex = new Codex({
      codexPathOverride: await codexShim(home.dir),
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home.dir,
        CODEX_HOME: home.codexHome,
      },
    });

    const run = codex.startThread().run('hello');

    await expect(run).rejects.toThrow(`provider auth command \`${command}\``);
    expect(server.requests).toHaveLength(0);
  });

  it('passes baseUrl, apiKey, config overrides and outputSchema through to the request', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    server.enqueue(completedReply('{"answer":"42"}'));
    const codex = new Codex({
      codexPathOverride: await codexShim(home.dir),
      baseUrl: server.url,
      apiKey: 'sk-from-sdk',
      config: { model: 'gpt-from-config' },
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: home.dir,
        CODEX_HOME: home.codexHome,
      },
    });
    const outputSchema = {
      type: 'object',
      properties: { answer: { type: 'string' } },
      required: ['answer'],
      additionalProperties: false,
    };

    const turn = await codex.startThread().run('what is it?', { outputSchema });

    expect(turn.finalResponse).toBe('{"answer":"42"}');
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer sk-from-sdk');
    expect(server.requests[0]?.body).toMatchObject({
      model: 'gpt-from-config',
      text: { format: { schema: outputSchema } },
    });
  });
});
