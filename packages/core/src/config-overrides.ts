import { parse } from 'smol-toml';
import { ConfigOverrideError } from './errors.ts';

/** One parsed `-c key=value`: a dotted path and its TOML (or string) value. */
export type ConfigOverride = { readonly path: string; readonly value: unknown };

function parseTomlValue(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    const table = parse(`_x_ = ${raw}`);
    return Object.hasOwn(table, '_x_') ? { ok: true, value: table['_x_'] } : { ok: false };
  } catch {
    return { ok: false };
  }
}

function stripQuotes(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text[start] === '"' || text[start] === "'")) start += 1;
  while (end > start && (text[end - 1] === '"' || text[end - 1] === "'")) end -= 1;
  return text.slice(start, end);
}

/**
 * Parses raw `-c` strings as upstream does: split at the first `=`, trim the key, parse the value
 * as TOML, and fall back to the text (surrounding quotes stripped) when it is not valid TOML.
 * @throws {ConfigOverrideError} `Invalid override (missing '='): <s>` or `Empty key in override: <s>`
 */
export function parseConfigOverrides(raw: readonly string[]): ConfigOverride[] {
  return raw.map((text) => {
    const index = text.indexOf('=');
    if (index === -1) throw new ConfigOverrideError(`Invalid override (missing '='): ${text}`);
    const key = text.slice(0, index).trim();
    const valueText = text.slice(index + 1).trim();
    if (key === '') throw new ConfigOverrideError(`Empty key in override: ${text}`);
    const parsed = parseTomlValue(valueText);
    return { path: key, value: parsed.ok ? parsed.value : stripQuotes(valueText) };
  });
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/**
 * Applies overrides to a raw config table (mutating it), creating intermediate tables and replacing
 * any non-table value found on the way, like upstream's `apply_single_override`.
 */
export function applyConfigOverrides(root: Table, overrides: readonly ConfigOverride[]): Table {
  for (const { path, value } of overrides) {
    const parts = path.split('.');
    let current = root;
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1) {
        current[part] = value;
        break;
      }
      const next = current[part];
      if (isTable(next)) {
        current = next;
      } else {
        const created: Table = {};
        current[part] = created;
        current = created;
      }
    }
  }
  return root;
}
