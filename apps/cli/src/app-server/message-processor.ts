import os from 'node:os';
import type { AuthManager } from '@codex/login';
import type { AuthCredentialsStoreMode } from '@codex/protocol';
import { createAccountHandlers } from './account-handlers.ts';
import type { ChatgptLogins } from './chatgpt-logins.ts';
import type { ExternalAuthBridge } from './external-auth-bridge.ts';
import { isObject } from './handler-utils.ts';
import { invalidParams, invalidRequest, JSON_RPC_ERROR_CODES, JsonRpcError } from './json-rpc.ts';
import { createThreadHandlers } from './thread-handlers.ts';

/** A message item sent to the model (the shape `@codex/core` takes). */
export type TurnInputItem = {
  type: 'message';
  role: 'user' | 'assistant';
  content: ({ type: 'input_text'; text: string } | { type: 'output_text'; text: string })[];
};

/** What the processor needs from a model client: one turn, with streamed events. */
export type TurnRunner = (
  request: { model: string; input: TurnInputItem[]; sessionId: string },
  /** A promise it returns holds the stream until it settles (the parent app is not reading). */
  onEvent: (event: { readonly type: string; readonly delta?: unknown }) => void | Promise<void>,
) => Promise<{ readonly text: string }>;

export interface MessageProcessorOptions {
  /** Sends a notification; a promise it returns settles when the output can take more (see JsonRpcConnection). */
  readonly notify: (method: string, params: unknown) => void | Promise<void>;
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

/** Creates the processor behind `codex app-server`. */
export function createMessageProcessor(options: MessageProcessorOptions): MessageProcessor {
  const { log } = options;
  let initialized = false;
  let experimentalApi = false;
  let clientName = 'codex_app_server';
  let clientVersion = options.version;
  const threads = createThreadHandlers(options);
  const handlers: Record<string, (params: unknown) => unknown> = {
    ...createAccountHandlers(options, () => experimentalApi),
    ...threads.handlers,
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
    drain: () => threads.drain(),
  };
}
