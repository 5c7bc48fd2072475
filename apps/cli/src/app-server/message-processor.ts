import { randomUUID } from 'node:crypto';
import os from 'node:os';
import {
  type AuthManager,
  type CodexAuth,
  ExternalAuthTokens,
  type IdTokenInfo,
  parseIdToken,
  loginWithApiKey as storeApiKey,
} from '@codex/login';
import {
  ACCOUNT_METHODS,
  type AuthCredentialsStoreMode,
  type AuthMode,
  GetAccountParamsSchema,
  LoginAccountParamsSchema,
  planTypeFromRaw,
} from '@codex/protocol';
import { codexErrorInfo } from '../codex-error-info.ts';
import type { ChatgptLogins } from './chatgpt-logins.ts';
import type { ExternalAuthBridge } from './external-auth-bridge.ts';
import {
  internalError,
  invalidParams,
  invalidRequest,
  JSON_RPC_ERROR_CODES,
  JsonRpcError,
} from './json-rpc.ts';

/** A message item sent to the model (the shape `@codex/core` takes). */
export type TurnInputItem = {
  type: 'message';
  role: 'user' | 'assistant';
  content: ({ type: 'input_text'; text: string } | { type: 'output_text'; text: string })[];
};

/** What the processor needs from a model client: one turn, with streamed events. */
export type TurnRunner = (
  request: { model: string; input: TurnInputItem[]; sessionId: string },
  onEvent: (event: { readonly type: string; readonly delta?: unknown }) => void,
) => Promise<{ readonly text: string }>;

export interface MessageProcessorOptions {
  readonly notify: (method: string, params: unknown) => void;
  readonly authManager: AuthManager;
  readonly bridge: ExternalAuthBridge;
  /** Browser and device-code ChatGPT sign-ins (`account/login/start` chatgpt / chatgptDeviceCode). */
  readonly chatgptLogins: ChatgptLogins;
  readonly runTurn: TurnRunner;
  readonly codexHome: string;
  readonly cwd: string;
  readonly model: string;
  readonly modelProviderId: string;
  readonly requiresOpenaiAuth: boolean;
  readonly storeMode: AuthCredentialsStoreMode;
  readonly forcedLoginMethod: 'chatgpt' | 'api' | null;
  /** `forced_chatgpt_workspace_id`, as a list (empty when not set). */
  readonly forcedWorkspaceIds: readonly string[];
  readonly version: string;
  readonly log: (line: string) => void;
  readonly now?: () => number;
  /** Aborted when the server shuts down (stdin closed): token requests in flight stop with it. */
  readonly signal?: AbortSignal;
}

/** Handles the app-server's JSON-RPC methods for one connection. */
export interface MessageProcessor {
  handleRequest(method: string, params: unknown): Promise<unknown>;
  handleNotification(method: string, params: unknown): void;
  /** Resolves when every running turn has ended. */
  drain(): Promise<void>;
}

/** Plan values upstream's `PlanType` wire enum accepts (0.169.0 schema). */
const WIRE_PLAN_TYPES: ReadonlySet<string> = new Set([
  'free',
  'go',
  'plus',
  'pro',
  'prolite',
  'promax',
  'team',
  'self_serve_business_prolite',
  'self_serve_business_usage_based',
  'business',
  'ent26',
  'enterprise_cbp_automation',
  'enterprise_cbp_usage_based',
  'enterprise',
  'edu',
  'edu_plus',
  'edu_pro',
  'sci',
  'sci_plus',
]);

/** Maps a raw plan string to upstream's account-facing plan value (`unknown` when not one of them). */
export function wirePlanType(raw: string | null | undefined): string {
  if (raw == null) return 'unknown';
  const plan = planTypeFromRaw(raw);
  if (plan.kind === 'known') return plan.plan;
  const lower = raw.toLowerCase();
  return WIRE_PLAN_TYPES.has(lower) ? lower : 'unknown';
}

