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
