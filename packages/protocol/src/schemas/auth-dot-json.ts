import * as z from 'zod/mini';

/** How a stored or active login authenticates. `apikey` is lowercase on the wire. */
export const AuthModeSchema = z
  .enum(['apikey', 'chatgpt', 'chatgptAuthTokens'])
  .register(z.globalRegistry, {
    id: 'AuthMode',
    description:
      '`apikey`: an OpenAI API key; `chatgpt`: Codex-managed ChatGPT tokens; `chatgptAuthTokens`: ChatGPT tokens supplied by a host app, kept in memory only.',
  });

/** How a login authenticates. */
export type AuthMode = z.output<typeof AuthModeSchema>;

/** `tokens` of auth.json: the ChatGPT OAuth tokens. */
export const TokenDataSchema = z
  .object({
    id_token: z.string().register(z.globalRegistry, {
      description: 'Raw ID token (JWT); its claims carry email and plan.',
    }),
    access_token: z
      .string()
      .register(z.globalRegistry, { description: 'Access token sent as the bearer token.' }),
    refresh_token: z.string().register(z.globalRegistry, {
      description: 'Refresh token; empty for host-supplied tokens.',
    }),
    account_id: z
      .optional(z.nullable(z.string()))
      .register(z.globalRegistry, { description: 'ChatGPT account (workspace) id.' }),
  })
  .register(z.globalRegistry, { id: 'TokenData', description: 'ChatGPT OAuth tokens.' });

/** ChatGPT OAuth tokens as stored in auth.json. */
export type TokenData = z.output<typeof TokenDataSchema>;

/** `$CODEX_HOME/auth.json`, with upstream's exact key names (`OPENAI_API_KEY` in capitals). */
export const AuthDotJsonSchema = z
  .object({
    auth_mode: z.optional(z.nullable(AuthModeSchema)).register(z.globalRegistry, {
      description:
        'Login mode; when absent it is `apikey` if `OPENAI_API_KEY` is set, else `chatgpt`.',
    }),
    OPENAI_API_KEY: z
      .optional(z.nullable(z.string()))
      .register(z.globalRegistry, { description: 'OpenAI API key, for `apikey` mode.' }),
    tokens: z.optional(z.nullable(TokenDataSchema)),
    last_refresh: z
      .optional(z.nullable(z.iso.datetime({ offset: true })))
      .register(z.globalRegistry, {
        description: 'When the tokens were last refreshed (RFC 3339, UTC).',
      }),
  })
  .register(z.globalRegistry, {
    title: 'AuthDotJson',
    description: 'Credentials stored in $CODEX_HOME/auth.json.',
  });

/** Contents of auth.json. */
export type AuthDotJson = z.output<typeof AuthDotJsonSchema>;

/** The mode a stored login uses: explicit `auth_mode`, else `apikey` when a key is stored, else `chatgpt`. */
export function resolvedAuthMode(auth: AuthDotJson): AuthMode {
  if (auth.auth_mode != null) return auth.auth_mode;
  return auth.OPENAI_API_KEY != null ? 'apikey' : 'chatgpt';
}

/** auth.json as written to disk: the key set and order upstream produces. */
export type AuthDotJsonWire = {
  auth_mode?: AuthMode;
  OPENAI_API_KEY: string | null;
  tokens?: {
    id_token: string;
    access_token: string;
    refresh_token: string;
    account_id: string | null;
  };
  last_refresh?: string;
};

/**
 * The JSON object upstream writes: `auth_mode`, `tokens` and `last_refresh` are left out when
 * null, while `OPENAI_API_KEY` and `tokens.account_id` are always written (null when absent).
 */
export function authDotJsonToJson(auth: AuthDotJson): AuthDotJsonWire {
  const out: AuthDotJsonWire =
    auth.auth_mode == null
      ? { OPENAI_API_KEY: null }
      : { auth_mode: auth.auth_mode, OPENAI_API_KEY: null };
  out.OPENAI_API_KEY = auth.OPENAI_API_KEY ?? null;
  if (auth.tokens != null) {
    out.tokens = {
      id_token: auth.tokens.id_token,
      access_token: auth.tokens.access_token,
      refresh_token: auth.tokens.refresh_token,
      account_id: auth.tokens.account_id ?? null,
    };
  }
  if (auth.last_refresh != null) out.last_refresh = auth.last_refresh;
  return out;
}

/** auth.json text as upstream writes it: pretty-printed with two spaces (`compact` for keyring payloads). */
export function serializeAuthDotJson(
  auth: AuthDotJson,
  options: { compact?: boolean } = {},
): string {
  return JSON.stringify(authDotJsonToJson(auth), null, options.compact === true ? undefined : 2);
}