interface ThreadState {
  readonly id: string;
  readonly model: string;
  readonly cwd: string;
  readonly createdAt: number;
  readonly history: TurnInputItem[];
  activeTurnId: string | null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

function zodIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .map((issue) =>
      issue.path.length > 0
        ? `${issue.path.map(String).join('.')}: ${issue.message}`
        : issue.message,
    )
    .join('; ');
}

const afterResponse = (work: () => void): void => {
  // runs once the response has been written (the write happens in a microtask)
  setImmediate(work);
};

/** Creates the processor behind `codex app-server`. */
export function createMessageProcessor(options: MessageProcessorOptions): MessageProcessor {
  const { notify, authManager, bridge, log, now = Date.now } = options;
  let initialized = false;
  let experimentalApi = false;
  let clientName = 'codex_app_server';
  let clientVersion = options.version;
  const threads = new Map<string, ThreadState>();
  const runningTurns = new Set<Promise<void>>();
  // the plan a parent app named for its tokens (the stored record keeps only the JWT's claim)
  const externalPlans = new Map<string, string>();

  const seconds = () => Math.floor(now() / 1000);

  const idTokenInfo = (auth: CodexAuth): IdTokenInfo | null => {
    if (auth.mode === 'apikey') return null;
    const raw = auth.authDotJson.tokens?.id_token;
    if (!raw) return null;
    try {
      return parseIdToken(raw);
    } catch {
      return null;
    }
  };

  const planOf = (auth: CodexAuth | null): string | null => {
    if (auth === null || auth.mode === 'apikey') return null;
    if (auth.mode === 'chatgptAuthTokens') {
      const refreshed = bridge.lastTokens;
      const named =
        externalPlans.get(auth.accessToken.reveal()) ??
        (refreshed?.accessToken.equals(auth.accessToken)
          ? refreshed.chatgptMetadata?.planType
          : null);
      if (named) return wirePlanType(named);
    }
    const info = idTokenInfo(auth);
    const plan = info?.chatgptPlanType ?? null;
    if (plan === null) return 'unknown';
    return wirePlanType(plan.kind === 'known' ? plan.plan : plan.raw);
  };

  const accountUpdated = (): void => {
    const auth = authManager.authCached();
    const authMode: AuthMode | null = auth?.mode ?? null;
    notify(ACCOUNT_METHODS.updated, { authMode, planType: planOf(auth) });
  };

  const loginCompleted = (): void => {
    notify(ACCOUNT_METHODS.loginCompleted, { loginId: null, success: true, error: null });
  };

  const initialize = (params: unknown): unknown => {
    if (initialized) throw invalidRequest('Already initialized');
    if (!isObject(params) || !isObject(params['clientInfo'])) {
      throw invalidParams('Invalid params: missing field `clientInfo`');
    }
    const info = params['clientInfo'];
    if (typeof info['name'] !== 'string' || typeof info['version'] !== 'string') {
      throw invalidParams('Invalid params: `clientInfo` needs string `name` and `version`');
    }
    const capabilities = params['capabilities'];
    if (capabilities !== undefined && capabilities !== null && !isObject(capabilities)) {
      throw invalidParams('Invalid params: `capabilities` must be an object');
    }
    const experimental = isObject(capabilities) ? capabilities['experimentalApi'] : undefined;
    if (experimental !== undefined && typeof experimental !== 'boolean') {
      throw invalidParams('Invalid params: `capabilities.experimentalApi` must be a boolean');
    }
    initialized = true;
    experimentalApi = experimental === true;
    clientName = info['name'];
    clientVersion = info['version'];
    const platformOs =
      process.platform === 'darwin' ? 'macos' : process.platform === 'win32' ? 'windows' : 'linux';
    return {
      userAgent: `${clientName}/${options.version} (${os.type()} ${os.release()}; ${os.arch()}) (${clientName}; ${clientVersion})`,
      codexHome: options.codexHome,
      platformFamily: process.platform === 'win32' ? 'windows' : 'unix',
      platformOs,
    };
  };

  const loginStart = async (params: unknown): Promise<unknown> => {
    const parsed = LoginAccountParamsSchema.safeParse(params);
    if (!parsed.success) throw invalidParams(`Invalid params: ${zodIssues(parsed.error)}`);
    const login = parsed.data;
    switch (login.type) {
      case 'apiKey': {
        if (options.forcedLoginMethod === 'chatgpt') {
          throw invalidRequest('API key login is disabled. Use ChatGPT login instead.');
        }
        try {
          await storeApiKey(options.codexHome, login.apiKey, options.storeMode);
        } catch (error) {
          throw internalError(`failed to save api key: ${errorMessage(error)}`);
        }
        bridge.reset();
        await authManager.reload();
        afterResponse(() => {
          loginCompleted();
          accountUpdated();
        });
        return { type: 'apiKey' };
      }
      case 'chatgptAuthTokens': {
        if (!experimentalApi) {
          throw invalidRequest(
            'account/login/start.chatgptAuthTokens requires experimentalApi capability',
          );
        }
        if (options.forcedLoginMethod === 'api') {
          throw invalidRequest('External ChatGPT auth is disabled. Use API key login instead.');
        }
        const forced = options.forcedWorkspaceIds;
        if (forced.length > 0 && !forced.includes(login.chatgptAccountId)) {
          const expected =
            forced.length === 1
              ? `workspace ${forced[0]}`
              : `one of workspace(s) [${forced.map((id) => JSON.stringify(id)).join(', ')}]`;
          throw invalidRequest(
            `External auth must use ${expected}, but received ${JSON.stringify(login.chatgptAccountId)}.`,
          );
        }
        options.chatgptLogins.cancelActive();
        const tokens = ExternalAuthTokens.chatgpt(
          login.accessToken,
          login.chatgptAccountId,
          login.chatgptPlanType ?? null,
        );
        try {
          await authManager.loginWithChatgptAuthTokens(tokens);
        } catch (error) {
          throw internalError(`failed to set external auth: ${errorMessage(error)}`);
        }
        bridge.reset();
        externalPlans.clear();
        if (login.chatgptPlanType != null) {
          externalPlans.set(login.accessToken, login.chatgptPlanType);
        }
        afterResponse(() => {
          loginCompleted();
          accountUpdated();
        });
        return { type: 'chatgptAuthTokens' };
      }
      case 'chatgpt':
      case 'chatgptDeviceCode': {
        if (options.forcedLoginMethod === 'api') {
          throw invalidRequest('ChatGPT login is disabled. Use API key login instead.');
        }
        const onOutcome = async (loginId: string, error: string | null) => {
          if (error !== null) {
            notify(ACCOUNT_METHODS.loginCompleted, { loginId, success: false, error });
            return;
          }
          bridge.reset();
          externalPlans.clear();
          await authManager.reload();
          notify(ACCOUNT_METHODS.loginCompleted, { loginId, success: true, error: null });
          accountUpdated();
        };
        if (login.type === 'chatgpt') {
          const started = await options.chatgptLogins.startBrowser(onOutcome).catch((error) => {
            throw internalError(`failed to start login server: ${errorMessage(error)}`);
          });
          return { type: 'chatgpt', ...started };
        }
        const started = await options.chatgptLogins.startDeviceCode(onOutcome).catch((error) => {
          throw internalError(`failed to start device code login: ${errorMessage(error)}`);
        });
        return { type: 'chatgptDeviceCode', ...started };
      }
    }
  };

  const accountRead = async (params: unknown): Promise<unknown> => {
    const parsed = GetAccountParamsSchema.safeParse(params ?? {});
    if (!parsed.success) throw invalidParams(`Invalid params: ${zodIssues(parsed.error)}`);
    if (parsed.data.refreshToken === true && authManager.authCached()?.mode === 'chatgpt') {
      // managed ChatGPT auth only: external tokens are refreshed by the parent app
      const refresh =
        options.signal === undefined
          ? authManager.refreshToken()
          : authManager.refreshToken({ signal: options.signal });
      await refresh.catch((error: unknown) => {
        log(`Failed to refresh token: ${errorMessage(error)}`);
      });
    }
    if (!options.requiresOpenaiAuth) {
      return { account: null, requiresOpenaiAuth: false };
    }
    let auth: CodexAuth | null;
    try {
      auth = await authManager.auth();
    } catch {
      auth = authManager.authCached();
    }
    if (auth === null) return { account: null, userId: null, requiresOpenaiAuth: true };
    if (auth.mode === 'apikey') {
      return { account: { type: 'apiKey' }, userId: null, requiresOpenaiAuth: true };
    }
    const info = idTokenInfo(auth);
    const email = info?.email ?? null;
    if (email === null) {
      throw invalidRequest('email and plan type are required for chatgpt authentication');
    }
    return {
      account: { type: 'chatgpt', email, planType: planOf(auth) ?? 'unknown' },
      userId: info?.chatgptUserId ?? null,
      requiresOpenaiAuth: true,
    };
  };

  const logout = async (): Promise<unknown> => {
    options.chatgptLogins.cancelActive();
    bridge.reset();
    externalPlans.clear();
    try {
      await authManager.logout();
    } catch (error) {
      throw internalError(`logout failed: ${errorMessage(error)}`);
    }
    afterResponse(() => notify(ACCOUNT_METHODS.updated, { authMode: null, planType: null }));
    return {};
  };

  const threadJson = (thread: ThreadState) => ({
    id: thread.id,
    sessionId: thread.id,
    forkedFromId: null,
    parentThreadId: null,
    preview: '',
    ephemeral: true,
    projectId: null,
    modelProvider: options.modelProviderId,
    model: thread.model,
    createdAt: thread.createdAt,
    updatedAt: thread.createdAt,
    status: thread.activeTurnId === null ? { type: 'idle' } : { type: 'active', activeFlags: [] },
    path: null,
    cwd: thread.cwd,
    cliVersion: options.version,
    source: 'appServer',
    name: null,
    turns: [],
  });

  const threadStart = (params: unknown): unknown => {
    if (params !== undefined && params !== null && !isObject(params)) {
      throw invalidParams('Invalid params: expected an object');
    }
    const model = isObject(params) ? params['model'] : undefined;
    const cwd = isObject(params) ? params['cwd'] : undefined;
    if (model != null && typeof model !== 'string') {
      throw invalidParams('Invalid params: `model` must be a string');
    }
    if (typeof model === 'string' && model.trim() === '') {
      throw invalidParams('Invalid params: `model` must not be empty');
    }
    if (cwd != null && typeof cwd !== 'string') {
      throw invalidParams('Invalid params: `cwd` must be a string');
    }
    const thread: ThreadState = {
      id: randomUUID(),
      model: typeof model === 'string' ? model : options.model,
      cwd: typeof cwd === 'string' ? cwd : options.cwd,
      createdAt: seconds(),
      history: [],
      activeTurnId: null,
    };
    threads.set(thread.id, thread);
    afterResponse(() => notify('thread/started', { thread: threadJson(thread) }));
    return {
      thread: threadJson(thread),
      model: thread.model,
      modelProvider: options.modelProviderId,
      cwd: thread.cwd,
      approvalPolicy: 'never',
      approvalsReviewer: 'user',
      sandbox: { type: 'readOnly' },
    };
  };

  const runTurn = async (thread: ThreadState, turnId: string, text: string): Promise<void> => {
    const startedAt = seconds();
    const startedAtMs = now();
    notify('turn/started', {
      threadId: thread.id,
      turn: { id: turnId, items: [], status: 'inProgress', error: null, startedAt },
    });
    const itemId = `msg_${randomUUID()}`;
    let streamed = '';
    let itemStarted = false;
    const startItem = () => {
      if (itemStarted) return;
      itemStarted = true;
      notify('item/started', {
        item: { type: 'agentMessage', id: itemId, text: '' },
        threadId: thread.id,
        turnId,
        startedAtMs: now(),
      });
    };
    const input: TurnInputItem = {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text }],
    };
    try {
      const result = await options.runTurn(
        { model: thread.model, input: [...thread.history, input], sessionId: thread.id },
        (event) => {
          if (event.type !== 'output_text_delta' || typeof event.delta !== 'string') return;
          startItem();
          streamed += event.delta;
          notify('item/agentMessage/delta', {
            threadId: thread.id,
            turnId,
            itemId,
            delta: event.delta,
          });
        },
      );
      const finalText = result.text || streamed;
      startItem();
      const item = { type: 'agentMessage', id: itemId, text: finalText };
      notify('item/completed', { item, threadId: thread.id, turnId, completedAtMs: now() });
      thread.history.push(input, {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: finalText }],
      });
      notify('turn/completed', {
        threadId: thread.id,
        turn: {
          id: turnId,
          items: [item],
          status: 'completed',
          error: null,
          startedAt,
          completedAt: seconds(),
          durationMs: now() - startedAtMs,
        },
      });
    } catch (error) {
      const turnError = {
        message: errorMessage(error),
        codexErrorInfo: codexErrorInfo(error),
        additionalDetails: null,
      };
      notify('error', { error: turnError, willRetry: false, threadId: thread.id, turnId });
      notify('turn/completed', {
        threadId: thread.id,
        turn: {
          id: turnId,
          items: [],
          status: 'failed',
          error: turnError,
          startedAt,
          completedAt: seconds(),
          durationMs: now() - startedAtMs,
        },
      });
    } finally {
      thread.activeTurnId = null;
    }
  };

  const turnStart = (params: unknown): unknown => {
    if (!isObject(params)) throw invalidParams('Invalid params: expected an object');
    const { threadId, input } = params;
    if (typeof threadId !== 'string') {
      throw invalidParams('Invalid params: missing field `threadId`');
    }
    if (!Array.isArray(input)) throw invalidParams('Invalid params: missing field `input`');
    const texts: string[] = [];
    for (const item of input) {
      if (!isObject(item) || item['type'] !== 'text' || typeof item['text'] !== 'string') {
        throw invalidParams('Invalid params: only `text` input items are supported');
      }
      texts.push(item['text']);
    }
    const thread = threads.get(threadId);
    if (thread === undefined) throw invalidRequest(`thread not found: ${threadId}`);
    if (thread.activeTurnId !== null) {
      throw invalidRequest(`thread ${threadId} already has a turn in progress`);
    }
    const turnId = randomUUID();
    thread.activeTurnId = turnId;
    afterResponse(() => {
      const task = runTurn(thread, turnId, texts.join('\n'));
      runningTurns.add(task);
      void task.finally(() => runningTurns.delete(task));
    });
    return { turn: { id: turnId, items: [], status: 'inProgress', error: null } };
  };

  const handlers: Record<string, (params: unknown) => unknown> = {
    [ACCOUNT_METHODS.loginStart]: loginStart,
    [ACCOUNT_METHODS.loginCancel]: (params: unknown) => {
      const loginId = isObject(params) ? params['loginId'] : undefined;
      if (typeof loginId !== 'string')
        throw invalidParams('Invalid params: missing field `loginId`');
      return { status: options.chatgptLogins.cancel(loginId) };
    },
    [ACCOUNT_METHODS.read]: accountRead,
    [ACCOUNT_METHODS.logout]: logout,
    'thread/start': threadStart,
    'turn/start': turnStart,
  };

  return {
    async handleRequest(method, params) {
      if (method === 'initialize') return initialize(params);
      const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
      if (handler === undefined) {
        throw new JsonRpcError(JSON_RPC_ERROR_CODES.methodNotFound, `Method not found: ${method}`);
      }
      if (!initialized) throw invalidRequest('Not initialized');
      return handler(params);
    },
    handleNotification(method) {
      if (method !== 'initialized') log(`ignoring notification ${method}`);
    },
    async drain() {
      while (runningTurns.size > 0) await Promise.allSettled([...runningTurns]);
    },
  };
}
