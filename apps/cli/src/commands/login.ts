import { type Config, loadConfig } from '@codex/core';
import {
  codexAuthFromAuthDotJson,
  loadAuthDotJson,
  loginWithApiKey,
  providerBearerRefresher,
} from '@codex/login';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { credentialStatus } from '../credential-status.ts';
import { slowCommandText } from '../notices.ts';
import { parseCommandLine } from '../parse-command-line.ts';
import { decodeInput, readAll } from '../read-stdin.ts';
import { describeError, errorMessage } from '../report-error.ts';
import { loginHelp, loginStatusHelp, loginUsage, UsageError } from '../usage.ts';
import { loginWithBrowser, loginWithDeviceCode } from './chatgpt-login.ts';

const loginOptions = {
  config: { type: 'string', short: 'c', multiple: true },
  'with-api-key': { type: 'boolean' },
  'api-key': { type: 'string' },
  'device-auth': { type: 'boolean' },
  experimental_issuer: { type: 'string' },
  'experimental_client-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const pipeHint = 'printenv OPENAI_API_KEY | codex login --with-api-key';

/** `codex login`, `codex login --with-api-key` and `codex login status`; messages go to stderr. */
export async function runLogin(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, loginOptions, loginUsage);
  // `codex login status --help`, and clap's `codex login help [status]`
  const helpFor = positionals[0] === 'help' ? positionals[1] : values.help ? positionals[0] : null;
  if (helpFor !== null) {
    io.stdout.write(helpFor === 'status' ? loginStatusHelp : loginHelp);
    return 0;
  }
  const overrides = values.config ?? [];
  const [subcommand, extra] = positionals;
  if (extra !== undefined || (subcommand !== undefined && subcommand !== 'status')) {
    throw new UsageError(`unexpected argument '${extra ?? subcommand}' found`, loginUsage);
  }
  if (subcommand === 'status') return loginStatus(overrides, io);
  if (values['api-key'] !== undefined) {
    io.stderr.write(
      `The --api-key flag is no longer supported. Pipe the key instead, e.g. \`${pipeHint}\`.\n`,
    );
    return 1;
  }
  if (values['with-api-key']) return loginApiKey(overrides, io);
  const config = await loadLoginConfig(overrides, io);
  if (config.forcedLoginMethod === 'api') {
    io.stderr.write('ChatGPT login is disabled. Use API key login instead.\n');
    return 1;
  }
  if (values['device-auth']) {
    return loginWithDeviceCode(config, io, {
      issuer: values.experimental_issuer,
      clientId: values['experimental_client-id'],
    });
  }
  return loginWithBrowser(config, io);
}

async function loginApiKey(overrides: readonly string[], io: CliIo): Promise<number> {
  if (io.stdin.isTTY === true) {
    io.stderr.write(
      `--with-api-key expects the API key on stdin. Try piping it, e.g. \`${pipeHint}\`.\n`,
    );
    return 1;
  }
  io.stderr.write('Reading API key from stdin...\n');
  let apiKey: string;
  try {
    apiKey = decodeInput(await readAll(io.stdin)).trim();
  } catch (error) {
    io.stderr.write(`Failed to read stdin: ${errorMessage(error)}\n`);
    return 1;
  }
  if (apiKey === '') {
    io.stderr.write('No API key provided via stdin.\n');
    return 1;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f]|[^\u0000-\u00ff]/.test(apiKey)) {
    // caught here, not at the first request: such a key could never be sent in an Authorization header
    io.stderr.write(
      'The API key on stdin has more than one line, control characters or characters that cannot be sent in an HTTP header; nothing was saved.\n',
    );
    return 1;
  }
  const config = await loadLoginConfig(overrides, io);
  if (config.forcedLoginMethod === 'chatgpt') {
    io.stderr.write('API key login is disabled. Use ChatGPT login instead.\n');
    return 1;
  }
  try {
    await loginWithApiKey(config.codexHome, apiKey, config.cliAuthCredentialsStore);
  } catch (error) {
    io.stderr.write(`Error logging in: ${describeError(error, io.env)}\n`);
    return 1;
  }
  io.stderr.write('Successfully logged in\n');
  return 0;
}

async function loginStatus(overrides: readonly string[], io: CliIo): Promise<number> {
  const config = await loadLoginConfig(overrides, io);
  const provider = config.modelProvider;
  const status = credentialStatus(config, io.env);
  if (status.kind === 'report') {
    io.stderr.write(`${status.line}\n`);
    return status.exitCode;
  }
  if (status.kind === 'command' && provider.auth) {
    // command auth replaces stored credentials for this provider: report the command, never its token
    const { command } = provider.auth;
    io.stderr.write(
      `Using the auth command of model provider '${config.modelProviderId}': ${command}\n`,
    );
    let announced = false;
    const refresher = providerBearerRefresher(config.modelProviderId, provider.auth);
    refresher.addSlowCommandListener((slow) => {
      if (announced) return;
      announced = true;
      io.stderr.write(`${slowCommandText(slow)}\n`);
    });
    try {
      await refresher.resolve({ signal: io.signal });
    } catch (error) {
      io.stderr.write(`The auth command failed: ${describeError(error, io.env)}\n`);
      return 1;
    }
    io.stderr.write('The auth command works: it printed a token (not shown)\n');
    return 0;
  }
  try {
    const stored = await loadAuthDotJson(config.codexHome, config.cliAuthCredentialsStore);
    if (stored === null) {
      io.stderr.write('Not logged in\n');
      return 1;
    }
    const auth = codexAuthFromAuthDotJson(stored);
    if (auth.mode === 'apikey') {
      io.stderr.write(`Logged in using an API key - ${maskApiKey(auth.apiKey.reveal())}\n`);
    } else {
      io.stderr.write('Logged in using ChatGPT\n');
    }
    return 0;
  } catch (error) {
    io.stderr.write(`Error checking login status: ${describeError(error, io.env)}\n`);
    return 1;
  }
}

/** Upstream's mask: `***` for short keys, else the first 8 and last 5 characters around `***`. */
export function maskApiKey(apiKey: string): string {
  if (apiKey.length <= 13) return '***';
  return `${apiKey.slice(0, 8)}***${apiKey.slice(-5)}`;
}

/**
 * Loads config.toml for the login commands, with their error prefixes.
 * @throws {CliError} `Error parsing -c overrides: …` or `Error loading configuration: …`.
 */
export async function loadLoginConfig(overrides: readonly string[], io: CliIo): Promise<Config> {
  try {
    return await loadConfig({ env: io.env, cwd: io.cwd, overrides });
  } catch (error) {
    const message = errorMessage(error);
    if (message.startsWith('Error parsing -c overrides:')) throw new CliError(message);
    const inner = message.replace(/^Error loading config\.toml: /, '');
    throw new CliError(`Error loading configuration: ${inner}`);
  }
}
