import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AuthCommandError } from '@codex/login';
import type { ModelProviderAuthInfo } from '@codex/protocol';
import { describe, expect, it, vi } from 'vitest';
import { resolveCommandProgram, runAuthCommand } from '../src/auth-command.ts';
import { authConfig, scriptRuns, tempDir, writeScript } from './helpers/fixtures.ts';

async function failure(
  auth: ModelProviderAuthInfo,
  options?: Parameters<typeof runAuthCommand>[1],
): Promise<unknown> {
  return runAuthCommand(auth, options).then(
    () => {
      throw new Error('expected the run to fail');
    },
    (caught: unknown) => caught,
  );
}

async function failureText(auth: ModelProviderAuthInfo): Promise<string> {
  const error = await failure(auth);
  expect(error).toBeInstanceOf(AuthCommandError);
  expect((error as AuthCommandError).command).toBe(auth.command);
  return (error as Error).message;
}

describe('resolveCommandProgram', () => {
  it('keeps an absolute path, joins a path with a separator to cwd, leaves a bare name to PATH', () => {
    expect(resolveCommandProgram('/usr/bin/tok', '/home/me')).toBe('/usr/bin/tok');
    expect(resolveCommandProgram('bin/tok', '/home/me')).toBe('/home/me/bin/tok');
    expect(resolveCommandProgram('./tok', '/home/me')).toBe('/home/me/tok');
    expect(resolveCommandProgram('tok', '/home/me')).toBe('tok');
    expect(resolveCommandProgram('a\\b', '/home/me')).toBe('a\\b');
  });
});

describe('runAuthCommand failures', () => {
  it('names the OS error of a program that cannot be executed', async () => {
    const dir = await tempDir();
    expect(await failureText(authConfig(dir, { command: dir }))).toBe(
      `provider auth command \`${dir}\` failed to start: Permission denied (os error 13)`,
    );
  });

  it('does not quote Node’s argument check for an empty command', async () => {
    const dir = await tempDir();
    const error = await failure(authConfig(dir, { command: '' }));
    expect((error as Error).message).toBe(
      'provider auth command `` failed to start: the command could not be started (invalid program or arguments)',
    );
    expect((error as Error).cause).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('refuses a NUL character in the command, an argument or cwd without running anything', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'print-token.sh', 'echo run >> runs.log\necho token');
    const text = 'failed to start: its command, args or cwd contain a NUL character';
    const withNul = './print-token.sh\u0000x';
    expect(await failureText(authConfig(dir, { command: withNul }))).toBe(
      `provider auth command \`./print-token.sh\\x00x\` ${text}`,
    );
    expect(await failureText(authConfig(dir, { args: ['ok', 'a\0b'] }))).toBe(
      `provider auth command \`./print-token.sh\` ${text}`,
    );
    expect(await failureText(authConfig(dir, { cwd: `${dir}\0` }))).toBe(
      `provider auth command \`./print-token.sh\` ${text}`,
    );
    expect(await scriptRuns(dir)).toBe(0);
  });

  it('names the signal that killed the command', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'killed.sh', 'echo dying >&2\nkill -TERM $$');
    expect(await failureText(authConfig(dir, { command: './killed.sh' }))).toBe(
      'provider auth command `./killed.sh` exited with status signal: 15 (SIGTERM): dying',
    );
  });

  it('refuses more than 1 MiB on stderr', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'loud.sh', 'head -c 1100000 /dev/zero | tr "\\0" "e" >&2\necho token');
    expect(await failureText(authConfig(dir, { command: './loud.sh' }))).toBe(
      'provider auth command `./loud.sh` wrote more than 1 MiB to stderr',
    );
  });

  it('accepts exactly 1 MiB on stdout, and not a byte more', async () => {
    const dir = await tempDir();
    // a short token padded with spaces: the cap counts bytes, not the token
    await writeScript(dir, 'full.sh', 'printf padded-tok\nhead -c "$1" /dev/zero | tr "\\0" " "');
    const full = await runAuthCommand(authConfig(dir, { command: './full.sh', args: ['1048566'] }));
    expect(full.token.reveal()).toBe('padded-tok');
    expect(await failureText(authConfig(dir, { command: './full.sh', args: ['1048567'] }))).toBe(
      'provider auth command `./full.sh` wrote more than 1 MiB to stdout',
    );
  });

  it('quotes stderr of exactly 2 KiB whole', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'fail.sh', 'head -c 2048 /dev/zero | tr "\\0" "e" >&2\nexit 2');
    expect(await failureText(authConfig(dir, { command: './fail.sh' }))).toBe(
      `provider auth command \`./fail.sh\` exited with status exit status: 2: ${'e'.repeat(2048)}`,
    );
  });

  it('cuts longer stderr at 2 KiB without a broken character, and says how long it was', async () => {
    const dir = await tempDir();
    // 2047 ASCII bytes, then a two-byte character across the cut
    await writeScript(
      dir,
      'fail.sh',
      'head -c 2047 /dev/zero | tr "\\0" "e" >&2\nprintf "\\303\\251" >&2\nexit 2',
    );
    expect(await failureText(authConfig(dir, { command: './fail.sh' }))).toBe(
      `provider auth command \`./fail.sh\` exited with status exit status: 2: ${'e'.repeat(2047)}… (stderr truncated, 2049 bytes)`,
    );
  });
});

describe('runAuthCommand cancellation', () => {
  it('rejects with the signal’s Error reason before starting anything', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'print-token.sh', 'echo run >> runs.log\necho token');
    const reason = new Error('stop');
    expect(await failure(authConfig(dir), { signal: AbortSignal.abort(reason) })).toBe(reason);
    expect(await scriptRuns(dir)).toBe(0);
  });

  it('says the run was cancelled when the reason is not an Error', async () => {
    const dir = await tempDir();
    await writeScript(dir, 'print-token.sh', 'echo run >> runs.log\necho token');
    const before = await failure(authConfig(dir), { signal: AbortSignal.abort('stop') });
    expect(before).toBeInstanceOf(AuthCommandError);
    expect((before as Error).message).toBe(
      'provider auth command `./print-token.sh` was cancelled',
    );

    await writeScript(dir, 'hang.sh', 'echo $$ > started\nexec sleep 30');
    const controller = new AbortController();
    const pending = failure(authConfig(dir, { command: './hang.sh', timeout_ms: 60_000 }), {
      signal: controller.signal,
    });
    await vi.waitFor(() => readFile(path.join(dir, 'started'), 'utf8'), {
      timeout: 10_000,
      interval: 10,
    });
    controller.abort('stop');
    const during = await pending;
    expect(during).toBeInstanceOf(AuthCommandError);
    expect((during as Error).message).toBe('provider auth command `./hang.sh` was cancelled');
    expect(await scriptRuns(dir)).toBe(0);
  });

  it('tells the command it runs for an initial token by default', async () => {
    const dir = await tempDir();
    await writeScript(
      dir,
      'reason.sh',
      'printf "%s-%s\\n" "$CODEX_AUTH_REASON" "$' + '{CODEX_PROVIDER_ID-none}"',
    );
    const result = await runAuthCommand(authConfig(dir, { command: './reason.sh' }));
    expect(result.token.reveal()).toBe('initial-none');
  });
});
