import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { AuthManager } from '@codex/login';
import {
  isAzureProvider,
  requestMaxRetries,
  streamIdleTimeoutMs,
  streamMaxRetries,
} from '@codex/protocol';
import { type Dispatcher, request as undiciRequest } from 'undici';
import {
  CyberPolicyError,
  InternalServerError,
  InvalidRequestError,
  QuotaExceededError,
  RetryLimitError,
  ServerOverloadedError,
  StreamError,
  TurnAbortedError,
  UnexpectedStatusError,
  UsageLimitReachedError,
  UsageNotIncludedError,
} from './errors.ts';
import type { Config } from './load-config.ts';
import { createProviderAuth, type ProviderAuth } from './provider-auth.ts';
import {
  buildResponsesBody,
  buildResponsesUrl,
  buildUserAgent,
  codexVersion,
  setHeader,
  type TurnRequest,
} from './request-builder.ts';
import {
  errorText,
  type OutputItem,
  parseResponsesSse,
  type ResponseEvent,
  type TokenUsage,
} from './response-events.ts';
import { backoffDelayMs, parseRetryAfter } from './retry-policy.ts';

const OPENAI_API_BASE_URL = 'https://api.openai.com/v1';
const CHATGPT_BASE_URL = 'https://chatgpt.com/backend-api/codex';

/**
 * Something the user should see while a turn runs:
 * - `reconnecting`: a turn-level retry after a broken stream (`Reconnecting... 2/5`, with the error
 *   text in `details`);
 * - `retrying_request`: a transport-level retry (5xx, 429, network) about to wait `delayMs`;
 * - `auth_command_slow`: the provider's auth command has run for more than 2 s (SPEC §4.11).
 */
export type ClientNotice =
  | { type: 'reconnecting'; attempt: number; max: number; message: string; details: string }
  | {
      type: 'retrying_request';
      attempt: number;
      max: number;
      status: number | null;
      delayMs: number;
    }
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
}

/** A Responses API client for one provider. */
export interface ModelClient {
  /** How the provider's credentials are obtained. */
  readonly authSource: ProviderAuth['source'];
  /**
   * One turn, with stream-level retries (`stream_max_retries`); resolves at `response.completed`.
   * @throws {StreamError | UnexpectedStatusError | EnvVarError | AuthCommandError | ...} with upstream's texts
   */
  runTurn(
    request: TurnRequest,
    handlers?: { onEvent?: (event: ResponseEvent) => void; signal?: AbortSignal },
  ): Promise<TurnResult>;
  /** One request chain (transport retries and 401 recovery included), streamed as events. */
  stream(
    request: TurnRequest,
    signal?: AbortSignal,
  ): AsyncGenerator<ResponseEvent, void, undefined>;
}

type OpenResponse = { body: AsyncIterable<Uint8Array> };

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function errorBodyField(body: string, field: 'code' | 'type'): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: Record<string, unknown> } | null;
    const value = parsed?.error?.[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function resetsAt(body: string): number | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { resets_at?: unknown } } | null;
    const value = parsed?.error?.resets_at;
    return typeof value === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

const REDACTED = '[REDACTED]';
// Shorter values are not credentials worth the name, and replacing them would mangle ordinary words.
const MIN_REDACTED_LENGTH = 8;

function redactSecret(text: string, secret: string | null): string {
  return secret === null || secret.length < MIN_REDACTED_LENGTH
    ? text
    : text.split(secret).join(REDACTED);
}

function redactHeaders(
  headers: Record<string, string>,
  secret: string | null,
): Record<string, string> {
  if (secret === null || secret.length < MIN_REDACTED_LENGTH) return headers;
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, redactSecret(value, secret)]),
  );
}

/** Maps a final non-2xx answer to upstream's error (§3.6); 401 is handled before this. */
function mapHttpError(status: number, url: string, headers: Record<string, string>, body: string) {
  const code = errorBodyField(body, 'code');
  const requestId = headers['x-request-id'] ?? headers['x-oai-request-id'];
  if (status === 503 && (code === 'server_is_overloaded' || code === 'slow_down')) {
    return new ServerOverloadedError();
  }
  if (status === 400) {
    if (code === 'cyber_policy') {
      return new CyberPolicyError(
        jsonMessage(body) ?? 'This request has been flagged for possible cybersecurity risk.',
      );
    }
    return new InvalidRequestError(body);
  }
  if (status === 500) return new InternalServerError({ requestId });
  if (status === 429) {
    return new RetryLimitError({ status, requestId: requestId ?? headers['cf-ray'] });
  }
  return new UnexpectedStatusError({ status, url, headers, body });
}

function jsonMessage(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' && message.trim() !== '' ? message : undefined;
  } catch {
    return undefined;
  }
}

/** Errors a 429 raises at once, without retrying. */
function nonRetryable429(body: string): Error | undefined {
  const type = errorBodyField(body, 'type');
  const code = errorBodyField(body, 'code');
  if (type === 'usage_limit_reached' || code === 'usage_limit_reached') {
    return new UsageLimitReachedError({ resetsAt: resetsAt(body) });
  }
  if (type === 'usage_not_included' || code === 'usage_not_included')
    return new UsageNotIncludedError();
  if (type === 'insufficient_quota' || code === 'insufficient_quota')
    return new QuotaExceededError();
  return undefined;
}

