import path from 'node:path';
import {
  ConfigError,
  DEFAULT_AUTH_REFRESH_INTERVAL_MS,
  DEFAULT_AUTH_TIMEOUT_MS,
  parseConfigToml,
} from '@codex/protocol';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { propertyRuns } from './helpers/property-runs.ts';

const configDir = path.resolve('/tmp/codex-home');
const homeDir = path.resolve('/home/someone');

type Table = Record<string, unknown>;

// Bare TOML keys that are neither reserved nor `amazon-bedrock`, so every one is a valid id.
const providerId = fc
  .stringMatching(/^[a-z][a-z0-9_-]{0,10}$/)
  .filter((id) => !['openai', 'ollama', 'lmstudio', 'amazon-bedrock'].includes(id));
const nonBlank = fc.string({ minLength: 1, maxLength: 12 }).filter((text) => text.trim() !== '');
const cwdValue = fc.constantFrom('.', '..', '~', '~/bin', 'scripts', 'a/../b', '/opt/tools');
const authTable = fc.record(
  {
    command: nonBlank,
    args: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
    timeout_ms: fc.integer({ min: 1, max: 600_000 }),
    refresh_interval_ms: fc.integer({ min: 0, max: 3_600_000 }),
    cwd: cwdValue,
  },
  { requiredKeys: ['command'] },
);
const stringMap = fc.dictionary(fc.stringMatching(/^[a-z][a-z-]{0,8}$/), fc.string(), {
  maxKeys: 2,
});
const common = fc.record(
  {
    name: fc.string({ maxLength: 10 }),
    base_url: fc.constantFrom('http://127.0.0.1:1/v1', 'https://gateway.example.com/v1'),
    wire_api: fc.constant('responses'),
    http_headers: stringMap,
    query_params: stringMap,
    request_max_retries: fc.integer({ min: 0, max: 200 }),
    stream_idle_timeout_ms: fc.integer({ min: 0, max: 1_000_000 }),
    supports_websockets: fc.boolean(),
  },
  { requiredKeys: [] },
);
// At most one credential source per provider, as upstream requires for `auth`.
const credentials = fc.oneof(
  fc.constant({}),
  fc.record({ env_key: nonBlank }),
  fc.record({ experimental_bearer_token: nonBlank }),
  fc.constant({ requires_openai_auth: true }),
  fc.record({ requires_openai_auth: fc.constant(false), auth: authTable }),
  fc.record({ auth: authTable }),
);
const validProvider = fc
  .tuple(common, credentials)
  .map(([fields, credential]): Table => ({ ...fields, ...credential }));
const validProviders = fc.dictionary(providerId, validProvider, { minKeys: 1, maxKeys: 3 });

function expectedCwd(cwd: string | undefined): string {
  if (cwd === undefined) return configDir;
  if (cwd === '~') return homeDir;
  if (cwd.startsWith('~/')) return path.join(homeDir, cwd.slice(2));
  return path.resolve(configDir, cwd);
}

