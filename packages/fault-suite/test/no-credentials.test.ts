import { startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { expectFailure, makeCodexHome, runExec } from './helpers/cli.ts';

// Issue 12, item 6: with no OpenAI login and no key, `codex exec` for a provider that needs one fails
// at once with one line saying how to sign in, and sends nothing (the credential sources of issue 10).
describe('codex exec with no credentials at all', () => {
  it('fails at once, sends no request and says how to sign in', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    // the built-in openai provider, pointed at loopback so a request that should not be sent is seen
    await home.writeConfig(`openai_base_url = ${JSON.stringify(server.url)}\n`);

    const result = await runExec(home, { env: { OPENAI_API_KEY: '' } });

    expectFailure(result, 'codex login', 'OPENAI_API_KEY');
    expect(String(result.stderr).trim().split('\n')).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
    // "at once" is shown by the missing request: nothing was sent, so nothing was retried. Speed is not
    // timed here (0.7-2.3 s on a loaded 2-core machine); this bound only catches a retry or backoff
    // loop, which took ~45 s before.
    expect(result.durationMs).toBeLessThan(15_000);
  });
});
