// undici's index also loads fetch, WebSocket, EventSource, the mock agents, the cache and the
// interceptors, and with them zlib, web streams and Node's own copy of undici: ~550 KB that a turn
// never runs. The request path needs only `request` and the global Agent, so it loads just those.
import type { Dispatcher } from 'undici';
import apiRequest from 'undici/lib/api/api-request.js';
import { getGlobalDispatcher } from 'undici/lib/global.js';

/** Options of {@link request}: undici's request options, with the dispatcher to send through. */
export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & {
  readonly dispatcher?: Dispatcher | undefined;
};

/** undici's `request(url, options)`: the same call, without loading undici's index. */
export function request(url: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { origin, pathname, search } = new URL(url);
  const { dispatcher = getGlobalDispatcher(), ...rest } = options;
  return apiRequest.call(dispatcher, { ...rest, origin, path: `${pathname}${search}` });
}
