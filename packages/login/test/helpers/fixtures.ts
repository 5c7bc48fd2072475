import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ExternalAuth, ExternalAuthRefreshContext, ExternalAuthTokens } from '@codex/login';
import type { ModelProviderAuthInfo } from '@codex/protocol';
import { fakeJwt } from '@codex/test-support';
import { onTestFinished } from 'vitest';

/** A temp directory removed when the current test finishes. */
export async function tempDir(prefix = 'codex-login-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes an executable `/bin/sh` script and returns its absolute path. */
export async function writeScript(dir: string, name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

/**
 * Upstream's `print-token.sh` fixture: prints the first line of `tokens.txt` and drops it;
 * every run appends to `runs.log`.
 */
export async function writeTokenScript(dir: string, tokens: readonly string[]): Promise<void> {
  await writeFile(path.join(dir, 'tokens.txt'), tokens.map((token) => `${token}\n`).join(''));
  await writeScript(
    dir,
    'print-token.sh',
    [
      'echo run >> runs.log',
      'first=$(head -n 1 tokens.txt)',
      'tail -n +2 tokens.txt > tokens.txt.next',
      'mv tokens.txt.next tokens.txt',
      'printf "%s\\n" "$first"',
    ].join('\n'),
  );
}

/** How many times scripts in `dir` logged a run. */
export async function scriptRuns(dir: string): Promise<number> {
  try {
    return (await readFile(path.join(dir, 'runs.log'), 'utf8')).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** Provider auth config like upstream's fixture: `./print-token.sh` in `dir`. */
export function authConfig(
  dir: string,
  overrides: Partial<ModelProviderAuthInfo> = {},
): ModelProviderAuthInfo {
  return {
    command: './print-token.sh',
    args: [],
    timeout_ms: 10_000,
    refresh_interval_ms: 60_000,
    cwd: dir,
    ...overrides,
  };
}

/** A ChatGPT-style JWT with email, plan, user and account claims. */
export function chatgptJwt({
  email = 'user@example.com',
  plan = 'pro',
  accountId = 'account-1',
  userId = 'user-12345',
  exp,
}: {
  email?: string;
  plan?: string | null;
  accountId?: string | null;
  userId?: string;
  exp?: number;
} = {}): string {
  const auth: Record<string, unknown> = { chatgpt_user_id: userId };
  if (plan !== null) {
    auth['chatgpt_plan_type'] = plan;
  }
  if (accountId !== null) {
    auth['chatgpt_account_id'] = accountId;
  }
  return fakeJwt({
    email,
    'https://api.openai.com/auth': auth,
    ...(exp === undefined ? {} : { exp }),
  });
}

/** A parent app that answers every refresh with the same tokens and records the contexts it was asked with. */
export class StaticChatgptAuth implements ExternalAuth {
  readonly authMode = 'chatgpt' as const;
  readonly contexts: ExternalAuthRefreshContext[] = [];
  readonly #tokens: ExternalAuthTokens;

  constructor(tokens: ExternalAuthTokens) {
    this.#tokens = tokens;
  }

  async resolve(): Promise<null> {
    return null;
  }

  async refresh(context: ExternalAuthRefreshContext): Promise<ExternalAuthTokens> {
    this.contexts.push(context);
    return this.#tokens;
  }
}
