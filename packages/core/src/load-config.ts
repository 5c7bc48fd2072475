// node:fs's `promises`, read when called: importing node:fs/promises would load it (with readline's
// internals, ~2 ms) in every `codex exec` turn, which calls none of these (issue 13)
import { promises as fs, readFileSync, realpathSync, type Stats, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type AuthCredentialsStoreMode,
  builtInModelProviders,
  type ConfigToml,
  isCodexError,
  isHttpUrl,
  type ModelProviderInfo,
  mergeModelProviders,
  validateConfigToml,
} from '@codex/protocol';
import { parse as parseToml } from 'smol-toml';
import { applyConfigOverrides, parseConfigOverrides } from './config-overrides.ts';
import { CodexHomeError, ConfigLoadError } from './errors.ts';
import { assertTrustedCodexHome } from './file-trust.ts';
import { codexVersion, type RequestShaping } from './request-builder.ts';

/** The model used when neither `-m`, the profile nor config.toml names one. */
export const DEFAULT_MODEL = 'gpt-5-codex';

const OLLAMA_CHAT_REMOVED =
  '`ollama-chat` is no longer supported.\nHow to fix: replace `ollama-chat` with `ollama` in `model_provider`, `oss_provider`, or `--local-provider`.\nMore info: https://github.com/openai/codex/discussions/7782';

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory of the command (kept on the config for callers). */
  readonly cwd: string;
  /** Overrides `CODEX_HOME`; must be an existing directory. */
  readonly codexHome?: string;
  /** Raw `-c key=value` strings, applied to the table before validation. */
  readonly overrides?: readonly string[];
  /** `-p/--profile`; wins over the `profile` key. */
  readonly profile?: string;
  /** `-m/--model`; wins over profile and config. */
  readonly model?: string;
  /** Report unknown keys as errors instead of warnings. */
  readonly strict?: boolean;
}

/** Everything a turn needs from config.toml, with overrides, profile and provider resolved. */
export type Config = {
  codexHome: string;
  cwd: string;
  model: string;
  modelProviderId: string;
  modelProvider: ModelProviderInfo;
  modelProviders: Record<string, ModelProviderInfo>;
  /** Active profile name, when one applies. */
  profile?: string;
  /** Non-fatal findings (unknown keys, deprecated `OPENAI_BASE_URL`), to show before the turn. */
  warnings: string[];
  forcedLoginMethod?: ConfigToml['forced_login_method'];
  forcedChatgptWorkspaceId?: ConfigToml['forced_chatgpt_workspace_id'];
  cliAuthCredentialsStore: AuthCredentialsStoreMode;
  /** The validated config.toml (after `-c` overrides). */
  toml: ConfigToml;
  /** Body fields from the request-shaping keys (profile first); spread into each turn's request. */
  requestShaping: RequestShaping;
};

type Profile = NonNullable<ConfigToml['profiles']>[string];

/**
 * `model_reasoning_effort`, `model_reasoning_summary`, `model_supports_reasoning_summaries`,
 * `model_verbosity` and `service_tier` as upstream sends them: `reasoning` only when one of the
 * first three is set (summary `auto` unless set, left out when `none`), `fast` as `priority`.
 */
export function requestShaping(toml: ConfigToml, profile?: Profile): RequestShaping {
  const effort = profile?.model_reasoning_effort ?? toml.model_reasoning_effort;
  const summary = profile?.model_reasoning_summary ?? toml.model_reasoning_summary;
  const forced =
    profile?.model_supports_reasoning_summaries ?? toml.model_supports_reasoning_summaries;
  const verbosity = profile?.model_verbosity ?? toml.model_verbosity;
  const tier = (profile?.service_tier ?? toml.service_tier)?.trim();
  const shaping: RequestShaping = {};
  if (effort !== undefined || summary !== undefined || forced === true) {
    const reasoning: NonNullable<RequestShaping['reasoning']> = {};
    if (effort !== undefined) reasoning.effort = effort;
    const sentSummary = summary ?? 'auto';
    if (sentSummary !== 'none') reasoning.summary = sentSummary;
    shaping.reasoning = reasoning;
  }
  if (verbosity !== undefined) shaping.verbosity = verbosity;
  if (tier !== undefined) {
    if (tier === '') throw new ConfigLoadError('service_tier: must not be empty');
    shaping.serviceTier = tier === 'fast' ? 'priority' : tier;
  }
  return shaping;
}

