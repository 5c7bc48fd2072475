import * as z from 'zod/mini';

const text = z.catch(z.optional(z.string()), undefined);

/**
 * The JSON error body of a provider or an OAuth endpoint, in the shapes seen in the wild:
 * OpenAI's `{"error": {"code", "message", "type", "resets_at"}}`, OAuth's
 * `{"error": "invalid_grant", "error_description": "..."}`, and a bare `{"code", "message"}`.
 * Unknown fields are ignored; a field of the wrong type is treated as absent.
 */
export const ErrorBodySchema = z
  .object({
    error: z.catch(
      z.optional(
        z.union([
          z.string(),
          z.looseObject({
            code: z.catch(z.nullish(z.string()), undefined),
            message: z.catch(z.nullish(z.string()), undefined),
            type: z.catch(z.nullish(z.string()), undefined),
            resets_at: z.catch(z.nullish(z.number()), undefined),
          }),
        ]),
      ),
      undefined,
    ),
    error_description: text,
    code: text,
    message: text,
  })
  .register(z.globalRegistry, { id: 'ErrorBody' });

/** An error body reduced to the fields every classifier reads; each absent when the body lacks it. */
export type ErrorBody = {
  /** `error.code`, else OAuth's string `error`, else a top-level `code`. */
  readonly code: string | undefined;
  /** `error.message`, else `error_description`, else a top-level `message`; never blank. */
  readonly message: string | undefined;
  /** `error.type`. */
  readonly type: string | undefined;
  /** `error.resets_at`, in epoch seconds (usage limits). */
  readonly resetsAt: number | undefined;
};

const EMPTY: ErrorBody = {
  code: undefined,
  message: undefined,
  type: undefined,
  resetsAt: undefined,
};

function nonBlank(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Parses a provider or OAuth error body once; text that is not a JSON object yields all fields absent.
 * The one error-body parser of the product: every classifier reads its result.
 */
export function parseErrorBody(body: string): ErrorBody {
  if (!body.trimStart().startsWith('{')) return EMPTY;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return EMPTY;
  }
  const parsed = ErrorBodySchema.safeParse(json);
  if (!parsed.success) return EMPTY;
  const { error } = parsed.data;
  const inner = typeof error === 'object' ? error : undefined;
  return {
    code:
      nonBlank(inner?.code) ??
      nonBlank(typeof error === 'string' ? error : undefined) ??
      nonBlank(parsed.data.code),
    message:
      nonBlank(inner?.message) ??
      nonBlank(parsed.data.error_description) ??
      nonBlank(parsed.data.message),
    type: nonBlank(inner?.type),
    resetsAt: typeof inner?.resets_at === 'number' ? inner.resets_at : undefined,
  };
}
