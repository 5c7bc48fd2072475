import type { Config } from '@codex/core';
import { startBrowserLogin, startDeviceCodeLogin } from '@codex/login';
import type { CliIo } from '../cli-io.ts';
import { describeError } from '../report-error.ts';

/** Port of the login callback server (upstream: always 1455); tests and self-hosted issuers may move it. */
export const LOGIN_CALLBACK_PORT_ENV_VAR = 'CODEX_LOGIN_CALLBACK_PORT';
/** Set to 1 to print the sign-in URL without opening a browser (tests, remote shells). */
export const LOGIN_NO_BROWSER_ENV_VAR = 'CODEX_LOGIN_NO_BROWSER';

declare const CODEX_CLI_VERSION: string | undefined;

const ANSI_BLUE = '\x1b[94m';
const ANSI_GRAY = '\x1b[90m';
const ANSI_RESET = '\x1b[0m';

/** The callback port from the environment, else upstream's 1455. */
export function loginCallbackPort(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[LOGIN_CALLBACK_PORT_ENV_VAR]?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : undefined;
}

/** False when `CODEX_LOGIN_NO_BROWSER` is set. */
export function shouldOpenBrowser(env: NodeJS.ProcessEnv): boolean {
  const value = env[LOGIN_NO_BROWSER_ENV_VAR];
  return value === undefined || value === '' || value === '0' || value === 'false';
}

type FlowConfig = Pick<
  Config,
  'codexHome' | 'cliAuthCredentialsStore' | 'forcedChatgptWorkspaceId'
>;

function flowOptions(config: FlowConfig, io: CliIo) {
  return {
    codexHome: config.codexHome,
    storeMode: config.cliAuthCredentialsStore,
    env: io.env,
    forcedWorkspaceIds: config.forcedChatgptWorkspaceId ?? null,
    onWarning: (text: string) => io.stderr.write(`${text}\n`),
  };
}

/** `codex login`: the browser (PKCE) sign-in with upstream's messages. */
export async function loginWithBrowser(config: FlowConfig, io: CliIo): Promise<number> {
  try {
    const port = loginCallbackPort(io.env);
    const login = await startBrowserLogin({
      ...flowOptions(config, io),
      ...(port === undefined ? {} : { port }),
      openBrowser: shouldOpenBrowser(io.env),
    });
    io.stderr.write(
      `Starting local login server on http://localhost:${login.port}.\nIf your browser did not open, navigate to this URL to authenticate:\n\n${login.authUrl}\n`,
    );
    io.signal?.addEventListener('abort', () => login.cancel(), { once: true });
    await login.done;
  } catch (error) {
    io.stderr.write(`Error logging in: ${describeError(error, io.env)}\n`);
    return 1;
  }
  io.stderr.write('Successfully logged in\n');
  return 0;
}

/** Upstream's device-code prompt (stdout). */
export function deviceCodePrompt(verificationUrl: string, userCode: string): string {
  const version = typeof CODEX_CLI_VERSION === 'string' ? CODEX_CLI_VERSION : '0.0.0';
  return `\nWelcome to Codex [v${ANSI_GRAY}${version}${ANSI_RESET}]\n${ANSI_GRAY}OpenAI's command-line coding agent${ANSI_RESET}\n\nFollow these steps to sign in with ChatGPT using device code authorization:\n\n1. Open this link in your browser and sign in to your account\n   ${ANSI_BLUE}${verificationUrl}${ANSI_RESET}\n\n2. Enter this one-time code ${ANSI_GRAY}(expires in 15 minutes)${ANSI_RESET}\n   ${ANSI_BLUE}${userCode}${ANSI_RESET}\n\n${ANSI_GRAY}Device codes are a common phishing target. Never share this code.${ANSI_RESET}\n\n`;
}

/** `codex login --device-auth`. */
export async function loginWithDeviceCode(
  config: FlowConfig,
  io: CliIo,
  overrides: { issuer?: string | undefined; clientId?: string | undefined },
): Promise<number> {
  try {
    const login = await startDeviceCodeLogin({
      ...flowOptions(config, io),
      ...(overrides.issuer === undefined ? {} : { issuer: overrides.issuer }),
      ...(overrides.clientId === undefined ? {} : { clientId: overrides.clientId }),
    });
    io.stdout.write(deviceCodePrompt(login.verificationUrl, login.userCode));
    io.signal?.addEventListener('abort', () => login.cancel(), { once: true });
    await login.complete();
  } catch (error) {
    io.stderr.write(`Error logging in with device code: ${describeError(error, io.env)}\n`);
    return 1;
  }
  io.stderr.write('Successfully logged in\n');
  return 0;
}