/**
 * Finds `CODEX_HOME`: the option, else `$CODEX_HOME` (which must be an existing directory, and is
 * canonicalized), else `~/.codex` (which need not exist).
 * @throws {CodexHomeError}
 */
export async function findCodexHome(
  env: Readonly<Record<string, string | undefined>>,
  codexHome?: string,
): Promise<string> {
  const configured = codexHome ?? env['CODEX_HOME'];
  if (configured === undefined || configured === '') {
    return path.join(env['HOME'] || os.homedir(), '.codex');
  }
  let info: Stats;
  try {
    info = statSync(configured);
  } catch (error) {
    throw new CodexHomeError(`CODEX_HOME points to "${configured}", but that path does not exist`, {
      cause: error,
    });
  }
  if (!info.isDirectory()) {
    throw new CodexHomeError(
      `CODEX_HOME points to "${configured}", but that path is not a directory`,
    );
  }
  return realpathSync.native(configured);
}

/**
 * config.toml's text, or undefined when it does not exist. A regular file is read synchronously: at start-up
 * nothing else waits, and each thread-pool request costs the main thread a context switch each way, which on
 * a busy machine waits for a time slice (issue 13). Anything else (a FIFO, a device) is read through the thread
 * pool, as before issue 13: it is stat'ed here, never opened, since opening a FIFO releases a writer waiting on
 * it. A FIFO with no writer keeps that read waiting until one comes; an interrupted CLI still ends (its
 * signal handling in apps/cli/src/main.ts knows that libuv joins pool threads at exit).
 */
