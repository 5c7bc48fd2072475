import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '@codex/core';
import { describe, expect, it } from 'vitest';
import { applyConfigOverrides } from '../src/config-overrides.ts';
import { tempHome } from './helpers/provider-config.ts';

const override = (path: string, value: unknown) => ({ path, keys: path.split('.'), value });

describe('applyConfigOverrides', () => {
  it('creates missing intermediate tables', () => {
    const root = applyConfigOverrides({}, [override('a.b.c', 1)]);

    expect(root).toEqual({ a: { b: { c: 1 } } });
  });

  it('keeps the other keys of an existing intermediate table', () => {
    const root = applyConfigOverrides({ a: { keep: true, b: { c: 0 } } }, [override('a.b.c', 2)]);

    expect(root).toEqual({ a: { keep: true, b: { c: 2 } } });
  });

  it.each([
    ['a string', 'text'],
    ['a number', 3],
    ['an array', [1, 2]],
    ['a date', new Date(0)],
    ['null', null],
  ])('replaces an intermediate key holding %s with a table, like upstream', (_what, value) => {
    const root = applyConfigOverrides({ a: value, other: 1 }, [override('a.b', 'set')]);

    expect(root).toEqual({ a: { b: 'set' }, other: 1 });
  });

  it('applies overrides in order, a later one replacing an earlier leaf', () => {
    const root = applyConfigOverrides({}, [
      override('profiles.fast', 'flat'),
      override('profiles.fast.model', 'o3'),
    ]);

    expect(root).toEqual({ profiles: { fast: { model: 'o3' } } });
  });
});

describe('loadConfig with -c overrides', () => {
  it('turns a provider that config.toml set to a string into the table the overrides describe', async () => {
    const home = await tempHome();
    await writeFile(path.join(home, 'config.toml'), '[model_providers]\ncorp = "not a table"\n');

    const config = await loadConfig({
      env: {},
      cwd: home,
      codexHome: home,
      overrides: [
        'model_provider="corp"',
        'model_providers.corp.name="Corp"',
        'model_providers.corp.base_url="http://127.0.0.1:9/v1"',
      ],
    });

    expect(config.modelProviderId).toBe('corp');
    expect(config.modelProvider.name).toBe('Corp');
    expect(config.modelProvider.base_url).toBe('http://127.0.0.1:9/v1');
  });
});
