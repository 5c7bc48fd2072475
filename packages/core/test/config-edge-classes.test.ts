import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyConfigOverrides, parseConfigOverrides } from '../src/config-overrides.ts';
import { loadConfig } from '../src/load-config.ts';
import { buildResponsesBody, buildResponsesUrl, userMessage } from '../src/request-builder.ts';
import { tempHome } from './helpers/provider-config.ts';

async function load(toml: string, overrides: readonly string[] = [], strict = false) {
  const home = await tempHome();
  await writeFile(path.join(home, 'config.toml'), toml);
  return loadConfig({ env: { HOME: home }, cwd: home, codexHome: home, overrides, strict });
}

const corp = [
  'model_provider = "corp"',
  '[model_providers.corp]',
  'name = "Corp"',
  'base_url = "http://configured.invalid/v1"',
  '',
].join('\n');

// class: `-c` keys follow TOML dotted-key syntax (issue 11 item 1)
describe('-c key syntax: TOML dotted keys', () => {
  it.each([
    ['"model_providers"."corp"."base_url"'],
    ["'model_providers'.'corp'.'base_url'"],
    ['model_providers . corp . base_url'],
    ['model_providers."corp".base_url'],
    ['"model_providers".corp."base_url"'],
  ])('applies %s to the same key as the bare form', async (key) => {
    const config = await load(corp, [`${key}="http://127.0.0.1:9/v1"`]);

    expect(config.modelProvider.base_url).toBe('http://127.0.0.1:9/v1');
  });

  it('keeps dots and = inside a quoted part as part of the key', () => {
    const [override] = parseConfigOverrides(['http_headers."x.y=z"."a b" = 1']);

    expect(override?.keys).toEqual(['http_headers', 'x.y=z', 'a b']);
    expect(override?.path).toBe('http_headers."x.y=z"."a b"');
    expect(override?.value).toBe(1);
  });

  it.each([
    ['"model_providers.corp=1', 'unterminated quoted key'],
    ['model_providers..corp=1', 'empty key part'],
    ['model providers=1', 'expected `.` or `=` after a key part'],
  ])('rejects the malformed key in %s without quoting its value', (raw, problem) => {
    expect(() => parseConfigOverrides([raw])).toThrow(problem);
  });

  it('sets a key named __proto__ as data, never on the prototype', () => {
    const table: Record<string, unknown> = {};

    applyConfigOverrides(table, parseConfigOverrides(['__proto__.polluted="x"', '"__proto__"=1']));

    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.hasOwn(table, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(table)).toBe(Object.prototype);
  });

  it('warns about an override whose key matches nothing known, and fails under strict', async () => {
    const config = await load('', ['modle="gpt-5.1"']);
    const strict = await load('', ['modle="gpt-5.1"'], true).catch((error: unknown) => error);

    expect(config.warnings).toEqual(['unknown configuration field `modle` is ignored']);
    expect(String(strict)).toContain('unknown configuration field `modle`');
  });
});

// class: provider URLs are checked when the config loads (issue 11 item 8, config part)
describe('provider URLs', () => {
  it.each([
    ['a base_url that is not a URL', corp.replace('http://configured.invalid/v1', 'not a url')],
    ['a base_url without http(s)', corp.replace('http://configured.invalid/v1', 'ftp://h/v1')],
    ['an openai_base_url that is not a URL', 'openai_base_url = "localhost:8080"\n'],
    ['a chatgpt_base_url that is not a URL', 'chatgpt_base_url = "chatgpt.com"\n'],
    ['a profile chatgpt_base_url', '[profiles.p]\nchatgpt_base_url = "x"\n'],
  ])('rejects %s naming the key', async (_name, toml) => {
    const error = await load(toml).catch((caught: unknown) => caught);

    expect(String(error)).toMatch(
      /(model_providers\.corp\.base_url|openai_base_url|chatgpt_base_url): expected an/,
    );
  });

  it('rejects an OPENAI_BASE_URL that is not a URL, naming the variable', async () => {
    const home = await tempHome();

    const error = await loadConfig({
      env: { HOME: home, OPENAI_BASE_URL: 'api.openai.com/v1' },
      cwd: home,
      codexHome: home,
    }).catch((caught: unknown) => caught);

    expect(String(error)).toContain('OPENAI_BASE_URL: expected an http:// or https:// URL');
  });

  it('rejects a custom provider with [auth] and no base_url before anything runs', async () => {
    const toml = [
      'model_provider = "corp"',
      '[model_providers.corp]',
      'base_uri = "http://typo.invalid/v1"',
      '[model_providers.corp.auth]',
      'command = "./token.sh"',
    ].join('\n');

    const error = await load(toml).catch((caught: unknown) => caught);

    expect(String(error)).toContain('model_providers.corp.base_url is missing');
  });

  it.each([
    ['http://h/v1?api-version=X', null, 'http://h/v1/responses?api-version=X'],
    ['http://h/v1/?api-version=X', null, 'http://h/v1/responses?api-version=X'],
    ['http://h/v1?api-version=X', { b: '2' }, 'http://h/v1/responses?api-version=X&b=2'],
    ['http://h/v1?api-version=X', { 'api-version': 'Y' }, 'http://h/v1/responses?api-version=Y'],
    ['http://h/v1#frag', { a: '1' }, 'http://h/v1/responses?a=1'],
    ['http://h/v1', null, 'http://h/v1/responses'],
  ])('keeps the query of base_url %s merged with %j', (base, params, expected) => {
    expect(buildResponsesUrl(base, params)).toBe(expected);
  });
});

