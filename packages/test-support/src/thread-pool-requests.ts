import { AsyncLocalStorage, createHook } from 'node:async_hooks';

/** libuv file requests that run on the thread pool: fs callbacks and fs.promises. */
const FILE_REQUEST_TYPES = new Set(['FSREQCALLBACK', 'FSREQPROMISE']);

/**
 * Runs `work` and lists the thread-pool file requests it started (async_hooks resource types, in order):
 * each one hands work to a pool thread and back, a context switch each way for the main thread. Requests
 * from anything else running meanwhile are not counted (they are outside `work`'s async context).
 */
export async function threadPoolFileRequests<T>(
  work: () => Promise<T>,
): Promise<{ result: T; requests: string[] }> {
  const context = new AsyncLocalStorage<symbol>();
  const marker = Symbol('work');
  const requests: string[] = [];
  const hook = createHook({
    init(_asyncId, type) {
      if (FILE_REQUEST_TYPES.has(type) && context.getStore() === marker) requests.push(type);
    },
  });
  hook.enable();
  try {
    const result = await context.run(marker, work);
    return { result, requests };
  } finally {
    hook.disable();
  }
}
