// node:fs's `promises`, read when called: importing node:fs/promises would load it (with readline's
// internals, ~2 ms) in every `codex exec` turn, which calls none of these (issue 13)
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createModelClient, loadConfig, userMessage } from '@codex/core';
import { CliError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { codexErrorInfo } from '../codex-error-info.ts';
import { execAuthManager } from '../exec-auth.ts';
import { ioErrorText, readImage, readOutputSchema } from '../exec-input.ts';
import { createHumanOutput, createJsonlOutput, type ExecOutput } from '../exec-output.ts';
import { createNoticeHandler } from '../notices.ts';
import { prepareOutputFile, watchOutputStream, writeOutputFile } from '../output-file.ts';
import { parseCommandLine } from '../parse-command-line.ts';
import { randomUuid } from '../random-uuid.ts';
import { readPrompt } from '../read-prompt.ts';
import { describeError, errorMessage } from '../report-error.ts';
import { execHelp, execUsage, UsageError } from '../usage.ts';
import { keepWasmParserOnBaseline } from '../wasm-tiering.ts';

const execOptions = {
  config: { type: 'string', short: 'c', multiple: true },
  model: { type: 'string', short: 'm' },
  profile: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  'experimental-json': { type: 'boolean' },
  'output-last-message': { type: 'string', short: 'o' },
  'output-schema': { type: 'string' },
  image: { type: 'string', short: 'i', multiple: true },
  cd: { type: 'string', short: 'C' },
  'strict-config': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // accepted for compatibility; nothing they control exists while no tools run
  sandbox: { type: 'string', short: 's' },
  'skip-git-repo-check': { type: 'boolean' },
  'add-dir': { type: 'string', multiple: true },
  color: { type: 'string' },
  'thread-source': { type: 'string' },
  'full-auto': { type: 'boolean' },
  'dangerously-bypass-approvals-and-sandbox': { type: 'boolean' },
  yolo: { type: 'boolean' },
  ephemeral: { type: 'boolean' },
  'cyber-access-program': { type: 'string' },
} as const;

const sandboxModes = ['read-only', 'workspace-write', 'danger-full-access'];
const colorModes = ['always', 'never', 'auto'];

/** The parsed `codex exec` command line. */
export interface ExecArguments {
  readonly prompt: string | undefined;
  readonly overrides: readonly string[];
  readonly model: string | undefined;
  readonly profile: string | undefined;
  readonly json: boolean;
  readonly outputLastMessage: string | undefined;
  readonly outputSchema: string | undefined;
  readonly images: readonly string[];
  readonly cd: string | undefined;
  readonly strictConfig: boolean;
  readonly help: boolean;
}

/**
 * Parses `codex exec` arguments.
 * @throws {UsageError} for anything clap would reject upstream.
 */
export function parseExecArguments(argv: readonly string[]): ExecArguments {
  const { values, positionals } = parseCommandLine(argv, execOptions, execUsage);
  if (values.sandbox !== undefined && !sandboxModes.includes(values.sandbox)) {
    throw new UsageError(
      `invalid value '${values.sandbox}' for '--sandbox <SANDBOX_MODE>'\n  [possible values: ${sandboxModes.join(', ')}]`,
      execUsage,
    );
  }
  if (values.color !== undefined && !colorModes.includes(values.color)) {
    throw new UsageError(
      `invalid value '${values.color}' for '--color <COLOR>'\n  [possible values: ${colorModes.join(', ')}]`,
      execUsage,
    );
  }
  if (values['full-auto'] && (values['dangerously-bypass-approvals-and-sandbox'] || values.yolo)) {
    throw new UsageError(
      "the argument '--full-auto' cannot be used with '--dangerously-bypass-approvals-and-sandbox'",
      execUsage,
    );
  }
  if (positionals[0] === 'resume' || positionals[0] === 'review') {
    throw new CliError(
      `codex exec ${positionals[0]} is not supported: this CLI runs one turn and keeps no sessions`,
    );
  }
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument '${positionals[1]}' found`, execUsage);
  }
  if (values.model !== undefined && values.model.trim() === '') {
    throw new UsageError(
      "invalid value '' for '--model <MODEL>': the model must not be empty",
      execUsage,
    );
  }
  return {
    prompt: positionals[0],
    overrides: values.config ?? [],
    model: values.model,
    profile: values.profile,
    json: values.json === true || values['experimental-json'] === true,
    outputLastMessage: values['output-last-message'],
    outputSchema: values['output-schema'],
    images: (values.image ?? []).flatMap((value) => value.split(',')).filter(Boolean),
    cd: values.cd,
    strictConfig: values['strict-config'] === true,
    help: values.help === true,
  };
}

/** `codex exec`: one turn against the configured provider; resolves to the exit code. */
export async function runExec(argv: readonly string[], io: CliIo): Promise<number> {
  keepWasmParserOnBaseline();
  const args = parseExecArguments(argv);
  if (args.help) {
    io.stdout.write(execHelp);
    return 0;
  }
  const cwd = args.cd === undefined ? io.cwd : await changeDirectory(io.cwd, args.cd);
  const output = args.json ? createJsonlOutput(io) : createHumanOutput(io);

  const config = await loadConfig({
    env: io.env,
    cwd,
    overrides: args.overrides,
    ...(args.profile === undefined ? {} : { profile: args.profile }),
    ...(args.model === undefined ? {} : { model: args.model }),
    strict: args.strictConfig,
  });
  for (const warning of config.warnings) io.stderr.write(`warning: ${warning}\n`);

  const outputSchema =
    args.outputSchema === undefined ? undefined : await readOutputSchema(args.outputSchema, cwd);
  const images = await Promise.all(args.images.map((image) => readImage(image, cwd)));
  // an answer that cannot be saved is not worth a request: check -o first
  const lastMessageFile =
    args.outputLastMessage === undefined ? undefined : path.resolve(cwd, args.outputLastMessage);
  if (lastMessageFile !== undefined) await prepareOutputFile(lastMessageFile);
  const prompt = await readPrompt(args.prompt, io);

  const authManager = await execAuthManager(config, io.env, (warning) => output.note(warning));
  const threadId = randomUuid();
  const client = createModelClient({
    config,
    ...(authManager === undefined ? {} : { authManager }),
    env: io.env,
    onNotice: createNoticeHandler(output),
    sessionId: threadId,
  });

  const stdout = watchOutputStream(io.stdout);
  output.threadStarted(threadId);
  output.turnStarted();
  let failed = false;
  try {
    const result = await client.runTurn(
      {
        model: config.model,
        input: [userMessage(prompt, images)],
        ...(outputSchema === undefined ? {} : { outputSchema }),
        sessionId: threadId,
        ...config.requestShaping,
      },
      {
        onEvent: (event) => {
          if (event.type === 'output_text_delta') output.textDelta(event.delta);
          else if (event.type === 'output_item_done') {
            const text = agentMessageText(event.item);
            if (text !== null) output.agentMessage(text);
          }
        },
        ...(io.signal === undefined ? {} : { signal: io.signal }),
      },
    );
    if (output.lastMessage === null && result.text) output.agentMessage(result.text);
    output.turnCompleted(result.usage);
  } catch (error) {
    failed = true;
    output.turnFailed(describeError(error, io.env), codexErrorInfo(error));
  }
  if (lastMessageFile !== undefined) {
    try {
      await writeLastMessage(lastMessageFile, output, io);
    } catch (error) {
      io.stderr.write(`${errorMessage(error)}\n`);
      failed = true;
    }
  }
  // an answer that never reached stdout (a closed pipe, a full disk) is a failed run too
  const stdoutError = await stdout.settle();
  if (stdoutError !== null) {
    io.stderr.write(`Failed to write to stdout: ${ioErrorText(stdoutError)}\n`);
    failed = true;
  }
  return failed ? 1 : 0;
}

/** Text of an assistant `message` output item, or null for anything else. */
function agentMessageText(item: unknown): string | null {
  const message = item as { type?: unknown; role?: unknown; content?: unknown };
  if (message.type !== 'message' || !Array.isArray(message.content)) return null;
  if (message.role !== undefined && message.role !== 'assistant') return null;
  const parts = (message.content as { type?: unknown; text?: unknown }[])
    .filter((part) => part.type === 'output_text' && typeof part.text === 'string')
    .map((part) => part.text as string);
  return parts.length === 0 ? null : parts.join('');
}

async function writeLastMessage(file: string, output: ExecOutput, io: CliIo): Promise<void> {
  const text = output.lastMessage;
  await writeOutputFile(file, text ?? '');
  if (text === null) {
    io.stderr.write(`Warning: no last agent message; wrote empty content to ${file}\n`);
  }
}

async function changeDirectory(base: string, target: string): Promise<string> {
  const resolved = path.resolve(base, target);
  try {
    if ((await fs.stat(resolved)).isDirectory()) return resolved;
  } catch (error) {
    throw new CliError(`Failed to change directory to ${target}: ${ioErrorText(error)}`);
  }
  throw new CliError(`Failed to change directory to ${target}: Not a directory (os error 20)`);
}
