import path from 'node:path';
import { ConfigError, parseConfigToml, validateConfigToml } from '@codex/protocol';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from './helpers/property-runs.ts';

const configDir = path.resolve('/tmp/codex-home');

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', 'responses', 'chat', 'print-token', '~/bin', '..'),
  fc.integer({ min: -3, max: 400_000 }),
  fc.boolean(),
  fc.double(),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 3 }) },
);

const providerKeys = [
  'name',
  'base_url',
  'env_key',
  'env_key_instructions',
  'experimental_bearer_token',
  'wire_api',
  'query_params',
  'http_headers',
  'env_http_headers',
  'request_max_retries',
  'stream_max_retries',
  'stream_idle_timeout_ms',
  'websocket_connect_timeout_ms',
  'requires_openai_auth',
  'supports_websockets',
  'base_uri',
  'x-unknown',
];
const authKeys = ['command', 'args', 'timeout_ms', 'refresh_interval_ms', 'cwd', 'refresh'];

const authTable = fc.dictionary(fc.constantFrom(...authKeys), value, { maxKeys: 5 });
const providerTable = fc
  .tuple(
    fc.dictionary(fc.constantFrom(...providerKeys), value, { maxKeys: 6 }),
    fc.option(fc.oneof(authTable, value), { nil: undefined }),
  )
  .map(([table, auth]) => (auth === undefined ? table : { ...table, auth }));
const providerId = fc.oneof(
  fc.constantFrom('corp', 'openai', 'ollama', 'my corp', 'a.b', 'amazon-bedrock'),
  fc.string({ minLength: 1, maxLength: 8 }),
);
const document = fc.record(
  {
    model: value,
    model_provider: value,
    approval_policy: value,
    model_providers: fc.dictionary(providerId, providerTable, { maxKeys: 3 }),
  },
  { requiredKeys: ['model_providers'] },
);

/** Runs `fn`; a ConfigError is an accepted outcome, anything else fails the property. */
function outcome(fn: () => unknown): 'ok' | ConfigError {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

describe('config parsing properties', () => {
  it('random provider tables parse, or fail with a ConfigError naming a key path', () => {
    const seen = { ok: 0, error: 0 };
    fc.assert(
      fc.property(document, fc.boolean(), (doc, strict) => {
        const text = stringify(doc);

        const result = outcome(() => parseConfigToml(text, { configDir, strict }));

        seen[result === 'ok' ? 'ok' : 'error'] += 1;
        if (result === 'ok') {
          expect(parseConfigToml(text, { configDir, strict }).config.model_providers).toBeTypeOf(
            'object',
          );
          return;
        }
        expect(result.code).toBe('CONFIG_INVALID');
        expect(result.keyPath).toBeTypeOf('string');
        expect(result.message).toContain(result.keyPath);
        expect(result.keyPath).toMatch(/^(model_providers|model|model_provider)\b/);
      }),
      { numRuns: propertyRuns(400) },
    );

    // Mostly errors, by design: valid providers are drawn on purpose in config-properties.test.ts.
    expect(seen.error).toBeGreaterThan(0);
  });

  it('arbitrary TOML-ish text never throws anything but ConfigError', () => {
    const fragment = fc.constantFrom(
      '[model_providers.corp]\n',
      '[model_providers.corp.auth]\n',
      'command = "t"\n',
      'timeout_ms = 0\n',
      'x = ',
      '"',
      "'",
      '[',
      ']',
      '{',
      '}',
      '=',
      '\n',
      ' ',
      '.',
      '1',
      'true',
      '#',
      '"""',
      '[[a]]\n',
      'model_providers = 1\n',
      'wire_api = "chat"\n',
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fragment, fc.string({ maxLength: 4 })), { maxLength: 20 }),
        (parts) => {
          const result = outcome(() => parseConfigToml(parts.join(''), { configDir }));

          expect(result === 'ok' || result.message.length > 0).toBe(true);
        },
      ),
      { numRuns: propertyRuns(400) },
    );
  });

  it('arbitrary JS values never throw anything but ConfigError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ model_providers: fc.dictionary(fc.string(), fc.anything()) }),
        ),
        (input) => {
          const result = outcome(() => validateConfigToml(input, { configDir, strict: false }));

          expect(result === 'ok' || result.code === 'CONFIG_INVALID').toBe(true);
        },
      ),
      { numRuns: propertyRuns(400) },
    );
  });
});
