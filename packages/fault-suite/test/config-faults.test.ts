import { startResponsesServer } from '@codex/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CANARY,
  expectFailure,
  expectNoProcessLeft,
  makeCodexHome,
  recordedPids,
  runExec,
} from './helpers/cli.ts';
import { writeCanaryTokenScript } from './helpers/config.ts';

interface ConfigCase {
  /** Lines added to `[model_providers.corp]`. */
  readonly provider?: readonly string[];
  /** Lines of `[model_providers.corp.auth]` after `command`; null drops the auth table. */
  readonly auth?: readonly string[] | null;
  /** Replaces the `command = "./token.sh"` line. */
  readonly command?: string;
  /** Top-level keys and extra tables, appended. */
  readonly extra?: readonly string[];
  readonly topLevel?: readonly string[];
}

/**
 * A config.toml selecting provider `corp`, which carries the canary in a header on every case, so a
 * validation message that dumped the provider table would leak it.
 */
function configToml(url: string, entry: ConfigCase): string {
  const lines = [
    'model = "gpt-fault"',
    'model_provider = "corp"',
    ...(entry.topLevel ?? []),
    '',
    '[model_providers.corp]',
    'name = "Corp"',
    `base_url = ${JSON.stringify(url)}`,
    `http_headers = { "X-Secret" = "${CANARY}" }`,
    ...(entry.provider ?? []),
  ];
  if (entry.auth !== null) {
    lines.push('', '[model_providers.corp.auth]', entry.command ?? 'command = "./token.sh"');
    lines.push(...(entry.auth ?? []));
  }
  lines.push('', ...(entry.extra ?? []), '');
  return lines.join('\n');
}

const prefix = 'Error loading config.toml: ';

// Every invalid value of upstream-core.md §1.3 (provider validation) and §2 (auth fields).
const cases: readonly [string, ConfigCase, readonly (string | RegExp)[]][] = [
  [
    'a reserved built-in provider id',
    { extra: ['[model_providers.openai]', 'name = "Mine"', 'base_url = "http://127.0.0.1:9/v1"'] },
    [
      'model_providers contains reserved built-in provider IDs: `openai`. Built-in providers cannot be overridden.',
    ],
  ],
  [
    'several reserved ids',
    { extra: ['[model_providers.openai]', 'name = "A"', '[model_providers.ollama]', 'name = "B"'] },
    ['model_providers contains reserved built-in provider IDs: `ollama`, `openai`.'],
  ],
  [
    'aws on a custom provider',
    { provider: ['aws = { profile = "p" }'], auth: null },
    ['model_providers.corp', 'aws'],
  ],
  [
    'a blank amazon-bedrock aws.service',
    { extra: ['[model_providers.amazon-bedrock]', 'aws = { service = " " }'] },
    ['amazon-bedrock'],
  ],
  [
    'a blank auth.command',
    { command: 'command = "   "' },
    ['model_providers.corp: provider auth.command must not be empty'],
  ],
  [
    'auth with env_key',
    { provider: ['env_key = "CORP_KEY"'] },
    ['model_providers.corp: provider auth cannot be combined with env_key'],
  ],
  [
    'auth with experimental_bearer_token and requires_openai_auth',
    { provider: [`experimental_bearer_token = "${CANARY}"`, 'requires_openai_auth = true'] },
    [
      'model_providers.corp: provider auth cannot be combined with experimental_bearer_token, requires_openai_auth',
    ],
  ],
  [
    'wire_api = "chat"',
    { provider: ['wire_api = "chat"'] },
    ['`wire_api = "chat"` is no longer supported.'],
  ],
  ['an unknown wire_api', { provider: ['wire_api = "grpc"'] }, ['wire_api']],
  ['timeout_ms = 0', { auth: ['timeout_ms = 0'] }, ['timeout_ms']],
  ['a negative timeout_ms', { auth: ['timeout_ms = -5'] }, ['timeout_ms']],
  ['a string timeout_ms', { auth: ['timeout_ms = "5s"'] }, ['timeout_ms']],
  [
    'a negative refresh_interval_ms',
    { auth: ['refresh_interval_ms = -1'] },
    ['refresh_interval_ms'],
  ],
  ['args that is not an array', { auth: ['args = "--flag"'] }, ['args']],
  ['args with a number', { auth: ['args = ["--flag", 3]'] }, ['args']],
  ['a command that is not a string', { command: 'command = 42' }, ['command']],
  ['an auth table without command', { command: 'args = []' }, ['command']],
  ['a cwd that is not a string', { auth: ['cwd = 5'] }, ['cwd']],
  [
    'a negative request_max_retries',
    { provider: ['request_max_retries = -1'] },
    ['request_max_retries'],
  ],
  [
    'a fractional stream_max_retries',
    { provider: ['stream_max_retries = 1.5'] },
    ['stream_max_retries'],
  ],
  [
    'a string stream_idle_timeout_ms',
    { provider: ['stream_idle_timeout_ms = "soon"'] },
    ['stream_idle_timeout_ms'],
  ],
  [
    'a string supports_websockets',
    { provider: ['supports_websockets = "yes"'] },
    ['supports_websockets'],
  ],
  ['query_params that is not a table', { provider: ['query_params = "a=b"'] }, ['query_params']],
  ['TOML that does not parse', { extra: ['[model_providers.corp'] }, [/config\.toml/]],
];

describe('codex exec with an invalid config.toml', () => {
  it.each(cases)('fails clearly on %s', async (_name, entry, fragments) => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(configToml(server.url, entry));
    await writeCanaryTokenScript(home);

    const result = await runExec(home);

    expectFailure(result, prefix, ...fragments);
    expect(server.requests).toHaveLength(0);
    expect(await recordedPids(home)).toEqual([]);
    await expectNoProcessLeft(home);
  });

  // Skipped: @codex/protocol has no built-in `amazon-bedrock` provider (the port skips AWS, upstream-core
  // §1.1.7), so upstream's merge rule §1.6.3 does not apply and such an entry is a plain custom provider.
  it.skip('fails clearly on a non-default amazon-bedrock field', async () => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(
      configToml(server.url, {
        extra: ['[model_providers.amazon-bedrock]', 'base_url = "http://127.0.0.1:9/v1"'],
      }),
    );

    const result = await runExec(home);

    expectFailure(
      result,
      prefix,
      'model_providers.amazon-bedrock only supports changing `aws.profile`',
    );
  });

  it.each([
    ['model_providers.corp.auth.timeout_ms=0', 'timeout_ms'],
    ['model_providers.corp.wire_api="chat"', '`wire_api = "chat"` is no longer supported.'],
    ['model_providers.corp.env_key="CORP_KEY"', 'provider auth cannot be combined with env_key'],
  ])('fails clearly on the override -c %s', async (override, fragment) => {
    const server = await startResponsesServer();
    onTestFinished(() => server.close());
    const home = await makeCodexHome();
    await home.writeConfig(configToml(server.url, {}));
    await writeCanaryTokenScript(home);

    const result = await runExec(home, { args: ['-c', override] });

    expectFailure(result, prefix, fragment);
    expect(server.requests).toHaveLength(0);
  });
});
