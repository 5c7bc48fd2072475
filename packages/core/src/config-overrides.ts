import { parse } from 'smol-toml';
import { ConfigOverrideError } from './errors.ts';

/** One parsed `-c key=value`: its key parts, the path they spell, and its TOML (or string) value. */
export type ConfigOverride = {
  /** The key as TOML writes it (`model_providers.corp.base_url`, `a."b.c"`). */
  readonly path: string;
  /** The unquoted key parts: `"a"."b.c"` is `["a", "b.c"]`. */
  readonly keys: readonly string[];
  readonly value: unknown;
};

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

const bareKeyPart = /^[A-Za-z0-9_-]+/;

function formatKeys(keys: readonly string[]): string {
  return keys.map((key) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key))).join('.');
}

/**
 * Reads a TOML dotted key from the start of `text` up to its `=`: bare parts, "basic" and 'literal'
 * quoted parts (dots inside quotes belong to the part), whitespace around the dots.
 * @returns the parts and the index of the `=`, or a reason the key is not a TOML key.
 */
function readDottedKey(text: string): { keys: string[]; equals: number } | { problem: string } {
  const keys: string[] = [];
  let index = 0;
  const skipSpace = () => {
    while (text[index] === ' ' || text[index] === '\t') index += 1;
  };
  for (;;) {
    skipSpace();
    const char = text[index];
    if (char === '"') {
      // a basic string: parse it with its escapes as TOML does
      const end = closingQuote(text, index);
      if (end === -1) return { problem: 'unterminated quoted key' };
      const parsed = parseTomlValue(text.slice(index, end + 1));
      if (!parsed.ok || typeof parsed.value !== 'string') return { problem: 'invalid quoted key' };
      keys.push(parsed.value);
      index = end + 1;
    } else if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end === -1) return { problem: 'unterminated quoted key' };
      keys.push(text.slice(index + 1, end));
      index = end + 1;
    } else {
      const bare = bareKeyPart.exec(text.slice(index))?.[0];
      if (bare === undefined)
        return { problem: keys.length === 0 ? 'empty key' : 'empty key part' };
      keys.push(bare);
      index += bare.length;
    }
    skipSpace();
    if (text[index] === '.') {
      index += 1;
      continue;
    }
    if (text[index] === '=') return { keys, equals: index };
    return { problem: 'expected `.` or `=` after a key part' };
  }
}

/** Index of the `"` closing the basic string that opens at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  // Stryker disable next-line EqualityOperator: text[text.length] is undefined, neither a backslash nor a quote
  for (let index = start + 1; index < text.length; index++) {
    if (text[index] === '\\') index += 1;
    else if (text[index] === '"') return index;
  }
  return -1;
}

/**
 * Parses raw `-c` strings: the key is a TOML dotted key (`a.b`, `"a"."b.c"`, `a . 'b'`), the value
 * after its `=` is parsed as TOML, falling back to the text (surrounding quotes stripped) as upstream
 * does. Upstream splits at the first `=` and on every `.`, so a quoted key silently names nothing.
 * @throws {ConfigOverrideError} `Invalid override (missing '='): <s>`, `Empty key in override: <s>`,
 *   or `Invalid key in override: <key>: <reason>` (the value is never quoted: it may be a token)
 */
export function parseConfigOverrides(raw: readonly string[]): ConfigOverride[] {
  return raw.map((text) => {
    const firstEquals = text.indexOf('=');
    if (firstEquals === -1)
      throw new ConfigOverrideError(`Invalid override (missing '='): ${text}`);
    if (text.slice(0, firstEquals).trim() === '') {
      throw new ConfigOverrideError(`Empty key in override: ${text}`);
    }
    const key = readDottedKey(text);
    if ('problem' in key) {
      const shown = text.slice(0, firstEquals).trim();
      throw new ConfigOverrideError(`Invalid key in override: ${shown}: ${key.problem}`);
    }
    const valueText = text.slice(key.equals + 1).trim();
    const parsed = parseTomlValue(valueText);
    return {
      path: formatKeys(key.keys),
      keys: key.keys,
      value: parsed.ok ? parsed.value : stripQuotes(valueText),
    };
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
  // defineProperty, not assignment: a key part may be `__proto__`
  const set = (table: Table, key: string, value: unknown) =>
    Object.defineProperty(table, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  for (const { keys: parts, value } of overrides) {
    let current = root;
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1) {
        set(current, part, value);
        break;
      }
      const next = Object.hasOwn(current, part) ? current[part] : undefined;
      if (isTable(next)) {
        current = next;
      } else {
        const created: Table = {};
        set(current, part, created);
        current = created;
      }
    }
  }
  return root;
}
