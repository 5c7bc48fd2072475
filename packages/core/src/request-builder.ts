// node:fs's `promises`, read when called: importing node:fs/promises would load it (with readline's
// internals, ~2 ms) in every `codex exec` turn, which calls none of these (issue 13)
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A content part of a message sent to the model. */
export type ContentItem =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url: string }
  | { type: 'output_text'; text: string };

/** A conversation item sent in `input` (upstream-core §3.3; only messages are built here). */
export type InputItem = {
  type: 'message';
  role: 'user' | 'developer' | 'assistant' | 'system';
  content: ContentItem[];
};

/** What one turn sends. */
export type TurnRequest = {
  /** Overrides the config's model for this turn. */
  model?: string;
  /** Base instructions; omitted from the body when empty. */
  instructions?: string;
  input: InputItem[];
  /** A JSON Schema sent as `text.format` (`exec --output-schema`). */
  outputSchema?: unknown;
  /** Conversation id: `session_id`, `x-client-request-id` and `prompt_cache_key`. */
  sessionId?: string;
} & RequestShaping;

/** Body fields that config.toml's request-shaping keys set (see `requestShaping` in load-config). */
export type RequestShaping = {
  /** `reasoning` (with `include: ["reasoning.encrypted_content"]`); `null` is sent when unset. */
  reasoning?: { effort?: string; summary?: string };
  /** `text.verbosity`. */
  verbosity?: string;
  /** `service_tier`. */
  serviceTier?: string;
};

/** A user message with text and optional image URLs (`data:` URLs for local files). */
export function userMessage(text: string, imageUrls: readonly string[] = []): InputItem {
  return {
    type: 'message',
    role: 'user',
    content: [
      ...imageUrls.map((url): ContentItem => ({ type: 'input_image', image_url: url })),
      { type: 'input_text', text },
    ],
  };
}

const imageMimeTypes: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
};

/** Reads a local image as a base64 `data:` URL for an `input_image` part. */
export async function imageFileToDataUrl(file: string): Promise<string> {
  const bytes = await fs.readFile(file);
  const mime = imageMimeTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

/**
 * `base_url` without trailing `/`, then `/responses`, then the base URL's own query (an Azure-style
 * `?api-version=X` is kept) merged with `query_params`, which win on the same name.
 */
export function buildResponsesUrl(
  baseUrl: string,
  queryParams?: Readonly<Record<string, string>> | null,
): string {
  const hashAt = baseUrl.indexOf('#');
  const withoutFragment = hashAt === -1 ? baseUrl : baseUrl.slice(0, hashAt);
  const queryAt = withoutFragment.indexOf('?');
  const pathPart = queryAt === -1 ? withoutFragment : withoutFragment.slice(0, queryAt);
  const base = `${pathPart.replace(/\/+$/, '')}/responses`;
  const query = new URLSearchParams(queryAt === -1 ? '' : withoutFragment.slice(queryAt + 1));
  for (const [name, value] of Object.entries(queryParams ?? {})) query.set(name, value);
  const text = query.toString();
  return text === '' ? base : `${base}?${text}`;
}

/** The JSON body of a Responses request, keys in upstream's order (§3.1.6). */
export function buildResponsesBody(
  request: TurnRequest,
  { model, store, promptCacheKey }: { model: string; store: boolean; promptCacheKey: string },
): Record<string, unknown> {
  const body: Record<string, unknown> = { model };
  if (request.instructions) body['instructions'] = request.instructions;
  body['input'] = request.input;
  body['tools'] = [];
  body['tool_choice'] = 'auto';
  body['parallel_tool_calls'] = false;
  body['reasoning'] = request.reasoning ?? null;
  body['store'] = store;
  body['stream'] = true;
  body['include'] = request.reasoning === undefined ? [] : ['reasoning.encrypted_content'];
  if (request.serviceTier !== undefined) body['service_tier'] = request.serviceTier;
  body['prompt_cache_key'] = promptCacheKey;
  const text: Record<string, unknown> = {};
  if (request.verbosity !== undefined) text['verbosity'] = request.verbosity;
  if (request.outputSchema !== undefined) {
    text['format'] = {
      type: 'json_schema',
      strict: true,
      schema: request.outputSchema,
      name: 'codex_output_schema',
    };
  }
  if (Object.keys(text).length > 0) body['text'] = text;
  return body;
}

const headerNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// visible ASCII, space, tab and obs-text; no CR, LF or NUL
const headerValuePattern = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Whether `name: value` can be sent; upstream silently skips headers that cannot. */
export function isValidHeader(name: string, value: string): boolean {
  return headerNamePattern.test(name) && headerValuePattern.test(value);
}

/** Sets a header case-insensitively (names are stored lowercase), skipping invalid ones. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  if (isValidHeader(name, value)) headers[name.toLowerCase()] = value;
}

let cachedVersion: string | undefined;

/** Our version, from the package.json next to the module (the CLI bundle ships its own). */
export function codexVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      cachedVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}

function osName(): string {
  switch (os.type()) {
    case 'Darwin':
      return 'Mac OS';
    case 'Windows_NT':
      return 'Windows';
    default:
      return os.type();
  }
}

function terminalUserAgent(env: Readonly<Record<string, string | undefined>>): string {
  const program = env['TERM_PROGRAM']?.trim();
  if (program) {
    const version = env['TERM_PROGRAM_VERSION']?.trim();
    return version ? `${program}/${version}` : program;
  }
  return env['TERM']?.trim() || 'unknown';
}

/**
 * `User-Agent` in upstream's form: `{originator}/{version} ({os} {os version}; {arch}) {terminal}`,
 * with characters outside printable ASCII replaced by `_`.
 */
export function buildUserAgent(
  originator: string,
  version: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const raw = `${originator}/${version} (${osName()} ${os.release()}; ${os.machine()}) ${terminalUserAgent(env)}`;
  return raw.replace(/[^\x20-\x7e]/g, '_');
}
