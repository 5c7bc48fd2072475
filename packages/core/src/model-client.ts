import { setTimeout as delay } from 'node:timers/promises';
import { AuthManager } from '@codex/login';
import {
  isAzureProvider,
  requestMaxRetries,
  streamIdleTimeoutMs,
  streamMaxRetries,
} from '@codex/protocol';
import type { Dispatcher } from 'undici';
import {
  type CredentialSource,
  type CredentialSourceKind,
  createCredentialSource,
} from './credential-source.ts';
import {
  InternalServerError,
  StreamError,
  TurnAbortedError,
  UnexpectedStatusError,
} from './errors.ts';
import type { ResponseBody } from './http-transport.ts';
import type { Config } from './load-config.ts';
import {
  buildResponsesBody,
  buildResponsesUrl,
  buildUserAgent,
  codexVersion,
  setHeader,
  type TurnRequest,
} from './request-builder.ts';
import { type RetryNotice, sendWithRecovery, waitBeforeRetry } from './request-loop.ts';
import type { OutputItem, ResponseEvent, TokenUsage } from './response-events.ts';
import { MAX_TIMER_MS, parseResponsesSseBatches } from './response-stream.ts';
import { backoffDelayMs } from './retry-policy.ts';

const OPENAI_API_BASE_URL = 'https://api.openai.com/v1';
const CHATGPT_BASE_URL = 'https://chatgpt.com/backend-api/codex';

/**
 * Something the user should see while a turn runs:
 * - `reconnecting`: a turn-level retry after a broken stream (`Reconnecting... 2/5`, with the error
 *   text in `details`);
 * - `retrying_request`: a transport-level retry (5xx, 429, network) about to wait `delayMs`;
 * - `auth_command_slow`: the provider's auth command has run for more than 2 s (improvement 11).
 */
export type ClientNotice =
  | { type: 'reconnecting'; attempt: number; max: number; message: string; details: string }
  | RetryNotice
  | { type: 'auth_command_slow'; command: string };

/** The outcome of a turn. */
export type TurnResult = {
  responseId: string;
  /** The last assistant message (its `output_text` parts joined); '' when there was none. */
  text: string;
  items: OutputItem[];
  usage: TokenUsage | null;
};

/** Options of {@link createModelClient}. */
export interface ModelClientOptions {
  /** The loaded config; only the provider, model and auth settings are read. */
  readonly config: Pick<Config, 'model' | 'modelProviderId' | 'modelProvider'> &
    Partial<Pick<Config, 'codexHome' | 'cliAuthCredentialsStore'>>;
  /** The OpenAI login, used only for providers with `requires_openai_auth`. Created from `config` when absent. */
  readonly authManager?: AuthManager;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `originator` header; default `codex_exec`. `CODEX_INTERNAL_ORIGINATOR_OVERRIDE` wins. */
  readonly originator?: string;
  /** Version in the User-Agent; default this package's version. */
  readonly version?: string;
  /** An undici dispatcher (Agent, MockAgent, ProxyAgent...). */
  readonly dispatcher?: Dispatcher;
  readonly onNotice?: (notice: ClientNotice) => void;
  /** Waits between retries; injectable so tests assert delays without real time. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for HTTP-date `Retry-After` values. */
  readonly now?: () => number;
  /** Jitter source for the backoff, in [0, 1). */
  readonly random?: () => number;
  /** Conversation id used when a request has none; default a random UUID. */
  readonly sessionId?: string;
  /** Renew command tokens ahead of expiry in the background; for long-lived processes. Default false. */
  readonly refreshAhead?: boolean;
}

/** A Responses API client for one provider. */
export interface ModelClient {
  /** How the provider's credentials are obtained. */
  readonly authSource: CredentialSourceKind;
  /**
   * One turn; resolves at `response.completed`. A stream that broke after it started is retried
   * (`stream_max_retries`); a request that used up `request_max_retries` is not retried again.
   * @throws {StreamError | UnexpectedStatusError | EnvVarError | AuthCommandError | ...} with upstream's texts
   */
  runTurn(
    request: TurnRequest,
    handlers?: {
      /** Each event as it arrives; a promise it returns holds the stream (and the socket) until it settles. */
      onEvent?: (event: ResponseEvent) => unknown;
      signal?: AbortSignal;
    },
  ): Promise<TurnResult>;
  /** One request chain (transport retries and 401 recovery included), streamed as events. */
  stream(
    request: TurnRequest,
    signal?: AbortSignal,
  ): AsyncGenerator<ResponseEvent, void, undefined>;
}

