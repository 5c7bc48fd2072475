import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigLoadError, loadConfig } from '@codex/core';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { ALLOW_UNSAFE_CONFIG_ENV_VAR, assertTrustedCodexHome } from '../src/file-trust.ts';
import { tempHome } from './helpers/provider-config.ts';

const posix = typeof process.getuid === 'function';
const isRoot = posix && process.getuid?.() === 0;

/** A CODEX_HOME with config.toml and auth.json, all owned by us and not writable by others. */
async function trustedHome(): Promise<string> {
  const home = await tempHome();
  await chmod(home, 0o700);
  await writeFile(path.join(home, 'config.toml'), '', { mode: 0o600 });
  await writeFile(path.join(home, 'auth.json'), '{}', { mode: 0o600 });
  return home;
}

async function refusal(promise: Promise<unknown>): Promise<ConfigLoadError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigLoadError);
  return error as ConfigLoadError;
}

describe.runIf(posix)('assertTrustedCodexHome', () => {
  it('accepts a home whose files only this user can write', async () => {
    const home = await trustedHome();

    await expect(assertTrustedCodexHome(home, {})).resolves.toBeUndefined();
  });

  it('accepts a home whose files do not exist yet', async () => {
    const home = await tempHome();
    await chmod(home, 0o700);

    await expect(assertTrustedCodexHome(home, {})).resolves.toBeUndefined();
    await expect(assertTrustedCodexHome(path.join(home, 'absent'), {})).resolves.toBeUndefined();
  });

  it.each([
    ['config.toml', 0o620, '0620'],
    ['config.toml', 0o602, '0602'],
    ['auth.json', 0o666, '0666'],
  ])(
    'refuses a %s with mode %s, naming the file, the mode and the fix',
    async (name, mode, shown) => {
      const home = await trustedHome();
      const file = path.join(home, name);
      await chmod(file, mode);

      const error = await refusal(assertTrustedCodexHome(home, {}));

      expect(error.message).toBe(
        `Error loading config.toml: refusing to run an auth command: ${file} is writable by group or others (mode ${shown}); fix it with \`chmod go-w ${file}\`, or set CODEX_ALLOW_UNSAFE_CONFIG=1 if it is shared on purpose`,
      );
    },
  );

  it('refuses a CODEX_HOME directory others can write, with the purpose it was asked for', async () => {
    const home = await trustedHome();
    await chmod(home, 0o1777);

    const error = await refusal(assertTrustedCodexHome(home, {}, 'do something'));

    expect(error.detail).toBe(
      `refusing to do something: ${home} is writable by group or others (mode 1777); fix it with \`chmod go-w ${home}\`, or set CODEX_ALLOW_UNSAFE_CONFIG=1 if it is shared on purpose`,
    );
  });

  it.runIf(isRoot)('refuses a file owned by another user, naming both uids', async () => {
    const home = await trustedHome();
    const file = path.join(home, 'config.toml');
    await chown(file, 4242, 4242);

    const error = await refusal(assertTrustedCodexHome(home, {}));

    expect(error.detail).toBe(
      `refusing to run an auth command: ${file} is owned by uid 4242, not by you (uid 0); take it over with \`chown 0 ${file}\`, or set CODEX_ALLOW_UNSAFE_CONFIG=1 if it is shared on purpose`,
    );
  });

  it.runIf(isRoot)('accepts files owned by this user or by root, and no one else', async () => {
    // root may chown, so the files can belong to a "current user" 4242 that this test plays
    vi.spyOn(process, 'getuid').mockReturnValue(4242);
    const home = await trustedHome();
    await chown(home, 4242, 4242);
    await chown(path.join(home, 'config.toml'), 4242, 4242);
    // auth.json stays owned by root

    await expect(assertTrustedCodexHome(home, {})).resolves.toBeUndefined();

    await chown(path.join(home, 'auth.json'), 5151, 5151);
    const error = await refusal(assertTrustedCodexHome(home, {}));
    expect(error.detail).toContain('is owned by uid 5151, not by you (uid 4242)');
  });

  it('checks the files in order: CODEX_HOME, then config.toml, then auth.json', async () => {
    const home = await trustedHome();
    await chmod(path.join(home, 'auth.json'), 0o666);
    await chmod(path.join(home, 'config.toml'), 0o666);

    const first = await refusal(assertTrustedCodexHome(home, {}));
    await chmod(home, 0o777);
    const second = await refusal(assertTrustedCodexHome(home, {}));

    expect(first.message).toContain(`${path.join(home, 'config.toml')} is writable`);
    expect(second.message).toContain(`${home} is writable`);
  });

  it('does nothing where there are no POSIX uids (Windows)', async () => {
    const home = await trustedHome();
    await chmod(path.join(home, 'config.toml'), 0o666);
    const getuid = process.getuid;
    Object.defineProperty(process, 'getuid', { value: undefined, configurable: true });
    onTestFinished(() => {
      Object.defineProperty(process, 'getuid', { value: getuid, configurable: true });
    });

    await expect(assertTrustedCodexHome(home, {})).resolves.toBeUndefined();
  });

  it.each(['1', 'true', 'yes'])('is turned off by %s=%s', async (value) => {
    const home = await trustedHome();
    await chmod(path.join(home, 'config.toml'), 0o666);

    await expect(
      assertTrustedCodexHome(home, { [ALLOW_UNSAFE_CONFIG_ENV_VAR]: value }),
    ).resolves.toBeUndefined();
  });

  it.each(['', '0'])('stays on when the opt-out is %j', async (value) => {
    const home = await trustedHome();
    await chmod(path.join(home, 'config.toml'), 0o666);

    await refusal(assertTrustedCodexHome(home, { [ALLOW_UNSAFE_CONFIG_ENV_VAR]: value }));
  });
});