async function readConfigText(file: string): Promise<string | undefined> {
  let info: Stats;
  try {
    info = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return info.isFile() ? readFileSync(file, 'utf8') : fs.readFile(file, 'utf8');
}

async function readConfigTable(file: string): Promise<Record<string, unknown>> {
  let text: string | undefined;
  try {
    text = await readConfigText(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigLoadError((error as Error).message, { cause: error });
  }
  if (text === undefined) return {};
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    // one line: smol-toml's message goes on to quote the offending source line, which may hold a token
    const { line, column, message } = error as { line?: number; column?: number; message: string };
    const reason = (message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    const where = line === undefined ? '' : ` at line ${line}, column ${column ?? 0}`;
    throw new ConfigLoadError(`TOML parse error${where}: ${reason}`, { cause: error });
  }
}

function toLoadError(error: unknown): unknown {
  if (error instanceof ConfigLoadError || !isCodexError(error)) return error;
  const keyPath = (error as { keyPath?: unknown }).keyPath;
  return new ConfigLoadError(error.message, {
    cause: error,
    keyPath: typeof keyPath === 'string' ? keyPath : undefined,
  });
}

/**
 * A custom provider with an `auth` command must name its own `base_url`: without one (a typo such as
 * `base_uri`) the command's token would be sent to the default OpenAI endpoint.
 */
function requireBaseUrlWithAuth(toml: ConfigToml): void {
  for (const [id, provider] of Object.entries(toml.model_providers ?? {})) {
    if (provider.auth !== undefined && provider.base_url === undefined) {
      const shownId = /^[A-Za-z0-9_-]+$/.test(id) ? id : JSON.stringify(id);
      const keyPath = `model_providers.${shownId}.base_url`;
      throw new ConfigLoadError(
        `${keyPath} is missing: a provider with \`auth\` needs its own base_url (its token is never sent to the default OpenAI endpoint)`,
        { keyPath },
      );
    }
  }
}

/**
 * Loads `$CODEX_HOME/config.toml`, applies `-c` overrides and the profile, and picks the model and
 * provider (built-ins merged with `[model_providers]`).
 * @throws {CodexHomeError} when `CODEX_HOME` is not a directory
 * @throws {ConfigOverrideError} for a malformed `-c`
 * @throws {ConfigLoadError} `Error loading config.toml: <inner>` for everything else
 * @example
 * const config = await loadConfig({ env: process.env, cwd: process.cwd(), overrides: ['model="o3"'] });
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const { env, cwd, overrides = [], strict = false } = options;
  const codexHome = await findCodexHome(env, options.codexHome);
  const parsedOverrides = parseConfigOverrides(overrides);
  const table = await readConfigTable(path.join(codexHome, 'config.toml'));
  applyConfigOverrides(table, parsedOverrides);

  try {
    const homeDir = env['HOME'] || os.homedir();
    const { config: toml, warnings } = validateConfigToml(table, {
      configDir: codexHome,
      homeDir,
      strict,
    });
    requireBaseUrlWithAuth(toml);
    const providers = Object.values(toml.model_providers ?? {});
    if (providers.some((provider) => provider.auth !== undefined)) {
      await assertTrustedCodexHome(codexHome, env);
    } else if (
      toml.openai_base_url != null ||
      toml.chatgpt_base_url != null ||
      providers.some((provider) => provider.base_url != null)
    ) {
      // whoever can edit the file could point a base_url at their server and receive the credential
      await assertTrustedCodexHome(codexHome, env, 'send credentials to a base_url from it');
    }
    const profileName = options.profile ?? toml.profile ?? undefined;
    let profile: Profile | undefined;
    if (profileName !== undefined) {
      // Stryker disable next-line OptionalChaining: validateConfigToml always sets profiles
      profile = toml.profiles?.[profileName];
      if (profile === undefined)
        throw new ConfigLoadError(`config profile \`${profileName}\` not found`);
    }

    const envBaseUrl = env['OPENAI_BASE_URL'];
    let openaiBaseUrl = toml.openai_base_url ?? undefined;
    if (openaiBaseUrl === undefined && envBaseUrl !== undefined && envBaseUrl.trim() !== '') {
      if (!isHttpUrl(envBaseUrl.trim())) {
        throw new ConfigLoadError('OPENAI_BASE_URL: expected an http:// or https:// URL', {
          keyPath: 'OPENAI_BASE_URL',
        });
      }
      openaiBaseUrl = envBaseUrl.trim();
      warnings.push(
        '`OPENAI_BASE_URL` is deprecated. Set `openai_base_url` in config.toml instead.',
      );
    }
    const modelProviders = mergeModelProviders(
      builtInModelProviders({ openaiBaseUrl, env: { ...env }, version: codexVersion() }),
      toml.model_providers ?? {},
    );
    const modelProviderId = profile?.model_provider ?? toml.model_provider ?? 'openai';
    const modelProvider = modelProviders[modelProviderId];
    if (modelProvider === undefined) {
      throw new ConfigLoadError(
        modelProviderId === 'ollama-chat'
          ? OLLAMA_CHAT_REMOVED
          : `Model provider \`${modelProviderId}\` not found`,
      );
    }
    const model = options.model ?? profile?.model ?? toml.model ?? DEFAULT_MODEL;
    if (model.trim() === '') {
      const source =
        options.model !== undefined
          ? '--model'
          : profile?.model !== undefined
            ? `profiles.${profileName}.model`
            : 'model';
      throw new ConfigLoadError(`${source}: the model must not be empty`, { keyPath: source });
    }
    const config: Config = {
      codexHome,
      cwd,
      model,
      modelProviderId,
      modelProvider,
      modelProviders,
      warnings,
      cliAuthCredentialsStore: toml.cli_auth_credentials_store ?? 'file',
      toml,
      requestShaping: requestShaping(toml, profile),
    };
    if (profileName !== undefined) config.profile = profileName;
    if (toml.forced_login_method != null) config.forcedLoginMethod = toml.forced_login_method;
    if (toml.forced_chatgpt_workspace_id != null) {
      config.forcedChatgptWorkspaceId = toml.forced_chatgpt_workspace_id;
    }
    return config;
  } catch (error) {
    throw toLoadError(error);
  }
}
