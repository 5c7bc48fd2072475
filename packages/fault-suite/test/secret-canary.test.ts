import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { completedEvents, type Reply, startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CANARY,
  type CodexHome,
  type CodexResult,
  expectNoHangNoLeak,
  expectNoProcessLeft,
  makeCodexHome,
  runExec,
} from './helpers/cli.ts';
import { writeCanaryTokenScript } from './helpers/config.ts';

/** Each way a token reaches a request; every one of them carries the canary. */
const sources: readonly [
  string,
  (home: CodexHome, url: string) => Promise<Record<string, string>>,
][] = [
  [
    'an auth command',
    async (home, url) => {
      await home.writeConfig(
        customProvider(url, ['[model_providers.mock.auth]', 'command = "./token.sh"']),
      );
      await writeCanaryTokenScript(home);
      return {};
    },
  ],
  [
    'experimental_bearer_token',
    async (home, url) => {
      await home.writeConfig(customProvider(url, [`experimental_bearer_token = "${CANARY}"`]));
      return {};
    },
  ],
  [
    'env_key',
    async (home, url) => {
      await home.writeConfig(customProvider(url, ['env_key = "FAULT_API_KEY"']));
      return { FAULT_API_KEY: CANARY };
    },
  ],
  [
    'CODEX_API_KEY',
    async (home, url) => {
      await home.writeConfig(openAi(url));
      return { CODEX_API_KEY: CANARY };
    },
  ],
  [
    'an auth.json API key',
    async (home, url) => {
      await home.writeConfig(openAi(url));
      await writeFile(
        path.join(home.dir, 'auth.json'),
        JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: CANARY }),
        { mode: 0o600 },
      );
      return {};
    },
  ],
];

function customProvider(url: string, lines: readonly string[]): string {
  return [
    'model_provider = "mock"',
    '[model_providers.mock]',
    'name = "Mock"',
    `base_url = ${JSON.stringify(url)}`,
    'request_max_retries = 0',
    'stream_max_retries = 0',
    ...lines,
    '',
  ].join('\n');
}

function openAi(url: string): string {
  return [`openai_base_url = ${JSON.stringify(url)}`, ''].join('\n');
}

/** A 401 whose body and headers quote the bearer token back, as some gateways do. */
const echoing401 = (authorization: string): Reply => ({
  kind: 'status',
  status: 401,
  body: { error: { message: `invalid credentials: ${authorization}`, code: authorization } },
  headers: {
    'x-request-id': authorization.slice(7),
    'x-openai-authorization-error': authorization,
  },
});

const plain401: Reply = {
  kind: 'status',
  status: 401,
  body: { error: { message: 'invalid credentials' } },
  headers: { 'x-request-id': 'req-canary-test', 'x-openai-authorization-error': 'bad token' },
};

const modes: readonly [string, readonly string[], Record<string, string>][] = [
  ['human output', [], {}],
  ['--json output', ['--json'], {}],
  ['CODEX_DEBUG=1', [], { CODEX_DEBUG: '1', RUST_LOG: 'trace' }],
];

const cases = sources.flatMap(([source, arrange]) =>
  modes.map(([mode, args, env]) => [source, mode, arrange, args, env] as const),
);

/** Exit 1, no hang, no canary, and `pattern` somewhere in the output (--json reports on stdout). */
function expectReportedFailure(result: CodexResult, pattern: RegExp): void {
  expectNoHangNoLeak(result);
  expect(result.exitCode, String(result.all)).toBe(1);
  expect(`${String(result.stdout)}\n${String(result.stderr)}`).toMatch(pattern);
}

async function arrangeRun(
  reply: (authorization: string) => Reply,
  arrange: (home: CodexHome, url: string) => Promise<Record<string, string>>,
  args: readonly string[],
  modeEnv: Record<string, string>,
): Promise<{ result: CodexResult; authorizations: string[]; home: CodexHome }> {
  const server = await startResponsesServer({
    responder: (request) => reply(request.headers['authorization'] ?? ''),
  });
  onTestFinished(() => server.close());
  const home = await makeCodexHome();
  const env = await arrange(home, server.url);
  const result = await runExec(home, { args, env: { ...env, ...modeEnv } });
  return {
    result,
    home,
    authorizations: server.requests.map((request) => request.headers['authorization'] ?? ''),
  };
}

// Every other fault in this suite also runs with the canary as the token and checks for it; this file
// varies the token's source and the output mode.
describe('the secret canary', () => {
  it.each(cases)(
    'never appears when a token from %s is rejected with 401 (%s)',
    async (_source, _mode, arrange, args, modeEnv) => {
      const { result, authorizations, home } = await arrangeRun(
        () => plain401,
        arrange,
        args,
        modeEnv,
      );

      expectReportedFailure(result, /401 Unauthorized: invalid credentials/);
      expect(authorizations[0]).toBe(`Bearer ${CANARY}`);
      await expectNoProcessLeft(home);
    },
  );

  it.each(modes)(
    'never appears when the server echoes the token back in its 401 (%s)',
    async (_mode, args, modeEnv) => {
      const { result } = await arrangeRun(echoing401, sources[0]![1], args, modeEnv);

      expectReportedFailure(result, /401 Unauthorized/);
    },
  );

  it.each(sources.slice(0, 3))(
    'never appears when a stream authorised by %s drops (--json)',
    async (_source, arrange) => {
      const { result, authorizations } = await arrangeRun(
        () => ({ kind: 'sse', events: completedEvents('cut'), dropAfterEvents: 1 }),
        arrange,
        ['--json'],
        {},
      );

      expectReportedFailure(result, /stream disconnected before completion/);
      expect(authorizations[0]).toBe(`Bearer ${CANARY}`);
    },
  );
});

/** A 5-character token: the one redaction rule covers every live secret of 4 characters or more. */
const SHORT_CANARY = 'Zq7k9';

const escapedForJson = (text: string) =>
  [...text].map((char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

describe('the short secret canary (4+ characters, improvement 9)', () => {
  it.each(
    modes.flatMap(([mode, args, env]) =>
      (['plain', 'JSON-escaped'] as const).map((encoding) => [mode, encoding, args, env] as const),
    ),
  )('never appears in %s when a 401 quotes it %s', async (_mode, encoding, args, modeEnv) => {
    const server = await startResponsesServer({
      responder: () => {
        const quoted = encoding === 'plain' ? SHORT_CANARY : escapedForJson(SHORT_CANARY);
        return {
          kind: 'status',
          status: 401,
          body: `{"error":{"message":"bad token ${quoted}","code":"invalid_api_key"}}`,
          headers: { 'x-openai-authorization-error': `token ${SHORT_CANARY} rejected` },
        };
      },
    });
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(
      customProvider(server.url, [`experimental_bearer_token = "${SHORT_CANARY}"`]),
    );

    const result = await runExec(home, { args, env: modeEnv });

    expect(result.exitCode).toBe(1);
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${SHORT_CANARY}`);
    const output = `${String(result.stdout)}\n${String(result.stderr)}`;
    expect(output).not.toContain(SHORT_CANARY);
    expect(output).not.toContain(escapedForJson(SHORT_CANARY));
    expect(output).toContain('[REDACTED]');
  });
});
