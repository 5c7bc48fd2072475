import { STATUS_CODES } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import {
  exchangeCodeForTokens,
  type IssuerResponse,
  LoginFlowError,
  type LoginFlowOptions,
  loginClientId,
  loginIssuer,
  persistLoginTokens,
  postToIssuer,
  workspaceRestrictionError,
} from './oauth-login.ts';

/** Upstream stops polling after 15 minutes. */
export const DEVICE_CODE_MAX_WAIT_MS = 15 * 60_000;

export type DeviceCodeLoginOptions = LoginFlowOptions & {
  /** Waits between polls (tests inject one); default: a timer that `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
};

/** A device-code sign-in waiting for the user. */
export interface DeviceCodeLogin {
  /** `<issuer>/codex/device`: where the user enters the code. */
  readonly verificationUrl: string;
  readonly userCode: string;
  /** Polling interval the server asked for, in seconds. */
  readonly intervalSeconds: number;
  /** Polls until the user approves, then exchanges and saves the tokens; rejects with {@link LoginFlowError}. */
  complete(): Promise<void>;
  /** Stops polling; `complete()` rejects with `Login was not completed`. */
  cancel(): void;
}

function statusText(status: number): string {
  const reason = STATUS_CODES[status];
  return reason === undefined ? String(status) : `${status} ${reason}`;
}

function postJson(url: string, body: unknown, signal?: AbortSignal) {
  return postToIssuer(url, { contentType: 'application/json', text: JSON.stringify(body) }, signal);
}

function requireString(body: Record<string, unknown>, ...names: string[]): string {
  for (const name of names) {
    const value = body[name];
    if (typeof value === 'string') return value;
  }
  throw new LoginFlowError(`missing field \`${names[0]}\``);
}

async function readJson(response: IssuerResponse): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch (error) {
    throw new LoginFlowError((error as Error).message);
  }
  throw new LoginFlowError('invalid type: expected a JSON object');
}

/** Upstream sends the interval as a string of seconds; absent means poll at once. */
function parseInterval(value: unknown): number {
  if (value === undefined) return 0;
  // Stryker disable next-line MethodExpression: Number() ignores surrounding whitespace itself
  const seconds = typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new LoginFlowError('invalid digit found in string');
  }
  return seconds;
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  delay(ms, undefined, { signal });

/**
 * `codex login --device-auth`: asks the issuer for a user code; `complete()` then polls and saves the login.
 * @throws {LoginFlowError} upstream's texts (`device code login is not enabled ...`, `device code request failed with status ...`)
 */
export async function startDeviceCodeLogin(
  options: DeviceCodeLoginOptions,
): Promise<DeviceCodeLogin> {
  const issuer = loginIssuer(options);
  const clientId = loginClientId(options);
  const apiBase = `${issuer}/api/accounts`;
  const response = await postJson(`${apiBase}/deviceauth/usercode`, { client_id: clientId });
  if (!response.ok) {
    await response.body?.cancel();
    if (response.status === 404) {
      throw new LoginFlowError(
        'device code login is not enabled for this Codex server. Use the browser login or verify the server URL.',
      );
    }
    throw new LoginFlowError(
      `device code request failed with status ${statusText(response.status)}`,
    );
  }
  const body = await readJson(response);
  const deviceAuthId = requireString(body, 'device_auth_id');
  const userCode = requireString(body, 'user_code', 'usercode');
  const intervalSeconds = parseInterval(body['interval']);
  const controller = new AbortController();
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;

  const poll = async (): Promise<Record<string, unknown>> => {
    const start = now();
    for (;;) {
      if (controller.signal.aborted) throw new LoginFlowError('Login was not completed');
      let answer: Awaited<ReturnType<typeof postJson>>;
      try {
        answer = await postJson(
          `${apiBase}/deviceauth/token`,
          { device_auth_id: deviceAuthId, user_code: userCode },
          controller.signal,
        );
      } catch (error) {
        if (controller.signal.aborted) throw new LoginFlowError('Login was not completed');
        throw error;
      }
      if (answer.ok) return readJson(answer);
      await answer.body?.cancel();
      if (answer.status !== 403 && answer.status !== 404) {
        throw new LoginFlowError(`device auth failed with status ${statusText(answer.status)}`);
      }
      const elapsed = now() - start;
      if (elapsed >= DEVICE_CODE_MAX_WAIT_MS) {
        throw new LoginFlowError('device auth timed out after 15 minutes');
      }
      try {
        await sleep(
          Math.min(intervalSeconds * 1000, DEVICE_CODE_MAX_WAIT_MS - elapsed),
          controller.signal,
        );
      } catch {
        throw new LoginFlowError('Login was not completed');
      }
    }
  };

  const complete = async (): Promise<void> => {
    const code = await poll();
    const authorizationCode = requireString(code, 'authorization_code');
    const codeChallenge = requireString(code, 'code_challenge');
    const codeVerifier = requireString(code, 'code_verifier');
    let tokens: Awaited<ReturnType<typeof exchangeCodeForTokens>>;
    try {
      tokens = await exchangeCodeForTokens({
        issuer,
        clientId,
        redirectUri: `${issuer}/deviceauth/callback`,
        pkce: { codeVerifier, codeChallenge },
        code: authorizationCode,
      });
    } catch (error) {
      throw new LoginFlowError(`device code exchange failed: ${(error as Error).message}`);
    }
    const restriction = workspaceRestrictionError(options.forcedWorkspaceIds, tokens.idToken);
    if (restriction !== null) throw new LoginFlowError(restriction);
    await persistLoginTokens(options, tokens, null);
  };

  return {
    verificationUrl: `${issuer}/codex/device`,
    userCode,
    intervalSeconds,
    complete,
    cancel: () => controller.abort(),
  };
}
