import { fileURLToPath } from 'node:url';
import * as z from 'zod/mini';
import { AuthDotJsonSchema } from './schemas/auth-dot-json.ts';
import { ConfigTomlSchema } from './schemas/config-toml.ts';

/** Absolute path of the committed `schema/config.schema.json` (also exported as `@codex/protocol/schema/config.schema.json`). */
export const CONFIG_SCHEMA_PATH = fileURLToPath(
  new URL('../schema/config.schema.json', import.meta.url),
);

/** Absolute path of the committed `schema/auth.schema.json`. */
export const AUTH_SCHEMA_PATH = fileURLToPath(
  new URL('../schema/auth.schema.json', import.meta.url),
);

const toJsonSchema = (schema: z.ZodMiniType) =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;

/** JSON Schemas (draft 2020-12, input side) keyed by file stem: `config` and `auth`. */
export function generateJsonSchemas(): Record<'config' | 'auth', Record<string, unknown>> {
  return { config: toJsonSchema(ConfigTomlSchema), auth: toJsonSchema(AuthDotJsonSchema) };
}
