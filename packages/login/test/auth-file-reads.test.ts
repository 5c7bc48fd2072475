import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AuthManager, FileAuthStorage } from '@codex/login';
import { threadPoolFileRequests } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/fixtures.ts';

describe('auth.json is read without the thread pool (issue 13)', () => {
  it('FileAuthStorage.load reads auth.json with no thread-pool request', async () => {
    const home = await tempDir();
    await writeFile(path.join(home, 'auth.json'), '{"OPENAI_API_KEY":"sk-file"}', { mode: 0o600 });
    const { result, requests } = await threadPoolFileRequests(() =>
      new FileAuthStorage(home).load(),
    );
    expect(result?.OPENAI_API_KEY).toBe('sk-file');
    expect(requests).toEqual([]);
  });

  it('an API-key turn gets its key from auth.json with no thread-pool request', async () => {
    const home = await tempDir();
    await writeFile(path.join(home, 'auth.json'), '{"OPENAI_API_KEY":"sk-file"}', { mode: 0o600 });
    const manager = AuthManager.create({ codexHome: home, enableCodexApiKeyEnv: false, env: {} });
    const { result, requests } = await threadPoolFileRequests(() => manager.auth());
    expect(result?.mode).toBe('apikey');
    expect(requests).toEqual([]);
  });
});
