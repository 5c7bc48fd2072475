/** Token counts as the Responses API reports them in `response.completed`. */
export interface UsageFixture {
  readonly input_tokens: number;
  readonly input_tokens_details?: { readonly cached_tokens: number };
  readonly output_tokens: number;
  readonly output_tokens_details?: { readonly reasoning_tokens: number };
  readonly total_tokens: number;
}

export const defaultUsage: UsageFixture = {
  input_tokens: 12,
  input_tokens_details: { cached_tokens: 2 },
  output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 1 },
  total_tokens: 17,
};

/** Builders for the Responses API stream events a model server sends. */
export const responseEvents = {
  created: (id = 'resp_1') => ({ type: 'response.created', response: { id } }),
  textDelta: (delta: string) => ({ type: 'response.output_text.delta', delta }),
  messageDone: (text: string, id = 'msg_1') => ({
    type: 'response.output_item.done',
    item: {
      type: 'message',
      id,
      role: 'assistant',
      content: [{ type: 'output_text', text }],
    },
  }),
  completed: (id = 'resp_1', usage: UsageFixture | null = defaultUsage) => ({
    type: 'response.completed',
    response: usage ? { id, usage } : { id },
  }),
  failed: (code: string, message: string) => ({
    type: 'response.failed',
    response: { id: 'resp_1', error: { code, message } },
  }),
  incomplete: (reason: string) => ({
    type: 'response.incomplete',
    response: { id: 'resp_1', incomplete_details: { reason } },
  }),
} as const;

/** The smallest complete answer: created, text deltas, the assistant message, completed. */
export function completedEvents(
  text: string,
  options: { readonly id?: string; readonly usage?: UsageFixture | null } = {},
): unknown[] {
  const { id = 'resp_1', usage = defaultUsage } = options;
  const half = Math.ceil(text.length / 2);
  const deltas = text.length > 1 ? [text.slice(0, half), text.slice(half)] : [text];
  return [
    responseEvents.created(id),
    ...deltas.map(responseEvents.textDelta),
    responseEvents.messageDone(text),
    responseEvents.completed(id, usage),
  ];
}

/** An SSE reply that answers `text` and completes. */
export function completedReply(
  text: string,
  options: { readonly id?: string; readonly usage?: UsageFixture | null } = {},
) {
  return { kind: 'sse', events: completedEvents(text, options) } as const;
}
