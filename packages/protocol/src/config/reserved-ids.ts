/** Ids of the built-in providers; a user `model_providers` table may not reuse them. */
export const RESERVED_MODEL_PROVIDER_IDS = ['openai', 'ollama', 'lmstudio'] as const;

/** Upstream's text for user providers that reuse built-in ids (sorted, backticked). */
export function reservedProviderIdsError(ids: readonly string[]): string {
  const list = [...ids]
    .sort()
    .map((id) => `\`${id}\``)
    .join(', ');
  return `model_providers contains reserved built-in provider IDs: ${list}. Built-in providers cannot be overridden. Rename your custom provider (for example, \`openai-custom\`).`;
}
