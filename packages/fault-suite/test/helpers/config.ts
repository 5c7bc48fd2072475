import { writeScript } from '@codex/test-support';
import { CANARY, type CodexHome } from './cli.ts';

/** Provider limits small enough that every retry path finishes in a few seconds. */
export interface ProviderLimits {
  readonly requestMaxRetries?: number;
  readonly streamMaxRetries?: number;
  readonly streamIdleTimeoutMs?: number;
}

/**
 * A config.toml selecting provider `mock` at `url`, whose bearer token comes from `./token.sh` in
 * `$CODEX_HOME` (see {@link writeTokenScript}).
 */
export function mockProviderConfig(
  url: string,
  options: ProviderLimits & { readonly timeoutMs?: number } = {},
): string {
  const {
    requestMaxRetries = 1,
    streamMaxRetries = 1,
    streamIdleTimeoutMs = 500,
    timeoutMs = 5000,
  } = options;
  return [
    'model = "gpt-fault"',
    'model_provider = "mock"',
    '',
    '[model_providers.mock]',
    'name = "Mock"',
    `base_url = ${JSON.stringify(url)}`,
    `request_max_retries = ${requestMaxRetries}`,
    `stream_max_retries = ${streamMaxRetries}`,
    `stream_idle_timeout_ms = ${streamIdleTimeoutMs}`,
    '',
    '[model_providers.mock.auth]',
    'command = "./token.sh"',
    `timeout_ms = ${timeoutMs}`,
    '',
  ].join('\n');
}

/** A config.toml for the built-in `openai` provider pointed at `url`: credentials come from auth.json. */
export function openAiConfig(url: string): string {
  return ['model = "gpt-fault"', `openai_base_url = ${JSON.stringify(url)}`, ''].join('\n');
}

/**
 * Writes `$CODEX_HOME/token.sh`: it records its pid in the pid file, then runs `body`.
 * `$CANARY` and `$PIDFILE` (exported, for the processes it starts) are available to the body.
 */
export async function writeTokenScript(home: CodexHome, body: string): Promise<string> {
  return writeScript(
    home.dir,
    'token.sh',
    [`CANARY='${CANARY}'`, `export PIDFILE='${home.pidFile}'`, 'echo $$ >> "$PIDFILE"', body].join(
      '\n',
    ),
  );
}

/**
 * A token script that prints the canary as its token, and a new canary-derived token on every rerun
 * (`<canary>-2`, ...), as a real helper does after a 401.
 */
export function writeCanaryTokenScript(home: CodexHome): Promise<string> {
  return writeTokenScript(
    home,
    'n=$(wc -l < "$PIDFILE")\nif [ "$n" -le 1 ]; then printf "%s\\n" "$CANARY"; else printf "%s-%s\\n" "$CANARY" "$n"; fi',
  );
}