describe('valid providers', () => {
  it('parse with every default applied and an absolute auth cwd', () => {
    fc.assert(
      fc.property(validProviders, fc.boolean(), (providers, strict) => {
        const text = stringify({ model_providers: providers });

        const { config, warnings } = parseConfigToml(text, { configDir, homeDir, strict });

        expect(warnings).toEqual([]);
        expect(Object.keys(config.model_providers).sort()).toEqual(Object.keys(providers).sort());
        for (const [id, input] of Object.entries(providers)) {
          const parsed = config.model_providers[id];
          expect(parsed).toBeDefined();
          if (parsed === undefined) continue;
          expect(parsed.name).toBe(input['name'] ?? '');
          expect(parsed.wire_api).toBe('responses');
          expect(parsed.requires_openai_auth).toBe(input['requires_openai_auth'] ?? false);
          expect(parsed.supports_websockets).toBe(input['supports_websockets'] ?? false);
          expect(parsed.request_max_retries).toBe(input['request_max_retries']);
          const auth = input['auth'] as Table | undefined;
          if (auth === undefined) {
            expect(parsed.auth).toBeUndefined();
            continue;
          }
          expect(parsed.auth).toEqual({
            command: auth['command'],
            args: auth['args'] ?? [],
            timeout_ms: auth['timeout_ms'] ?? DEFAULT_AUTH_TIMEOUT_MS,
            refresh_interval_ms: auth['refresh_interval_ms'] ?? DEFAULT_AUTH_REFRESH_INTERVAL_MS,
            cwd: expectedCwd(auth['cwd'] as string | undefined),
          });
          expect(path.isAbsolute(parsed.auth?.cwd ?? '')).toBe(true);
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});

/** One defect applied to a valid provider, and the key path the error must name. */
type Defect = { apply: (id: string, provider: Table) => Table; keyPath: (id: string) => string };

const withAuth = (provider: Table, auth: Table): Table => {
  const {
    env_key: _e,
    experimental_bearer_token: _t,
    requires_openai_auth: _r,
    ...rest
  } = provider;
  return { ...rest, auth };
};
const someAuth = (provider: Table): Table =>
  (provider['auth'] as Table | undefined) ?? { command: 'print-token' };

const defects: Record<string, Defect> = {
  'timeout_ms below 1': {
    apply: (_id, p) => withAuth(p, { ...someAuth(p), timeout_ms: 0 }),
    keyPath: (id) => `model_providers.${id}.auth.timeout_ms`,
  },
  'negative refresh_interval_ms': {
    apply: (_id, p) => withAuth(p, { ...someAuth(p), refresh_interval_ms: -1 }),
    keyPath: (id) => `model_providers.${id}.auth.refresh_interval_ms`,
  },
  'fractional timeout_ms': {
    apply: (_id, p) => withAuth(p, { ...someAuth(p), timeout_ms: 1.5 }),
    keyPath: (id) => `model_providers.${id}.auth.timeout_ms`,
  },
  'auth without a command': {
    apply: (_id, p) => {
      const { command: _c, ...auth } = someAuth(p);
      return withAuth(p, auth);
    },
    keyPath: (id) => `model_providers.${id}.auth`,
  },
  'a blank command': {
    apply: (_id, p) => withAuth(p, { ...someAuth(p), command: '  ' }),
    keyPath: (id) => `model_providers.${id}`,
  },
  'an argument that is not a string': {
    apply: (_id, p) => withAuth(p, { ...someAuth(p), args: [7] }),
    keyPath: (id) => `model_providers.${id}.auth.args[0]`,
  },
  'auth combined with env_key': {
    apply: (_id, p) => ({ ...withAuth(p, someAuth(p)), env_key: 'KEY' }),
    keyPath: (id) => `model_providers.${id}`,
  },
  'the removed chat wire API': {
    apply: (_id, p) => ({ ...p, wire_api: 'chat' }),
    keyPath: (id) => `model_providers.${id}.wire_api`,
  },
  'negative request_max_retries': {
    apply: (_id, p) => ({ ...p, request_max_retries: -1 }),
    keyPath: (id) => `model_providers.${id}.request_max_retries`,
  },
  'a name that is not a string': {
    apply: (_id, p) => ({ ...p, name: 42 }),
    keyPath: (id) => `model_providers.${id}.name`,
  },
  'aws outside amazon-bedrock': {
    apply: (_id, p) => ({ ...p, aws: { region: 'us-east-1' } }),
    keyPath: (id) => `model_providers.${id}`,
  },
};

describe('invalid providers', () => {
  it('fail with a ConfigError naming the key path of the defect', () => {
    fc.assert(
      fc.property(
        providerId,
        validProvider,
        fc.constantFrom(...Object.keys(defects)),
        (id, provider, name) => {
          const defect = defects[name] as Defect;
          const text = stringify({ model_providers: { [id]: defect.apply(id, provider) } });

          const error = catchConfigError(() => parseConfigToml(text, { configDir, homeDir }));

          expect(error.keyPath).toBe(defect.keyPath(id));
          expect(error.message.startsWith(`${defect.keyPath(id)}: `)).toBe(true);
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('reject a reserved id on the model_providers table', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('openai', 'ollama', 'lmstudio'),
        validProvider,
        (id, provider) => {
          const text = stringify({ model_providers: { [id]: provider } });

          const error = catchConfigError(() => parseConfigToml(text, { configDir, homeDir }));

          expect(error.keyPath).toBe('model_providers');
          expect(error.message).toContain(`reserved built-in provider IDs: \`${id}\``);
        },
      ),
      { numRuns: propertyRuns(30) },
    );
  });

  it('name an unknown provider key in strict mode and warn about it otherwise', () => {
    fc.assert(
      fc.property(providerId, validProvider, (id, provider) => {
        const text = stringify({ model_providers: { [id]: { ...provider, base_uri: 'x' } } });

        const error = catchConfigError(() =>
          parseConfigToml(text, { configDir, homeDir, strict: true }),
        );
        const lenient = parseConfigToml(text, { configDir, homeDir });

        expect(error.keyPath).toBe(`model_providers.${id}.base_uri`);
        expect(lenient.warnings).toEqual([
          `unknown configuration field \`model_providers.${id}.base_uri\` is ignored`,
        ]);
      }),
      { numRuns: propertyRuns(100) },
    );
  });
});

function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but parsing succeeded');
}
