import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Config, loadConfig } from '@codex/core';
import { makeTempDir } from '@codex/test-support';
import { onTestFinished } from 'vitest';

/** A temp CODEX_HOME removed when the test ends. */
export async function tempHome(): Promise<string> {
  const home = await makeTempDir('codex-core-');
  onTestFinished(() => home.dispose());
  return home.dir;
}

/** Writes `config.toml` (selecting provider `corp`) into a fresh CODEX_HOME and loads it. */
export async function loadProviderConfig(
  providerToml: string,
  options: {
    readonly env?: Record<string, string | undefined>;
    readonly home?: string;
    readonly name?: string;
  } = {},
): Promise<Config> {
  const home = options.home ?? (await tempHome());
  await writeFile(
    path.join(home, 'config.toml'),
    `model = "test-model"\nmodel_provider = "corp"\n\n[model_providers.corp]\nname = ${JSON.stringify(options.name ?? 'Corp')}\n${providerToml}\n`,
  );
  return loadConfig({ env: { HOME: home, ...options.env }, cwd: home, codexHome: home });
}

/** A sleep that records what it was asked to wait and returns at once. */
export function recordingSleep(): {
  readonly delays: number[];
  sleep: (ms: number) => Promise<void>;
} {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

/** TOML string literal for a path or URL. */
export function tomlString(value: string): string {
  return JSON.stringify(value);
}
