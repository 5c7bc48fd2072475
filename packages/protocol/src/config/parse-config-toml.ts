import { homedir } from 'node:os';
import { parse as parseToml, TomlError } from 'smol-toml';
import type * as z from 'zod/mini';
import { ConfigError } from '../errors/config-error.ts';
import { type ConfigToml, ConfigTomlSchema } from '../schemas/config-toml.ts';
import { ModelProviderAuthInfoSchema } from '../schemas/model-provider-auth-info.ts';
import {
  ModelProviderAwsAuthInfoSchema,
  ModelProviderInfoSchema,
  validateModelProviderInfo,
} from '../schemas/model-provider-info.ts';
import { configErrorMap, formatKeyPath } from './describe.ts';
import { isKnownProfileKey, KNOWN_TOP_LEVEL_KEYS } from './known-keys.ts';
import { RESERVED_MODEL_PROVIDER_IDS, reservedProviderIdsError } from './reserved-ids.ts';
import { withPathBase } from './resolve-path.ts';

/** Where the config file lives and how unknown keys are treated. */
export type ConfigParseOptions = {
  /** Directory of the config file; relative paths (`auth.cwd`) resolve against it. */
  configDir: string;
  /** Expansion of `~`; defaults to `os.homedir()`. */
  homeDir?: string | undefined;
  /** Unknown keys (top level, profiles, provider tables) are errors instead of warnings. */
  strict?: boolean | undefined;
};

/** A validated config and the warnings (ignored unknown keys) found on the way. */
export type ParsedConfigToml = { config: ConfigToml; warnings: string[] };

/**
 * Parses config.toml text: TOML syntax, zod validation, upstream validation, cwd resolution.
 * @throws {ConfigError} with line and column for TOML syntax errors, a key path otherwise.
 */
export function parseConfigToml(text: string, options: ConfigParseOptions): ParsedConfigToml {
  let value: unknown;
  try {
    value = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
      throw new ConfigError(
        `TOML parse error at line ${error.line}, column ${error.column}: ${reason}`,
        { line: error.line, column: error.column, cause: error },
      );
    }
    throw new ConfigError(`TOML parse error: ${String(error)}`, { cause: error });
  }
  return validateConfigToml(value, options);
}

/**
 * Validates an already-parsed TOML value (after `-c` overrides are applied to the raw table).
 * @throws {ConfigError} naming the key path and what was expected.
 */
export function validateConfigToml(value: unknown, options: ConfigParseOptions): ParsedConfigToml {
  const unknownKeys: string[] = [];
  findUnknownTopLevelKeys(value, unknownKeys);
  const cleaned = stripUnknownProviderKeys(value, unknownKeys);
  if (options.strict === true && unknownKeys.length > 0) {
    const issues = unknownKeys.map((key) => `unknown configuration field \`${key}\``);
    throw new ConfigError(issues[0] ?? '', { keyPath: unknownKeys[0], issues });
  }
  const warnings = unknownKeys.map((key) => `unknown configuration field \`${key}\` is ignored`);
  const dates = findDatesForTables(cleaned);
  if (dates.length > 0) {
    const issues = dates.map((keyPath) => `${keyPath}: expected a table, got a date-time`);
    throw new ConfigError(issues[0] ?? '', { keyPath: dates[0], issues });
  }

  const base = { baseDir: options.configDir, homeDir: options.homeDir ?? homedir() };
  const result = withPathBase(base, () =>
    // jitless: zod's compiled fast path costs a `new Function` per object schema on first use,
    // more than it saves for a file parsed once per process
    ConfigTomlSchema.safeParse(cleaned, {
      error: configErrorMap,
      reportInput: true,
      jitless: true,
    }),
  );
  if (!result.success) throw zodIssuesToConfigError(result.error.issues);

  const config = result.data;
  checkProviders(config);
  checkBaseUrls(config);
  return { config, warnings };
}

function zodIssuesToConfigError(zodIssues: readonly z.core.$ZodIssue[]): ConfigError {
  const formatted = zodIssues.map((issue) => {
    // A missing required key is reported on its table, as serde does.
    if (issue.code === 'invalid_type' && issue.input === undefined && issue.path.length > 0) {
      const keyPath = formatKeyPath(issue.path.slice(0, -1));
      const message = `missing field \`${String(issue.path.at(-1))}\``;
      return { keyPath, message: keyPath === '' ? message : `${keyPath}: ${message}` };
    }
    const keyPath = formatKeyPath(issue.path);
    if (keyPath === '') return { keyPath: undefined, message: `config: ${issue.message}` };
    return { keyPath, message: `${keyPath}: ${issue.message}` };
  });
  const [first] = formatted;
  return new ConfigError(first?.message ?? 'invalid configuration', {
    keyPath: first?.keyPath,
    issues: formatted.map((issue) => issue.message),
  });
}