/**
 * Whether a failed turn is tried again: broken streams and server errors are; auth failures,
 * 4xx answers (including a second 401, improvement 3) and config errors are not.
 */
export function isTurnRetryable(error: unknown): boolean {
  if (error instanceof StreamError || error instanceof InternalServerError) return true;
  return error instanceof UnexpectedStatusError && error.status >= 500;
}

function validOriginator(value: string | undefined): string | undefined {
  return value !== undefined && /^[\t\x20-\x7e]+$/.test(value) ? value : undefined;
}

function abortError(signal: AbortSignal | undefined): TurnAbortedError {
  return new TurnAbortedError({ cause: signal?.reason });
}

/** Marks an error from the request phase: its retries are spent, the turn does not retry it again. */
class RequestPhaseFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/**
 * Builds the Responses API client for the configured provider. Credentials are resolved again for
 * every attempt; a 401 gets one recovery step per request (command auth: one refresh).
 * @example
 * const client = createModelClient({ config, env: process.env, originator: 'codex_exec' });
 * const { text } = await client.runTurn({ input: [userMessage('hi')] });
 */
export function createModelClient(options: ModelClientOptions): ModelClient {
  const { config, env, dispatcher, onNotice, now = Date.now, random = Math.random } = options;
  const provider = config.modelProvider;
  const sleep =
    options.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }));
  const originator =
    validOriginator(env['CODEX_INTERNAL_ORIGINATOR_OVERRIDE']) ??
    validOriginator(options.originator) ??
    'codex_exec';
  const userAgent = buildUserAgent(originator, options.version ?? codexVersion(), env);
  // made on the first request that names none (node:crypto is loaded only then: a caller such as
  // `codex exec` that passes its own id never loads it)
  let defaultSessionId = options.sessionId;
  const defaultSession = (): string => {
    defaultSessionId ??= process.getBuiltinModule('node:crypto').randomUUID();
    return defaultSessionId;
  };
  let authManager = options.authManager;
  if (
    authManager === undefined &&
    provider.requires_openai_auth &&
    provider.auth == null &&
    config.codexHome !== undefined
  ) {
    authManager = AuthManager.create({
      codexHome: config.codexHome,
      enableCodexApiKeyEnv: true,
      storeMode: config.cliAuthCredentialsStore ?? 'file',
      env: { ...env },
    });
  }
  const source: CredentialSource = createCredentialSource({
    providerId: config.modelProviderId,
    provider,
    env,
    authManager,
    onSlowCommand: (command) => onNotice?.({ type: 'auth_command_slow', command }),
    refreshAhead: options.refreshAhead,
  });
  const maxRequestRetries = requestMaxRetries(provider);
  const maxStreamRetries = streamMaxRetries(provider);
  // the config allows more than Node's timers take (its error bodies and the stream use timers)
  const idleTimeoutMs = Math.min(streamIdleTimeoutMs(provider), MAX_TIMER_MS);
  const store = isAzureProvider(provider);

  function buildHeaders(sessionId: string, authHeaders: Readonly<Record<string, string>>) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(provider.http_headers ?? {})) {
      setHeader(headers, name, value);
    }
    for (const [name, variable] of Object.entries(provider.env_http_headers ?? {})) {
      const value = env[variable];
      if (value !== undefined && value.trim() !== '') setHeader(headers, name, value);
    }
    setHeader(headers, 'session_id', sessionId);
    setHeader(headers, 'x-client-request-id', sessionId);
    Object.assign(headers, authHeaders);
    headers['originator'] ??= originator;
    headers['user-agent'] ??= userAgent;
    headers['accept'] = 'text/event-stream';
    headers['content-type'] = 'application/json';
    return headers;
  }

  // Sends the request (transport retries and 401 recovery included) and returns its events, one array per
  // burst of chunks: one await per burst, not per event, and no generator layer of its own.
  async function openStream(
    request: TurnRequest,
    signal: AbortSignal | undefined,
  ): Promise<AsyncGenerator<ResponseEvent[], void, undefined>> {
    const sessionId = request.sessionId ?? defaultSession();
    const body = JSON.stringify(
      buildResponsesBody(request, {
        model: request.model ?? config.model,
        store,
        promptCacheKey: sessionId,
      }),
    );
    let responseBody: ResponseBody;
    try {
      responseBody = await sendWithRecovery({
        source,
        url: (credential) =>
          buildResponsesUrl(
            provider.base_url ?? (credential.chatgpt ? CHATGPT_BASE_URL : OPENAI_API_BASE_URL),
            provider.query_params,
          ),
        headers: (credential) => buildHeaders(sessionId, credential.headers),
        body,
        maxRetries: maxRequestRetries,
        idleTimeoutMs,
        dispatcher,
        signal,
        sleep,
        now,
        random,
        onRetry: onNotice,
      });
    } catch (error) {
      throw new RequestPhaseFailure(error);
    }
    return parseResponsesSseBatches(responseBody, {
      idleTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
  }

  async function runOnce(
    request: TurnRequest,
    onEvent: ((event: ResponseEvent) => unknown) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<TurnResult> {
    const items: OutputItem[] = [];
    let text = '';
    let deltas = '';
    for await (const events of await openStream(request, signal)) {
      for (const event of events) {
        const held = onEvent?.(event);
        // backpressure: while a returned promise is pending, the batch generator is not pulled
        if (isThenable(held)) {
          await untilSettledOrAborted(held, signal);
          if (signal?.aborted) throw abortError(signal);
        }
        switch (event.type) {
          case 'output_text_delta':
            deltas += event.delta;
            break;
          case 'output_item_done': {
            items.push(event.item);
            const message = assistantText(event.item);
            if (message !== undefined) text = message;
            break;
          }
          case 'completed':
            return {
              responseId: event.responseId,
              text: text === '' && items.length === 0 ? deltas : text,
              items,
              usage: event.usage,
            };
          // Stryker disable next-line ConditionalExpression: the events without a case need nothing either way
          default:
            break;
        }
      }
    }
    // parseResponsesSse throws unless it saw `completed`, so this is unreachable
    // Stryker disable next-line StringLiteral: unreachable, as the comment above says
    throw new StreamError('stream closed before response.completed');
  }

  return {
    authSource: source.kind,
    async *stream(request, signal) {
      try {
        for await (const events of await openStream(request, signal)) {
          for (const event of events) yield event;
        }
      } catch (error) {
        throw error instanceof RequestPhaseFailure ? error.error : error;
      }
    },
    async runTurn(request, handlers = {}) {
      const { onEvent, signal } = handlers;
      let retries = 0;
      for (;;) {
        try {
          return await runOnce(request, onEvent, signal);
        } catch (caught) {
          if (signal?.aborted) throw abortError(signal);
          // one retry layer (improvement 14): a request that spent its retries is final
          if (caught instanceof RequestPhaseFailure) throw caught.error;
          const error = caught;
          if (!isTurnRetryable(error) || retries >= maxStreamRetries) throw error;
          retries += 1;
          const serverDelay = error instanceof StreamError ? error.retryDelayMs : undefined;
          onNotice?.({
            type: 'reconnecting',
            attempt: retries,
            max: maxStreamRetries,
            message: `Reconnecting... ${retries}/${maxStreamRetries}`,
            details: (error as Error).message,
          });
          await waitBeforeRetry(sleep, serverDelay ?? backoffDelayMs(retries, random), signal);
        }
      }
    },
  };
}

/** Waits for `held`, or less: an abort ends the wait (the stream then ends with TurnAbortedError). */
function untilSettledOrAborted(
  held: PromiseLike<unknown>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal === undefined) return Promise.resolve(held).then(ignoreValue);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    Promise.resolve(held).then(done, (error: unknown) => {
      signal.removeEventListener('abort', done);
      reject(error);
    });
  });
}

function ignoreValue(): void {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function assistantText(item: OutputItem): string | undefined {
  if (item.type !== 'message' || item['role'] !== 'assistant') return undefined;
  const content = item['content'];
  if (!Array.isArray(content)) return undefined;
  return content
    .filter(
      (part): part is { type: 'output_text'; text: string } =>
        typeof part === 'object' &&
        part !== null &&
        part.type === 'output_text' &&
        typeof part.text === 'string',
    )
    .map((part) => part.text)
    .join('');
}
