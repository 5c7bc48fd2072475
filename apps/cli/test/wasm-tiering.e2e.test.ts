// src/wasm-tiering.ts: on Node 20 the WebAssembly tiering budget is raised before undici instantiates its
// parser, and only once nothing else is left to load: a V8 flag change costs every built-in module loaded
// after it Node's code cache (issue 13).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { completedReply, writeTokenQueueScript } from '@codex/test-support';
import { describe, expect, it } from 'vitest';
import {
  authTable,
  makeCodexHome,
  providerConfig,
  useResponsesServer,
} from './helpers/codex-e2e.ts';

const server = useResponsesServer();

// Reports on stderr, in order: each V8 flag change, each WebAssembly instance, and the built-in modules
// loaded after the first flag change.
const probeSource = `
const v8 = require('node:v8');
const setFlags = v8.setFlagsFromString;
const events = [];
let loadedAtFlag = -1;
v8.setFlagsFromString = function (flags) {
  if (loadedAtFlag < 0) loadedAtFlag = process.moduleLoadList.length;
  events.push('flag ' + flags);
  return setFlags.call(this, flags);
};
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (...args) { events.push('instance'); return new Instance(...args); };
process.on('exit', () => {
  const later = loadedAtFlag < 0 ? [] : process.moduleLoadList.slice(loadedAtFlag)
    .filter((entry) => entry.startsWith('NativeModule ')).map((entry) => entry.slice(13));
  process.stderr.write('[events: ' + events.join(', ') + '][built-ins after the flag: ' + later.join(' ') + ']');
});
`;

const node20 = Number.parseInt(process.versions.v8, 10) < 12;

async function runProbed(configTail: (dir: string) => Promise<string>) {
  const home = await makeCodexHome();
  const probe = path.join(home.dir, 'probe.cjs');
  await writeFile(probe, probeSource);
  await writeFile(path.join(home.codexHome, 'config.toml'), await configTail(home.dir));
  server.enqueue(completedReply('ok'));
  const result = await home.run(['exec', 'hi'], {
    env: { MOCK_API_KEY: 'sk-probe', NODE_OPTIONS: `--require ${probe}` },
  });
  expect(result.stdout).toBe('ok');
  const events = /\[events: ([^\]]*)\]/.exec(result.stderr)?.[1];
  const later = /\[built-ins after the flag: ([^\]]*)\]/.exec(result.stderr)?.[1];
  return { events, later };
}

describe.runIf(node20)('the WebAssembly tiering flag (Node 20)', () => {
  it('is raised before the parser is instantiated, after every built-in a key-authenticated turn loads', async () => {
    const { events, later } = await runProbed(async () =>
      providerConfig(server.url, 'env_key = "MOCK_API_KEY"'),
    );
    expect(events?.split(', ').slice(0, 2)).toEqual([
      'flag --wasm-tiering-budget=13000000',
      'instance',
    ]);
    expect(later).toBe('');
  });

  it('waits for an auth command to run, so child_process and tty keep their code cache', async () => {
    const { events, later } = await runProbed(async (dir) => {
      const script = await writeTokenQueueScript(dir, ['tok-1']);
      return providerConfig(server.url, '', authTable(script.command));
    });
    expect(events?.split(', ').slice(0, 2)).toEqual([
      'flag --wasm-tiering-budget=13000000',
      'instance',
    ]);
    expect(later).toBe('');
  });
});
