import { Secret } from '@codex/protocol';
import { InvalidTokenError, TransientAuthError } from './errors.ts';
import type { ExternalAuth, ExternalAuthTokens } from './external-auth.ts';

/** Options of {@link createAuthFetch}. */
export type AuthFetchOptions = {
  /** The fetch that sends each request; default: the global `fetch`, looked up at call time. */
  readonly fetch?: typeof globalThis.fetch | undefined;
};

/** Rejects a token that an HTTP header cannot carry; the message never contains it. */
function headerValue(tokens: ExternalAuthTokens): string {
  const value = Secret.from(tokens.accessToken).reveal();
  if (value.trim() === '') {
    throw new InvalidTokenError(
      'createAuthFetch: the credential source returned an empty token; the request was not sent',
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f]|[^\u0000-\u00ff]/.test(value)) {
    throw new InvalidTokenError(
      'createAuthFetch: the token from the credential source contains characters that cannot be sent in an HTTP header (control or non-Latin-1 characters); the request was not sent',
    );
  }
  return `Bearer ${value}`;
}

// Stryker disable next-line BlockStatement: cancelling a dropped 401 body only frees its connection sooner
async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

function requestOf(input: string | URL | Request): Request | undefined {
  return typeof input === 'string' || input instanceof URL ? undefined : input;
}

/**
 * Whether the body can be sent a second time: none, a string, bytes, `URLSearchParams`, `Blob` or `FormData`.
 * A `ReadableStream` or async iterable is consumed by the first send, and so is the body of a `Request` input
 * (pass the body in `init` to make it replayable).
 */
function isReplayable(input: string | URL | Request, init: RequestInit | undefined): boolean {
  const body = init?.body !== undefined ? init.body : (requestOf(input)?.body ?? null);
  return (
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData
  );
}

/**
 * A WHATWG `fetch` that sends every request with `Authorization: Bearer <token>` from `source`, and recovers
 * from one 401.
 *
 * - Before each request it calls `source.resolve({ signal })`. The header replaces any `Authorization` the
 *   caller set (the `openai` client sends `Bearer <apiKey>`; ours wins). Tokens with ChatGPT metadata also
 *   send `ChatGPT-Account-ID`.
 * - On a 401 it calls `source.refresh({ reason: 'unauthorized', rejectedToken, previousAccountId, signal })`
 *   once; a generation-aware source (the command refresher) returns a newer cached token without running its
 *   command. When the body can be sent again (none, string, bytes, `URLSearchParams`, `Blob`, `FormData`) the
 *   request is replayed once with the new token and that answer is returned, whatever its status. A
 *   `ReadableStream` or async-iterable body cannot, nor the body of a `Request` passed as input (give the body
 *   in `init` instead): the 401 is returned and the new token goes with the next request.
 * - The request's `signal` (from `init`, else the `Request`) reaches `resolve` and `refresh`, so aborting it
 *   also stops a running auth command.
 *
 * @param source any {@link ExternalAuth}: `createBearerTokenRefresher(auth)`, parent-app tokens, or your own
 *   object with `resolve` and `refresh`.
 * @returns a function with the signature of the global `fetch`.
 * @throws (the returned promise rejects) with the source's own error when `resolve` or `refresh` fails (for the
 *   command refresher an `AuthCommandError`, including a rerun that printed the rejected token); a
 *   {@link TransientAuthError} when `resolve` returns null; an {@link InvalidTokenError} for an empty token or
 *   one a header cannot carry; the signal's reason when aborted; the inner fetch's errors. No request is sent
 *   without a token, and no error message contains one.
 * @example
 * import OpenAI from 'openai';
 * import { createAuthFetch, createBearerTokenRefresher } from '@codex/login';
 *
 * const source = createBearerTokenRefresher({ command: 'gcloud', args: ['auth', 'print-access-token'],
 *   timeout_ms: 5000, refresh_interval_ms: 300_000, cwd: process.cwd() });
 * const client = new OpenAI({ apiKey: 'unused', baseURL: 'https://gateway.example/v1',
 *   fetch: createAuthFetch(source) });
 * const stream = await client.responses.create({ model: 'gpt-5', input: 'hi', stream: true });
 */
export function createAuthFetch(
  source: ExternalAuth,
  options: AuthFetchOptions = {},
): typeof globalThis.fetch {
  const inner = options.fetch;
  const send = (
    input: string | URL | Request,
    init: RequestInit | undefined,
    tokens: ExternalAuthTokens,
  ): Promise<Response> => {
    const request = requestOf(input);
    const headers = new Headers(init?.headers !== undefined ? init.headers : request?.headers);
    headers.set('authorization', headerValue(tokens));
    const accountId = tokens.chatgptMetadata?.accountId;
    if (accountId) headers.set('chatgpt-account-id', accountId);
    const sendInit: RequestInit = { ...init, headers };
    return inner !== undefined ? inner(input, sendInit) : globalThis.fetch(input, sendInit);
  };

  return async function authFetch(input, init) {
    const signal = init?.signal ?? requestOf(input)?.signal ?? undefined;
    const tokens = await source.resolve({ signal });
    if (tokens === null) {
      throw new TransientAuthError(
        'createAuthFetch: the credential source returned no token; the request was not sent',
      );
    }
    const response = await send(input, init, tokens);
    if (response.status !== 401) return response;
    const replayable = isReplayable(input, init);
    // a 401 that a replay replaces is dropped first, freeing its connection
    if (replayable) await discard(response);
    let refreshed: ExternalAuthTokens;
    try {
      refreshed = await source.refresh({
        reason: 'unauthorized',
        previousAccountId: tokens.chatgptMetadata?.accountId ?? null,
        rejectedToken: tokens.accessToken,
        signal,
      });
    } catch (error) {
      // Stryker disable next-line BooleanLiteral,ConditionalExpression: the body of a 401 whose refresh failed is dropped either way
      if (!replayable) await discard(response);
      throw error;
    }
    return replayable ? send(input, init, refreshed) : response;
  };
}
