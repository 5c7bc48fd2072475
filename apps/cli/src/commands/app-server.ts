import { createModelClient } from '@codex/core';
import { AuthManager, clearProviderBearerRefreshers } from '@codex/login';
import { createChatgptLogins } from '../app-server/chatgpt-logins.ts';
import { createExternalAuthBridge } from '../app-server/external-auth-bridge.ts';
import { createJsonRpcConnection } from '../app-server/json-rpc-connection.ts';
import { createMessageProcessor, type MessageProcessor } from '../app-server/message-processor.ts';
import type { CliIo } from '../cli-io.ts';
import { parseCommandLine } from '../parse-command-line.ts';
import { UsageError } from '../usage.ts';
import { keepWasmParserOnBaseline } from '../wasm-tiering.ts';
import { loginCallbackPort } from './chatgpt-login.ts';
import { loadLoginConfig } from './login.ts';

/** Env var (read only by `codex app-server`) overriding the 10 s wait for a parent app's token refresh. */
export const AUTH_REFRESH_TIMEOUT_ENV_VAR = 'CODEX_APP_SERVER_AUTH_REFRESH_TIMEOUT_MS';

const appServerUsage = 'codex app-server [OPTIONS]';
const appServerHelp = `[experimental] Run the app server: JSON-RPC over stdio, one JSON message per line

Usage: ${appServerUsage}

Options:
  -c, --config <key=value>  Override a configuration value from config.toml
  -h, --help                Print help
`;

const appServerOptions = {
  config: { type: 'string', short: 'c', multiple: true },
  listen: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

declare const CODEX_CLI_VERSION: string | undefined;

function refreshTimeoutMs(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[AUTH_REFRESH_TIMEOUT_ENV_VAR]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * `codex app-server`: serves a parent app over stdin/stdout until stdin ends.
 * ChatGPT tokens the parent app pushes live in memory only; on a 401 the server asks the parent app
 * for new ones (`account/chatgptAuthTokens/refresh`).
 */
export async function runAppServer(argv: readonly string[], io: CliIo): Promise<number> {
  keepWasmParserOnBaseline();
  const { values, positionals } = parseCommandLine(argv, appServerOptions, appServerUsage);
  if (values.help) {
    io.stdout.write(appServerHelp);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' found`, appServerUsage);
  }
  if (values.listen !== undefined && values.listen !== 'stdio://') {
    throw new UsageError(
      `invalid value '${values.listen}' for '--listen <URL>': only stdio:// is supported`,
      appServerUsage,
    );
  }
  const config = await loadLoginConfig(values.config ?? [], io);
  const log = (line: string) => io.stderr.write(`${line}\n`);
  for (const warning of config.warnings) log(warning);

  const forced = config.forcedChatgptWorkspaceId;
  const forcedWorkspaceIds =
    forced === undefined ? [] : typeof forced === 'string' ? [forced] : forced;
  const authManager = AuthManager.create({
    codexHome: config.codexHome,
    enableCodexApiKeyEnv: false,
    storeMode: config.cliAuthCredentialsStore,
    env: io.env,
    forcedChatgptWorkspaceId:
      forcedWorkspaceIds.length === 1 ? (forcedWorkspaceIds[0] ?? null) : null,
    onWarning: log,
  });
  // A long-lived process: command tokens with a known expiry are renewed ahead of time (improvement 17).
  const modelClient = createModelClient({ config, authManager, env: io.env, refreshAhead: true });
  // Closing stdin ends the server: running turns, auth commands and requests stop with it.
  const lifetime = new AbortController();
  const signal =
    io.signal === undefined ? lifetime.signal : AbortSignal.any([io.signal, lifetime.signal]);

  let processor: MessageProcessor | null = null;
  // EPIPE when the parent app goes away must not crash the server mid-turn; the connection then ends the
  // channel (as when stdin closes), and the error is logged once, not once per write that follows
  let stdoutFailed = false;
  io.stdout.on('error', (error: Error) => {
    if (!stdoutFailed) log(`stdout: ${error.message}`);
    stdoutFailed = true;
  });
  const connection = createJsonRpcConnection({
    input: io.stdin,
    output: io.stdout,
    onRequest: (method, params) => (processor as MessageProcessor).handleRequest(method, params),
    onNotification: (method, params) =>
      (processor as MessageProcessor).handleNotification(method, params),
    log,
  });
  const timeoutMs = refreshTimeoutMs(io.env);
  const bridge = createExternalAuthBridge({
    connection,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  authManager.setExternalAuth(bridge);
  const port = loginCallbackPort(io.env);
  const chatgptLogins = createChatgptLogins({
    codexHome: config.codexHome,
    storeMode: config.cliAuthCredentialsStore,
    env: io.env,
    forcedWorkspaceIds,
    ...(port === undefined ? {} : { port }),
    log,
  });
  processor = createMessageProcessor({
    chatgptLogins,
    notify: connection.notify,
    authManager,
    bridge,
    runTurn: (request, onEvent) =>
      modelClient.runTurn(
        {
          model: request.model,
          input: request.input,
          sessionId: request.sessionId,
          ...config.requestShaping,
        },
        { onEvent, signal },
      ),
    codexHome: config.codexHome,
    cwd: config.cwd,
    model: config.model,
    modelProviderId: config.modelProviderId,
    requiresOpenaiAuth: config.modelProvider.requires_openai_auth,
    storeMode: config.cliAuthCredentialsStore,
    forcedLoginMethod: config.forcedLoginMethod ?? null,
    forcedWorkspaceIds,
    version: typeof CODEX_CLI_VERSION === 'string' ? CODEX_CLI_VERSION : '0.0.0',
    log,
    signal,
  });

  await Promise.race([
    connection.closed,
    new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    ),
  ]);
  lifetime.abort(new Error('app-server input closed'));
  clearProviderBearerRefreshers(signal.reason);
  chatgptLogins.cancelActive();
  await processor.drain();
  // requests read before the input closed still get their answers; what waits on the network stopped with `signal`
  await connection.idle();
  authManager.clearExternalAuth();
  if (stdoutFailed || !(await outputDrained(io.stdout))) {
    // Node keeps a process alive while a write to stdout is pending and cannot close stdout: a parent that
    // closed stdin (or its end of stdout) and reads no more would wait for this exit forever
    process.exit(0);
  }
  return 0;
}

/** How long a parent that closed our stdin has to read what is left of our output. */
const OUTPUT_GRACE_MS = 2000;

/** Whether the output has drained, waiting at most OUTPUT_GRACE_MS for a parent still reading it. */
function outputDrained(output: CliIo['stdout']): Promise<boolean> {
  const stream = output as NodeJS.WritableStream & { writableNeedDrain?: boolean };
  if (stream.writableNeedDrain !== true) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), OUTPUT_GRACE_MS);
    stream.once('drain', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
