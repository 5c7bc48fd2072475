import { randomUUID } from 'node:crypto';
import { startBrowserLogin, startDeviceCodeLogin } from '@codex/login';
import type { AuthCredentialsStoreMode } from '@codex/protocol';

/** How a ChatGPT sign-in started by `account/login/start` ended: null on success, else upstream's error text. */
export type LoginOutcome = (loginId: string, error: string | null) => void | Promise<void>;

export interface ChatgptLoginsOptions {
  readonly codexHome: string;
  readonly storeMode: AuthCredentialsStoreMode;
  readonly env: NodeJS.ProcessEnv;
  readonly forcedWorkspaceIds: readonly string[];
  /** Callback server port; default upstream's 1455. */
  readonly port?: number;
  readonly log: (line: string) => void;
}

/** The one ChatGPT sign-in (browser or device code) an app-server runs at a time. */
export interface ChatgptLogins {
  /** Starts the browser flow; the client opens `authUrl`. Cancels a sign-in already running. */
  startBrowser(onOutcome: LoginOutcome): Promise<{ loginId: string; authUrl: string }>;
  /** Starts the device-code flow. Cancels a sign-in already running. */
  startDeviceCode(
    onOutcome: LoginOutcome,
  ): Promise<{ loginId: string; verificationUrl: string; userCode: string }>;
  /** `account/login/cancel`: `canceled` when `loginId` is the running sign-in, else `notFound`. */
  cancel(loginId: string): 'canceled' | 'notFound';
  /** Cancels whatever sign-in is running (logout, external tokens). */
  cancelActive(): void;
}

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

export function createChatgptLogins(options: ChatgptLoginsOptions): ChatgptLogins {
  let active: { loginId: string; cancel: () => void } | null = null;
  const flow = {
    codexHome: options.codexHome,
    storeMode: options.storeMode,
    env: options.env,
    forcedWorkspaceIds: options.forcedWorkspaceIds,
    onWarning: options.log,
  };

  const follow = (loginId: string, done: Promise<void>, onOutcome: LoginOutcome): void => {
    void done
      .then(
        () => null,
        (error: unknown) => errorText(error),
      )
      .then(async (error) => {
        if (active?.loginId === loginId) active = null;
        await onOutcome(loginId, error);
      })
      .catch((error: unknown) => options.log(`login completion failed: ${errorText(error)}`));
  };

  const cancelActive = () => {
    active?.cancel();
    active = null;
  };

  return {
    async startBrowser(onOutcome) {
      cancelActive();
      const login = await startBrowserLogin({
        ...flow,
        ...(options.port === undefined ? {} : { port: options.port }),
        // the client opens the URL, as upstream's app-server leaves it to the client
        openBrowser: false,
      });
      const loginId = randomUUID();
      active = { loginId, cancel: login.cancel };
      follow(loginId, login.done, onOutcome);
      return { loginId, authUrl: login.authUrl };
    },
    async startDeviceCode(onOutcome) {
      cancelActive();
      const login = await startDeviceCodeLogin(flow);
      const loginId = randomUUID();
      active = { loginId, cancel: login.cancel };
      follow(loginId, login.complete(), onOutcome);
      return { loginId, verificationUrl: login.verificationUrl, userCode: login.userCode };
    },
    cancel(loginId) {
      if (active === null || active.loginId !== loginId) return 'notFound';
      cancelActive();
      return 'canceled';
    },
    cancelActive,
  };
}