function bodyFor(config: Awaited<ReturnType<typeof load>>): Record<string, unknown> {
  return buildResponsesBody(
    { input: [userMessage('hi')], ...config.requestShaping },
    { model: config.model, store: false, promptCacheKey: 'k' },
  );
}

// class: keys that shape the request are sent as upstream sends them, or rejected (item 11)
describe('request-shaping keys', () => {
  it('sends model_reasoning_effort with upstream default summary and encrypted reasoning', async () => {
    const body = bodyFor(await load('', ['model_reasoning_effort=high']));

    expect(body['reasoning']).toEqual({ effort: 'high', summary: 'auto' });
    expect(body['include']).toEqual(['reasoning.encrypted_content']);
  });

  it('sends summary, verbosity and service tier; a profile wins over the top level', async () => {
    const toml = [
      'model_reasoning_summary = "detailed"',
      'model_verbosity = "high"',
      'profile = "p"',
      '[profiles.p]',
      'model_verbosity = "low"',
      'service_tier = "fast"',
    ].join('\n');

    const body = bodyFor(await load(toml));

    expect(body['reasoning']).toEqual({ summary: 'detailed' });
    expect(body['text']).toEqual({ verbosity: 'low' });
    expect(body['service_tier']).toBe('priority');
  });

  it('leaves summary out for `none` and sends reasoning null when nothing is set', async () => {
    const none = bodyFor(
      await load('', ['model_reasoning_effort="low"', 'model_reasoning_summary="none"']),
    );
    const unset = bodyFor(await load(''));

    expect(none['reasoning']).toEqual({ effort: 'low' });
    expect(unset['reasoning']).toBeNull();
    expect(unset['include']).toEqual([]);
    expect(unset).not.toHaveProperty('text');
  });

  it.each([
    ['model_reasoning_effort="extreme"', 'model_reasoning_effort: unknown variant `extreme`'],
    ['model_reasoning_summary="short"', 'model_reasoning_summary: unknown variant `short`'],
    ['model_verbosity=3', 'model_verbosity: expected one of'],
    ['service_tier=" "', 'service_tier: must not be empty'],
  ])('rejects %s with a message naming the key', async (override, message) => {
    const error = await load('', [override]).catch((caught: unknown) => caught);

    expect(String(error)).toContain(message);
  });

  it.each([
    ['model = ""', {}, 'model: the model must not be empty'],
    ['model = "  "', {}, 'model: the model must not be empty'],
    [
      'profile = "p"\n[profiles.p]\nmodel = ""',
      {},
      'profiles.p.model: the model must not be empty',
    ],
    ['', { model: '' }, '--model: the model must not be empty'],
  ])('rejects an empty model (%j)', async (toml, options, message) => {
    const home = await tempHome();
    await writeFile(path.join(home, 'config.toml'), toml);

    const error = await loadConfig({
      env: { HOME: home },
      cwd: home,
      codexHome: home,
      ...options,
    }).catch((caught: unknown) => caught);

    expect(String(error)).toContain(message);
  });
});
