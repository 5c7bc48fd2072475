import { AUTH_SCHEMA_PATH, CONFIG_SCHEMA_PATH, generateJsonSchemas } from '../src/json-schemas.ts';

/** One committed JSON Schema file: where it lives and the exact text generated from the zod schemas. */
export interface JsonSchemaFile {
  readonly name: 'config' | 'auth';
  readonly path: string;
  readonly text: string;
}

/** The committed schema files as the zod schemas generate them now (2-space JSON, final newline). */
export function jsonSchemaFiles(): JsonSchemaFile[] {
  const schemas = generateJsonSchemas();
  const render = (schema: unknown) => `${JSON.stringify(schema, null, 2)}\n`;
  return [
    { name: 'config', path: CONFIG_SCHEMA_PATH, text: render(schemas.config) },
    { name: 'auth', path: AUTH_SCHEMA_PATH, text: render(schemas.auth) },
  ];
}
