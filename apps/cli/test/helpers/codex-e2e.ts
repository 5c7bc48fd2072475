import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, type ResponsesServer, startResponsesServer } from '@codex/test-support';
import { execaNode } from 'execa';
import { afterEach, beforeEach, onTestFinished } from 'vitest';

/** The bundled CLI, built by test/global-setup.ts. */
export const bin = fileURLToPath(new URL('../../dist/bin.cjs', import.meta.url));

/** What a finished `codex` process left behind. */
export interface CodexResult {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CodexHome {
  /** Temp dir holding `home/` (CODEX_HOME) and room for scripts. */
  readonly dir: string;
  readonly codexHome: string;
  /** Runs `node dist/bin.cjs ...args` with only this home's environment. */
  run(
    args: readonly string[],
    options?: {
      readonly input?: string;
      readonly env?: Readonly<Record<string, string>>;
      readonly cwd?: string;
    },
  ): Promise<CodexResult>;
  /** Starts the bin without waiting, for tests that signal it. */
  start(
    args: readonly string[],
    env?: Readonly<Record<string, string>>,
  ): Promise<CodexResult> & { kill(signal: NodeJS.Signals): boolean };
}

/** A temp CODEX_HOME with `config.toml`, removed when the test ends. */
export async function makeCodexHome(configToml?: string): Promise<CodexHome> {
  const temp = await makeTempDir('codex-cli-e2e-');
  onTestFinished(() => temp.dispose());
  const codexHome = path.join(temp.dir, 'home');
  await mkdir(codexHome);
  if (configToml !== undefined) await writeFile(path.join(codexHome, 'config.toml'), configToml);
  const baseEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: temp.dir,
    CODEX_HOME: codexHome,
  };
  return {
    dir: temp.dir,
    codexHome,
    run: async (args, options = {}) => {
      const result = await execaNode(bin, [...args], {
        cwd: options.cwd ?? temp.dir,
        env: { ...baseEnv, ...options.env },
        extendEnv: false,
        input: options.input ?? '',
        reject: false,
        timeout: 60_000,
      });
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    },
    start: (args, env = {}) => {
      const subprocess = execaNode(bin, [...args], {
        cwd: temp.dir,
        env: { ...baseEnv, ...env },
        extendEnv: false,
        input: '',
        reject: false,
        timeout: 60_000,
      });
      const done = subprocess.then((result) => ({
        exitCode: result.exitCode,
        stdout: result.stdout,
        stderr: result.stderr,
      }));
      return Object.assign(done, { kill: (signal: NodeJS.Signals) => subprocess.kill(signal) });
    },
  };
}

/** config.toml for one provider `mock` at `baseUrl`, plus extra provider lines. */
export function providerConfig(baseUrl: string, providerLines = '', tail = ''): string {
  return `model = "gpt-test"
model_provider = "mock"

[model_providers.mock]
name = "Mock"
base_url = "${baseUrl}"
${providerLines}
${tail}`;
}

/** An `[model_providers.mock.auth]` table for a command, with extra keys. */
export function authTable(command: string, extra = ''): string {
  return `\n[model_providers.mock.auth]\ncommand = ${JSON.stringify(command)}\n${extra}\n`;
}

/** Counts non-overlapping occurrences of `needle` in `text`. */
export function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The text of every `input_text` part the request sent. */
export function inputTexts(body: unknown): string[] {
  const input = (body as { input?: { content?: { type: string; text?: string }[] }[] }).input ?? [];
  return input.flatMap((item) =>
    (item.content ?? [])
      .filter((part) => part.type === 'input_text')
      .map((part) => part.text ?? ''),
  );
}

/**
 * A Responses server on 127.0.0.1 started before each test of the file and closed after it. The returned
 * object stands for the current test's server (it forwards to it), so tests use it as they would the server.
 */
export function useResponsesServer(): ResponsesServer {
  let current: ResponsesServer | undefined;
  beforeEach(async () => {
    current = await startResponsesServer();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as ResponsesServer, {
    get(_, property) {
      if (current === undefined) throw new Error('the Responses server runs only inside a test');
      const value: unknown = Reflect.get(current, property, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
