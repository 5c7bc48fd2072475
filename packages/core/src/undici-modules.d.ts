// Types of the undici file the request path imports directly (see http-transport.ts).
declare module 'undici/lib/global.js' {
  import type { Dispatcher } from 'undici';
  export function getGlobalDispatcher(): Dispatcher;
}
