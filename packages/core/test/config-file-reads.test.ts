import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '@codex/core';
import { threadPoolFileRequests } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { tempHome } from './helpers/provider-config.ts';

const posix = process.platform !== 'win32';

const providerToml = (home: string) =>
  [
    'model = "from-file"',
    'model_provider = "corp"',
    '[model_providers.corp]',
    'name = "Corp"',
    // a base_url makes loadConfig check who owns CODEX_HOME, config.toml and auth.json
    'base_url = "http://127.0.0.1:9/v1"',
    'experimental_bearer_token = "t"',
    `# ${home}`,
    '',
  ].join('\n');

describe('config.toml and CODEX_HOME are read without the thread pool (issue 13)', () => {
  it('counts a thread-pool read when there is one (the probe is not blind)', async () => {
    const home = await tempHome();
    const file = path.join(home, 'config.toml');
    await writeFile(file, 'model = "x"\n');
    const { requests } = await threadPoolFileRequests(() => readFile(file, 'utf8'));
    expect(requests.length).toBeGreaterThan(0);
  });

  it('loads CODEX_HOME, config.toml and the ownership checks with no thread-pool request', async () => {
    const home = await tempHome();
    await writeFile(path.join(home, 'config.toml'), providerToml(home));
    await writeFile(path.join(home, 'auth.json'), '{"OPENAI_API_KEY":null}', { mode: 0o600 });
    const { result, requests } = await threadPoolFileRequests(() =>
      loadConfig({ env: { HOME: home, CODEX_HOME: home }, cwd: home }),
    );
    expect(result.model).toBe('from-file');
    expect(requests).toEqual([]);
  });

  it('loads without config.toml with no thread-pool request', async () => {
    const home = await tempHome();
    const { result, requests } = await threadPoolFileRequests(() =>
      loadConfig({ env: { HOME: home, CODEX_HOME: home }, cwd: home }),
    );
    expect(result.modelProviderId).toBe('openai');
    expect(requests).toEqual([]);
  });

  it.runIf(posix)(
    'reads a config.toml that is a FIFO through the thread pool, so the process runs on while it waits for a writer',
    async () => {
      const home = await tempHome();
      const fifo = path.join(home, 'config.toml');
      execFileSync('mkfifo', [fifo]);
      const loading = loadConfig({ env: { HOME: home }, cwd: home, codexHome: home });
      // A synchronous read would block here until a writer came, and this test would time out.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await writeFile(fifo, 'model = "from-fifo"\n');
      await expect(loading).resolves.toMatchObject({ model: 'from-fifo' });
    },
  );

  it.runIf(existsSync('/proc/self/wchan'))(
    'reads a config.toml FIFO whose writer was already waiting (nothing opens it before the read)',
    async () => {
      const home = await tempHome();
      const fifo = path.join(home, 'config.toml');
      execFileSync('mkfifo', [fifo]);
      const writer = spawn('sh', ['-c', `printf 'model = "from-writer"\\n' > '${fifo}'`]);
      const exited = once(writer, 'exit');
      // the writer's open() blocks until a reader opens the FIFO: wait until the kernel says it does
      const wchan = `/proc/${writer.pid}/wchan`;
      for (let tries = 0; readFileSync(wchan, 'utf8') !== 'wait_for_partner'; tries += 1) {
        if (tries > 1000) throw new Error('the writer never blocked in open()');
        await delay(2);
      }
      const config = await loadConfig({ env: { HOME: home }, cwd: home, codexHome: home });
      expect(config.model).toBe('from-writer');
      const [code] = await exited;
      expect(code).toBe(0);
    },
  );
});
