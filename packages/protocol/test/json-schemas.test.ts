import { readFile } from 'node:fs/promises';
import { generateJsonSchemas } from '@codex/protocol';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from '../scripts/json-schema-files.ts';

type JsonObject = Record<string, unknown>;
const at = (value: unknown, ...keys: string[]): JsonObject => {
  let current = value;
  for (const key of keys) current = (current as JsonObject)[key];
  return current as JsonObject;
};

describe('generateJsonSchemas', () => {
  const schemas = generateJsonSchemas();

  // Only compares, in every mode: `pnpm --filter @codex/protocol schema` rewrites the files.
  it.each(jsonSchemaFiles().map((file) => [file.name, file] as const))(
    'matches the committed schema/%s.schema.json',
    async (_name, file) => {
      const committed = await readFile(file.path, 'utf8').catch((error: unknown) => {
        throw new Error(
          `schema/${file.name}.schema.json cannot be read (${String(error)}): run \`npx -y pnpm@10.34.8 --filter @codex/protocol schema\``,
        );
      });

      expect(
        committed,
        `schema/${file.name}.schema.json differs from the zod schemas: run \`npx -y pnpm@10.34.8 --filter @codex/protocol schema\``,
      ).toBe(file.text);
    },
  );

  it('documents refresh_interval_ms = 0 and its minimum', () => {
    const auth = at(schemas.config, '$defs', 'ModelProviderAuthInfo');
    const refresh = at(auth, 'properties', 'refresh_interval_ms');

    expect(refresh['minimum']).toBe(0);
    expect(refresh['default']).toBe(300000);
    expect(refresh['description']).toMatch(/`0` to disable proactive refresh/);
    expect(refresh['description']).toMatch(/only after the server answers 401/);
  });

  it('requires a command, bounds timeout_ms and closes the auth table', () => {
    const auth = at(schemas.config, '$defs', 'ModelProviderAuthInfo');

    expect(at(auth, 'properties', 'timeout_ms')['minimum']).toBe(1);
    expect(at(auth, 'properties', 'timeout_ms')['maximum']).toBe(2147483647);
    expect(at(auth, 'properties', 'timeout_ms')['default']).toBe(5000);
    expect(auth['required']).toEqual(['command']);
    expect(auth['additionalProperties']).toBe(false);
    expect(at(auth, 'properties', 'args')['default']).toEqual([]);
  });

  it('references the provider definitions and closes the provider table', () => {
    const provider = at(schemas.config, '$defs', 'ModelProviderInfo');

    expect(provider['additionalProperties']).toBe(false);
    expect(provider['required']).toBeUndefined();
    expect(at(provider, 'properties', 'auth')['$ref']).toBe('#/$defs/ModelProviderAuthInfo');
    expect(at(schemas.config, '$defs', 'WireApi')['enum']).toEqual(['responses']);
    expect(
      at(schemas.config, 'properties', 'model_providers', 'additionalProperties')['$ref'],
    ).toBe('#/$defs/ModelProviderInfo');
  });

  it('lets the rest of a Codex config through at the top level', () => {
    expect(schemas.config['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schemas.config['additionalProperties']).not.toBe(false);
  });
});
