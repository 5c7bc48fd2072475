import * as z from 'zod/mini';
import { integerAtLeast, integerAtMost } from '../config/describe.ts';
import { currentPathBase, resolveConfigPath } from '../config/resolve-path.ts';

/** Default `timeout_ms` of a provider auth command. */
export const DEFAULT_AUTH_TIMEOUT_MS = 5_000;
/** Largest `timeout_ms`: the timer range (2^31-1 ms, about 24.8 days); a larger delay would fire at once. */
export const MAX_AUTH_TIMEOUT_MS = 2_147_483_647;
/** Default `refresh_interval_ms` of a provider auth command (five minutes). */
export const DEFAULT_AUTH_REFRESH_INTERVAL_MS = 300_000;

/** `[model_providers.<id>.auth]`: a command that prints the provider's bearer token. */
export const ModelProviderAuthInfoSchema = z
  .strictObject({
    command: z.string().register(z.globalRegistry, {
      description:
        'Program that prints the bearer token on stdout. A bare name is looked up on PATH; a path with a directory part is resolved against `cwd`. It is not run through a shell.',
    }),
    args: z
      ._default(z.array(z.string()), [])
      .register(z.globalRegistry, { description: 'Arguments passed to `command` verbatim.' }),
    timeout_ms: z
      ._default(
        z
          .int({
            error: (issue) =>
              typeof issue.input === 'number' && issue.input > MAX_AUTH_TIMEOUT_MS
                ? integerAtMost(MAX_AUTH_TIMEOUT_MS)(issue)
                : integerAtLeast(1)(issue),
          })
          .check(z.minimum(1, { error: integerAtLeast(1) }))
          .check(z.maximum(MAX_AUTH_TIMEOUT_MS, { error: integerAtMost(MAX_AUTH_TIMEOUT_MS) })),
        DEFAULT_AUTH_TIMEOUT_MS,
      )
      .register(z.globalRegistry, {
        description:
          'How long, in milliseconds, the command may run before it is killed. At least 1, at most 2147483647 (the timer range).',
      }),
    refresh_interval_ms: z
      ._default(
        z.int({ error: integerAtLeast(0) }).check(z.minimum(0, { error: integerAtLeast(0) })),
        DEFAULT_AUTH_REFRESH_INTERVAL_MS,
      )
      .register(z.globalRegistry, {
        description:
          'Maximum age, in milliseconds, of the cached token before the command runs again. Set to `0` to disable proactive refresh: the command then reruns only after the server answers 401.',
      }),
    cwd: z
      .pipe(
        z.optional(z.string()),
        z.transform((value) => resolveConfigPath(value ?? '.', currentPathBase())),
      )
      .register(z.globalRegistry, {
        description:
          'Working directory of the command. A relative path resolves against the directory of the config file that sets it, and `~` expands to the home directory. Defaults to that directory.',
      }),
  })
  .register(z.globalRegistry, {
    id: 'ModelProviderAuthInfo',
    description: 'Obtains a provider bearer token by running a command.',
  });

/** Parsed provider auth: defaults applied and `cwd` absolute. */
export type ModelProviderAuthInfo = z.output<typeof ModelProviderAuthInfoSchema>;

/** How long a cached token may be reused, or `null` when `refresh_interval_ms = 0` (only a 401 refreshes). */
export function refreshIntervalMs(
  auth: Pick<ModelProviderAuthInfo, 'refresh_interval_ms'>,
): number | null {
  return auth.refresh_interval_ms === 0 ? null : auth.refresh_interval_ms;
}