function checkProviders(config: ConfigToml): void {
  const ids = Object.keys(config.model_providers);
  const reserved = ids.filter((id) =>
    (RESERVED_MODEL_PROVIDER_IDS as readonly string[]).includes(id),
  );
  if (reserved.length > 0) {
    throw new ConfigError(reservedProviderIdsError(reserved), { keyPath: 'model_providers' });
  }
  const issues: { keyPath: string; message: string }[] = [];
  for (const [id, provider] of Object.entries(config.model_providers)) {
    const prefix = `model_providers.${id}: `;
    const keyPath = formatKeyPath(['model_providers', id]);
    // AWS SigV4 is only meaningful for Amazon Bedrock (upstream rejects it elsewhere).
    if (provider.aws !== undefined && id !== 'amazon-bedrock') {
      issues.push({
        keyPath,
        message: `${prefix}provider aws is only supported for \`amazon-bedrock\``,
      });
      continue;
    }
    const problem = validateModelProviderInfo(provider);
    if (problem !== undefined) issues.push({ keyPath, message: `${prefix}${problem}` });
  }
  const [first] = issues;
  if (first !== undefined) {
    throw new ConfigError(first.message, {
      keyPath: first.keyPath,
      issues: issues.map((issue) => issue.message),
    });
  }
}

/** True for an absolute `http://` or `https://` URL with a host. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** URLs are checked when the config loads, naming the key, instead of costing a run of retries. */
function checkBaseUrls(config: ConfigToml): void {
  const issues: { keyPath: string; message: string }[] = [];
  const expectUrl = (keyPath: string, value: string | undefined) => {
    if (value !== undefined && !isHttpUrl(value.trim())) {
      issues.push({ keyPath, message: `${keyPath}: expected an http:// or https:// URL` });
    }
  };
  expectUrl('openai_base_url', config.openai_base_url);
  expectUrl('chatgpt_base_url', config.chatgpt_base_url);
  for (const [name, profile] of Object.entries(config.profiles)) {
    expectUrl(formatKeyPath(['profiles', name, 'chatgpt_base_url']), profile.chatgpt_base_url);
  }
  for (const [id, provider] of Object.entries(config.model_providers)) {
    expectUrl(formatKeyPath(['model_providers', id, 'base_url']), provider.base_url);
  }
  const [first] = issues;
  if (first !== undefined) {
    throw new ConfigError(first.message, {
      keyPath: first.keyPath,
      issues: issues.map((issue) => issue.message),
    });
  }
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

const PROVIDER_KEYS = new Set(Object.keys(ModelProviderInfoSchema.shape));
const AUTH_KEYS = new Set(Object.keys(ModelProviderAuthInfoSchema.shape));
const AWS_KEYS = new Set(Object.keys(ModelProviderAwsAuthInfoSchema.shape));

/** Copies `table` without keys outside `known`, recording their full paths. */
function withoutUnknown(
  table: Table,
  known: ReadonlySet<string>,
  path: string[],
  found: string[],
): Table {
  const copy: Table = {};
  for (const [key, value] of Object.entries(table)) {
    if (known.has(key))
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true });
    else found.push(formatKeyPath([...path, key]));
  }
  return copy;
}

/** Top-level keys no Codex knows, and profile keys that are not even top-level keys. */
function findUnknownTopLevelKeys(root: unknown, found: string[]): void {
  if (!isTable(root)) return;
  for (const key of Object.keys(root)) {
    if (!KNOWN_TOP_LEVEL_KEYS.has(key)) found.push(formatKeyPath([key]));
  }
  const profiles = root['profiles'];
  if (!isTable(profiles)) return;
  for (const [name, profile] of Object.entries(profiles)) {
    if (!isTable(profile)) continue;
    for (const key of Object.keys(profile)) {
      if (!isKnownProfileKey(key)) found.push(formatKeyPath(['profiles', name, key]));
    }
  }
}

/**
 * Provider, auth, aws and profile tables that are TOML date-times: zod's object schemas would take a `Date`
 * (an object with no own keys) for an empty table.
 */
function findDatesForTables(root: unknown): string[] {
  const found: string[] = [];
  if (!isTable(root)) return found;
  const check = (value: unknown, path: string[]) => {
    if (value instanceof Date) found.push(formatKeyPath(path));
  };
  const providers = root['model_providers'];
  for (const [id, provider] of isTable(providers) ? Object.entries(providers) : []) {
    check(provider, ['model_providers', id]);
    if (isTable(provider)) {
      check(provider['auth'], ['model_providers', id, 'auth']);
      check(provider['aws'], ['model_providers', id, 'aws']);
    }
  }
  const profiles = root['profiles'];
  for (const [name, profile] of isTable(profiles) ? Object.entries(profiles) : []) {
    check(profile, ['profiles', name]);
  }
  return found;
}

/**
 * Unknown keys inside the provider, auth and aws tables are stripped and reported; deeper tables
 * of the rest of a Codex config (`features`, `tui`, `mcp_servers`, ...) pass unchecked.
 */
function stripUnknownProviderKeys(root: unknown, found: string[]): unknown {
  if (!isTable(root) || !isTable(root['model_providers'])) return root;
  const providers: Table = {};
  for (const [id, provider] of Object.entries(root['model_providers'])) {
    let next = provider;
    if (isTable(provider)) {
      const path = ['model_providers', id];
      const copy = withoutUnknown(provider, PROVIDER_KEYS, path, found);
      const auth = copy['auth'];
      if (isTable(auth)) copy['auth'] = withoutUnknown(auth, AUTH_KEYS, [...path, 'auth'], found);
      const aws = copy['aws'];
      if (isTable(aws)) copy['aws'] = withoutUnknown(aws, AWS_KEYS, [...path, 'aws'], found);
      next = copy;
    }
    Object.defineProperty(providers, id, { value: next, enumerable: true, writable: true });
  }
  return { ...root, model_providers: providers };
}
