import { startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type CodexHome,
  expectFailure,
  expectNoHangNoLeak,
  expectNoProcessLeft,
  makeCodexHome,
  runExec,
} from './helpers/cli.ts';
import { mockProviderConfig, writeTokenScript } from './helpers/config.ts';

/** A home whose provider runs `./token.sh` (with `body`) against a server that would answer "ok". */
async function setup(
  body: string,
  timeoutMs = 5000,
): Promise<{ home: CodexHome; requests: () => number }> {
  const server = await startResponsesServer();
  onTestFinished(() => server.close());
  const home = await makeCodexHome();
  await home.writeConfig(mockProviderConfig(server.url, { timeoutMs, streamMaxRetries: 0 }));
  await writeTokenScript(home, body);
  return { home, requests: () => server.requests.length };
}

describe('codex exec with a broken token command', () => {
  it('kills a hung command and its children after timeout_ms and sends nothing', async () => {
    const { home, requests } = await setup(
      ['sleep 30 &', 'echo $! >> "$PIDFILE"', 'wait'].join('\n'),
      300,
    );

    const result = await runExec(home);

    expectFailure(result, 'provider auth command `./token.sh` timed out after 300 ms');
    expect(requests()).toBe(0);
    await expectNoProcessLeft(home, 2);
  });

  it('stops reading a command that prints 100 MB and sends nothing', async () => {
    const { home, requests } = await setup(
      `sh -c 'echo $$ >> "$PIDFILE"; exec yes "$0"' "$CANARY" | head -c 104857600`,
    );

    const result = await runExec(home);

    expectFailure(result, 'provider auth command `./token.sh`');
    expect(requests()).toBe(0);
    await expectNoProcessLeft(home, 2);
  });

  it('rejects a command that prints binary data and sends nothing', async () => {
    const { home, requests } = await setup(`printf '\\377\\376\\000\\001%s\\200\\n' "$CANARY"`);

    const result = await runExec(home);

    expectFailure(result, 'provider auth command `./token.sh` wrote non-UTF-8 data to stdout');
    expect(requests()).toBe(0);
    await expectNoProcessLeft(home, 1);
  });

  it('reports a command killed by a signal and sends nothing', async () => {
    const { home, requests } = await setup('printf "%s\\n" "$CANARY"\nkill -9 $$');

    const result = await runExec(home);

    expectFailure(result, 'provider auth command `./token.sh` exited with status', /signal|9/);
    expect(requests()).toBe(0);
    await expectNoProcessLeft(home, 1);
  });

  it('reports a command that exits non-zero after printing a token, without quoting it', async () => {
    const { home, requests } = await setup(
      'printf "%s\\n" "$CANARY"\necho "helper broke" >&2\nexit 3',
    );

    const result = await runExec(home);

    expectFailure(
      result,
      'provider auth command `./token.sh` exited with status exit status: 3: helper broke',
    );
    expect(requests()).toBe(0);
    await expectNoProcessLeft(home, 1);
  });

  it('does not wait for a forked child that keeps stdout open, and leaves no child behind', async () => {
    const { home } = await setup(
      ['sleep 30 &', 'echo $! >> "$PIDFILE"', 'printf "%s\\n" "$CANARY"'].join('\n'),
      1000,
    );

    const result = await runExec(home);

    expectNoHangNoLeak(result);
    expect([0, 1]).toContain(result.exitCode);
    await expectNoProcessLeft(home, 2);
  });

  it('leaves no forked child behind when the command succeeds', async () => {
    const { home, requests } = await setup(
      ['sleep 30 >/dev/null 2>&1 &', 'echo $! >> "$PIDFILE"', 'printf "%s\\n" "$CANARY"'].join(
        '\n',
      ),
    );

    const result = await runExec(home);

    expectNoHangNoLeak(result);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toBe('ok');
    expect(requests()).toBe(1);
    await expectNoProcessLeft(home, 2);
  });
});

describe('codex exec when the token command prints the rejected token again (improvement 16)', () => {
  it('does not resend it: one request, exit 1, one line pointing at CODEX_AUTH_REASON', async () => {
    const server = await startResponsesServer({
      responder: () => ({ kind: 'status', status: 401, body: { error: { message: 'expired' } } }),
    });
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(mockProviderConfig(server.url));
    await writeTokenScript(home, 'echo "$CODEX_AUTH_REASON" >> reasons\nprintf "%s\\n" "$CANARY"');

    const result = await runExec(home);

    expectFailure(result, 'printed the token the server just rejected', 'CODEX_AUTH_REASON');
    expect(server.requests).toHaveLength(1);
    await expectNoProcessLeft(home, 2);
  });
});