/**
 * Whether a failed turn is tried again: broken streams and server errors are; auth failures,
 * 4xx answers (including a second 401, SPEC §4.3) and config errors are not.
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
  const defaultSessionId = options.sessionId ?? randomUUID();
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
  const auth = createProviderAuth({
    providerId: config.modelProviderId,
    provider,
    env,
    authManager,
    onSlowCommand: (command) => onNotice?.({ type: 'auth_command_slow', command }),
  });
  const maxRequestRetries = requestMaxRetries(provider);
  const maxStreamRetries = streamMaxRetries(provider);
  const idleTimeoutMs = streamIdleTimeoutMs(provider);
  const store = isAzureProvider(provider);

  function buildHeaders(sessionId: string, authHeaders: Record<string, string>) {
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

  async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      throw error;
    }
    if (signal?.aborted) throw abortError(signal);
  }

  /** Sends the request with transport retries and 401 recovery; resolves with the 2xx response. */
  async function open(
    request: TurnRequest,
    signal: AbortSignal | undefined,
  ): Promise<OpenResponse> {
    const sessionId = request.sessionId ?? defaultSessionId;
    const body = JSON.stringify(
      buildResponsesBody(request, {
        model: request.model ?? config.model,
        store,
        promptCacheKey: sessionId,
      }),
    );
    const recovery = auth.unauthorizedRecovery();
    let retries = 0;
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const resolved = await auth.resolve();
      const baseUrl =
        provider.base_url ?? (resolved.chatgpt ? CHATGPT_BASE_URL : OPENAI_API_BASE_URL);
      const url = buildResponsesUrl(baseUrl, provider.query_params);
      let response: Dispatcher.ResponseData;
      try {
        response = await undiciRequest(url, {
          method: 'POST',
          headers: buildHeaders(sessionId, resolved.headers),
          body,
          signal,
          headersTimeout: Math.max(1, idleTimeoutMs),
          bodyTimeout: 0,
          ...(dispatcher === undefined ? {} : { dispatcher }),
        });
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        if (retries < maxRequestRetries) {
          retries += 1;
          const delayMs = backoffDelayMs(retries, random);
          onNotice?.({
            type: 'retrying_request',
            attempt: retries,
            max: maxRequestRetries,
            status: null,
            delayMs,
          });
          await wait(delayMs, signal);
          continue;
        }
        throw new StreamError(errorText(error), { cause: error });
      }
      const { statusCode: status } = response;
      if (status >= 200 && status < 300) return { body: response.body };

      // A server may quote the credential back (SPEC §4.9): errors are built from redacted copies.
      const text = redactSecret(await response.body.text().catch(() => ''), resolved.token);
      const headers = redactHeaders(flattenHeaders(response.headers), resolved.token);
      if (status === 401) {
        if (recovery?.hasNext()) {
          await recovery.next(resolved.token === null ? {} : { rejectedToken: resolved.token });
          continue;
        }
        throw new UnexpectedStatusError({ status, url, headers, body: text });
      }
      if (status === 429) {
        const fatal = nonRetryable429(text);
        if (fatal !== undefined) throw fatal;
      }
      if (status === 429 || status >= 500) {
        const retryAfter =
          status === 429 || status === 503
            ? parseRetryAfter(headers, now)
            : { kind: 'none' as const };
        if (retries < maxRequestRetries && retryAfter.kind !== 'too_long') {
          retries += 1;
          const delayMs =
            retryAfter.kind === 'delay' ? retryAfter.delayMs : backoffDelayMs(retries, random);
          onNotice?.({
            type: 'retrying_request',
            attempt: retries,
            max: maxRequestRetries,
            status,
            delayMs,
          });
          await wait(delayMs, signal);
          continue;
        }
      }
      throw mapHttpError(status, url, headers, text);
    }
  }

  async function* stream(
    request: TurnRequest,
    signal?: AbortSignal,
  ): AsyncGenerator<ResponseEvent, void, undefined> {
    const response = await open(request, signal);
    yield* parseResponsesSse(response.body, {
      idleTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
  }

  async function runOnce(
    request: TurnRequest,
    onEvent: ((event: ResponseEvent) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<TurnResult> {
    const items: OutputItem[] = [];
    let text = '';
    let deltas = '';
    for await (const event of stream(request, signal)) {
      onEvent?.(event);
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
        default:
          break;
      }
    }
    // parseResponsesSse throws unless it saw `completed`, so this is unreachable
    throw new StreamError('stream closed before response.completed');
  }

  return {
    authSource: auth.source,
    stream,
    async runTurn(request, handlers = {}) {
      const { onEvent, signal } = handlers;
      let retries = 0;
      for (;;) {
        try {
          return await runOnce(request, onEvent, signal);
        } catch (error) {
          if (signal?.aborted) throw abortError(signal);
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
          await wait(serverDelay ?? backoffDelayMs(retries, random), signal);
        }
      }
    },
  };
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