describe.runIf(posix)('loadConfig file trust', () => {
  async function writableHome(toml: string): Promise<string> {
    const home = await trustedHome();
    await writeFile(path.join(home, 'config.toml'), toml);
    await chmod(path.join(home, 'config.toml'), 0o666);
    return home;
  }

  const load = (home: string, env: Record<string, string> = {}) =>
    loadConfig({ env: { HOME: home, ...env }, cwd: home, codexHome: home });

  it('refuses an auth command from a config others can write', async () => {
    const home = await writableHome(
      'model_provider = "corp"\n[model_providers.corp]\nname = "Corp"\nbase_url = "http://127.0.0.1:9/v1"\n[model_providers.corp.auth]\ncommand = "./token.sh"\n',
    );

    const error = await refusal(load(home));

    expect(error.detail).toMatch(/^refusing to run an auth command: /);
  });

  it.each([
    ['openai_base_url = "http://127.0.0.1:9/v1"\n'],
    ['chatgpt_base_url = "http://127.0.0.1:9/backend-api"\n'],
    ['[model_providers.corp]\nname = "Corp"\nbase_url = "http://127.0.0.1:9/v1"\n'],
  ])('refuses a base_url from a config others can write: %s', async (toml) => {
    const home = await writableHome(toml);

    const error = await refusal(load(home));

    expect(error.detail).toMatch(/^refusing to send credentials to a base_url from it: /);
  });

  it('loads a config others can write when it chooses neither a command nor a base_url', async () => {
    const home = await writableHome('model = "m"\n[model_providers.corp]\nname = "Corp"\n');

    const config = await load(home);

    expect(config.model).toBe('m');
  });

  it('loads such a config when CODEX_ALLOW_UNSAFE_CONFIG=1', async () => {
    const home = await writableHome('openai_base_url = "http://127.0.0.1:9/v1"\n');

    const config = await load(home, { [ALLOW_UNSAFE_CONFIG_ENV_VAR]: '1' });

    expect(config.modelProvider.base_url).toBe('http://127.0.0.1:9/v1');
  });

  it('checks a nested directory as CODEX_HOME itself', async () => {
    const parent = await tempHome();
    const home = path.join(parent, 'nested');
    await mkdir(home, { mode: 0o777 });
    await chmod(home, 0o777);
    await writeFile(path.join(home, 'config.toml'), 'openai_base_url = "http://127.0.0.1:9/v1"\n', {
      mode: 0o600,
    });

    const error = await refusal(load(home));

    expect(error.detail).toContain(`${home} is writable by group or others (mode 0777)`);
  });
});
