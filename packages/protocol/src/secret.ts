/**
 * Tokens as values that cannot print, and the one redactor that scrubs them from text.
 *
 * A {@link Secret} keeps its value in a `WeakMap` keyed by the wrapper (the Effect `Redacted` pattern), so no
 * property, `util.inspect` (any depth, `showHidden`), `JSON.stringify`, `String()` or template literal reaches
 * it. Every secret of {@link MIN_REDACTED_LENGTH} characters or more is also entered in a process-wide registry
 * of live secrets, which {@link redact} reads: one rule for every message the product prints, logs or throws.
 */

/** What a secret prints as, everywhere. */
export const REDACTED = '[REDACTED]';

/** Shorter secrets are not entered in the registry: replacing them would mangle ordinary words. */
export const MIN_REDACTED_LENGTH = 4;

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

type Registry = {
  /** Secret wrapper → value; the only place a value lives. */
  readonly values: WeakMap<object, string>;
  /** Live values → how many wrappers hold them. */
  readonly live: Map<string, number>;
  /** Cached matchers, rebuilt when `live` changes. */
  matcher: { regex: RegExp; size: number; version: number } | null;
  /**
   * Cached lowercase substrings at least one of which any match contains (`null`: no such list, always run
   * the matcher); optional so that an older copy of this package sharing the registry can ignore it.
   */
  needles?: { list: readonly string[] | null; version: number } | null;
  /** Cached encoded forms of the secrets too long for the matcher, longest first (optional, as `needles`). */
  longForms?: { list: readonly string[]; version: number } | null;
  version: number;
  readonly finalizer: FinalizationRegistry<string>;
};

// Shared through a global symbol so that two copies of this package (a duplicated install) agree.
const registryKey = Symbol.for('codex.secret.registry');
const registry: Registry =
  ((globalThis as Record<symbol, unknown>)[registryKey] as Registry | undefined) ??
  createRegistry();
(globalThis as Record<symbol, unknown>)[registryKey] = registry;

function createRegistry(): Registry {
  const created: Registry = {
    values: new WeakMap(),
    live: new Map(),
    matcher: null,
    version: 0,
    finalizer: new FinalizationRegistry((value: string) => release(created, value)),
  };
  return created;
}

function release(target: Registry, value: string): void {
  const count = target.live.get(value);
  if (count === undefined) return;
  if (count <= 1) target.live.delete(value);
  else target.live.set(value, count - 1);
  target.version += 1;
}

const secretBrand = Symbol.for('codex.secret');

/**
 * A credential (API key, bearer, access, refresh or id token, authorization code, PKCE verifier) that prints
 * as `[REDACTED]` through every formatting path. Read it with {@link Secret.reveal} only where it is sent.
 */
export class Secret {
  // Stryker disable next-line BooleanLiteral: isSecret checks that the brand key exists, not its value
  readonly [secretBrand] = true;

  /** Wraps `value` and registers it for {@link redact} (when at least {@link MIN_REDACTED_LENGTH} long). */
  constructor(value: string) {
    registry.values.set(this, value);
    if (value.length >= MIN_REDACTED_LENGTH) {
      registry.live.set(value, (registry.live.get(value) ?? 0) + 1);
      registry.version += 1;
      registry.finalizer.register(this, value);
    }
    Object.freeze(this);
  }

  /** `value` as a secret, or a secret passed through unchanged. */
  static from(value: string | Secret): Secret {
    return value instanceof Secret ? value : new Secret(value);
  }

  /** The secret value, for the one place that sends it (a header, a request body, a file write). */
  reveal(): string {
    return registry.values.get(this) ?? '';
  }

  /** Number of UTF-16 code units in the value. */
  get length(): number {
    return this.reveal().length;
  }

  /** Whether both hold the same value (constant-time enough for in-process comparisons). */
  equals(other: Secret | string | null | undefined): boolean {
    if (other === null || other === undefined) return false;
    return this.reveal() === (typeof other === 'string' ? other : other.reveal());
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return REDACTED;
  }
}

/** Identifies a {@link Secret} even across duplicated package copies. */
export function isSecret(value: unknown): value is Secret {
  return typeof value === 'object' && value !== null && secretBrand in value;
}

/** The value of a secret or plain string; for call sites that accept either. */
export function revealSecret(value: Secret | string): string {
  return typeof value === 'string' ? value : value.reveal();
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function hex(code: number): string {
  return code.toString(16).padStart(2, '0');
}

/**
 * One pattern per character of `secret`: the literal character, its JSON `\u` escape, its percent-encoding
 * (each UTF-8 byte) and, for `/`, the JSON `\/` escape; so escaped and mixed forms all match.
 */
function encodedPattern(secret: string): string {
  let pattern = '';
  for (const char of secret) {
    const code = char.codePointAt(0) ?? 0;
    const options = [escapeRegExp(char)];
    if (code <= 0xffff) options.push(`\\\\u${code.toString(16).padStart(4, '0')}`);
    const bytes = [...Buffer.from(char, 'utf8')].map((byte) => `%${hex(byte)}`).join('');
    options.push(bytes);
    if (char === '/') options.push('\\\\/');
    pattern += `(?:${options.join('|')})`;
  }
  return pattern;
}

/**
 * The parts of `secret`'s base64 / base64url encodings that do not depend on what surrounds it, at each of the
 * three byte alignments; so a secret inside a longer base64 value (Basic auth, a JWT payload) is found too.
 */
function base64Fragments(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const fragments: string[] = [];
  // Stryker disable next-line EqualityOperator: a fourth alignment repeats the first (three zero bytes are `AAAA`)
  for (let offset = 0; offset < 3; offset += 1) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = padded.toString('base64');
    // drop characters that mix in the padding bytes at the start and the unknown bytes at the end
    const start = Math.ceil((offset * 4) / 3);
    const end = Math.floor((padded.length * 4) / 3);
    const stable = encoded.slice(start, end);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: callers pass 8+ bytes, whose stable part has 10+ characters
    if (stable.length >= 8) {
      fragments.push(stable, stable.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return fragments;
}

// A whole token: not glued to other letters or digits on either side (ordinary words are not mangled).
const BEFORE = '(?<![A-Za-z0-9])';
const AFTER = '(?![A-Za-z0-9])';

/**
 * Secrets longer than this are found by their whole encoded forms (see {@link longForms}) instead of the
 * per-character pattern: that pattern grows ~17 characters per character, costs ~30 ms to compile for a 1 KB
 * token, and past ~8 KB V8's regex compiler overflows its stack (an auth command may print up to 1 MiB).
 */
const MAX_PATTERN_SECRET_LENGTH = 1024;

/** And at most this many characters of secrets in all go into the matcher; the rest are found as long ones. */
const MAX_PATTERN_TOTAL_LENGTH = 16 * 1024;

/**
 * The live secrets the matcher regex covers (the shortest, within both limits), longest first so that one
 * that contains another is replaced whole; {@link redactLongSecrets} finds the others.
 */
function patternSecrets(): string[] {
  const chosen: string[] = [];
  let total = 0;
  for (const secret of [...registry.live.keys()].sort(
    (left, right) => left.length - right.length,
  )) {
    if (
      secret.length > MAX_PATTERN_SECRET_LENGTH ||
      total + secret.length > MAX_PATTERN_TOTAL_LENGTH
    ) {
      break;
    }
    chosen.push(secret);
    total += secret.length;
  }
  return chosen.reverse();
}

function matcher(): RegExp | null {
  // Stryker disable next-line BlockStatement: the cache only saves rebuilding the same regex
  if (registry.matcher !== null && registry.matcher.version === registry.version) {
    return registry.matcher.regex;
  }
  const secrets = patternSecrets();
  if (secrets.length === 0) return null;
  const alternatives: string[] = [];
  for (const secret of secrets) {
    alternatives.push(`${BEFORE}${encodedPattern(secret)}${AFTER}`);
    if (secret.length >= 8) {
      for (const fragment of base64Fragments(secret)) alternatives.push(escapeRegExp(fragment));
    }
  }
  const regex = new RegExp(alternatives.join('|'), 'gi');
  registry.matcher = { regex, size: secrets.length, version: registry.version };
  return regex;
}

/**
 * The whole encoded forms of a long secret, replaced exactly (case-sensitively, no mixing of forms within
 * it): plain, JSON `\u` escapes (lower- and upper-case hex), JSON `\/`, percent-encoding and its base64 /
 * base64url fragments.
 */
function longForms(secret: string): string[] {
  const codes = (upper: boolean) =>
    [...secret]
      .map((char) => {
        const code = char.codePointAt(0) ?? 0;
        if (code > 0xffff) return char;
        const hex4 = code.toString(16).padStart(4, '0');
        return `\\u${upper ? hex4.toUpperCase() : hex4}`;
      })
      .join('');
  const bytes = [...Buffer.from(secret, 'utf8')].map((byte) => `%${hex(byte)}`).join('');
  const forms = new Set([
    secret,
    codes(false),
    codes(true),
    secret.replaceAll('/', '\\/'),
    encodeURIComponent(secret),
    bytes,
    bytes.toUpperCase(),
    ...base64Fragments(secret),
  ]);
  // redactLongSecrets orders the forms of all long secrets together
  return [...forms];
}

function redactLongSecrets(text: string): string {
  if (registry.longForms == null || registry.longForms.version !== registry.version) {
    const inPattern = new Set(patternSecrets());
    const secrets = [...registry.live.keys()].filter((secret) => !inPattern.has(secret));
    // longest first, so a secret that contains another is replaced whole
    const list = [...new Set(secrets.flatMap(longForms))].sort(
      (left, right) => right.length - left.length,
    );
    registry.longForms = { list, version: registry.version };
  }
  let scrubbed = text;
  for (const form of registry.longForms.list) {
    // Stryker disable next-line ConditionalExpression: splitting on an absent form changes nothing; the check skips the copy
    if (scrubbed.includes(form)) scrubbed = scrubbed.split(form).join(REDACTED);
  }
  return scrubbed;
}

// Building and compiling the matcher costs milliseconds (V8 compiles a regex twice: to bytecode on first use,
// then to machine code on the next), and most text holds no secret in any form. These needles let redact()
// skip it: any match is either all literal characters, so the text holds a secret or one of its base64
// fragments (case-insensitively), or it holds an escape (`\u`, `%`, `\/`). The case-insensitive regex and
// `toLowerCase` agree on ASCII; a live secret with other characters turns the shortcut off.
const ESCAPE_NEEDLES = ['\\u', '%', '\\/'];

function needles(): readonly string[] | null {
  // Stryker disable next-line BlockStatement: the cache only saves rebuilding the same list
  if (registry.needles != null && registry.needles.version === registry.version) {
    return registry.needles.list;
  }
  const secrets = patternSecrets();
  let list: string[] | null = [...ESCAPE_NEEDLES];
  for (const secret of secrets) {
    if (!/^[\x20-\x7e]*$/.test(secret)) {
      list = null;
      break;
    }
    list.push(secret.toLowerCase());
    // Stryker disable next-line ConditionalExpression: more needles only send more text to the matcher, which decides
    if (secret.length >= 8) {
      for (const fragment of base64Fragments(secret)) list.push(fragment.toLowerCase());
    }
  }
  registry.needles = { list, version: registry.version };
  return list;
}

function mayHoldSecret(text: string): boolean {
  const list = needles();
  if (list === null) return true;
  const lower = text.toLowerCase();
  return list.some((needle) => lower.includes(needle));
}

// scheme://user:password@ — the userinfo of a URL that carries a password
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@:]*:[^\s/?#@]*@/gi;

// ?api-key=... / &access_token=...: a query parameter whose name says it carries a credential
// (`code_challenge` and `state` are not: an authorize URL the user must open stays intact)
const URL_CREDENTIAL_PARAM =
  /([?&](?:[^=&\s#]*(?:key|token|secret|password|passwd|signature|credential)|sig|auth|code)=)[^&\s#"']+/gi;

// C0 controls but newline and tab, DEL and the C1 controls: what starts a terminal escape sequence
// (ESC, CSI), rings the bell, or moves the cursor back over text already shown (CR, backspace)
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Replaces every live secret in `text` with `[REDACTED]`: the one redaction rule of the product.
 * Matches each secret of at least {@link MIN_REDACTED_LENGTH} characters as a whole token (not glued to other
 * letters or digits), in plain, JSON-escaped (`\u0073`, `\/`), percent-encoded and mixed forms, and (for
 * secrets of 8+ characters) inside base64 / base64url text. Hex escapes match case-insensitively, so do letters:
 * `SK-ABC` is treated as `sk-abc`.
 */
export function redact(text: string): string {
  // Stryker disable next-line StringLiteral: an empty text comes back empty through the steps below too
  if (text === '') return text;
  // a password in a URL (`https://user:pass@host`) is a secret too, whether or not it is registered
  let scrubbed = text.includes('@') ? text.replace(URL_PASSWORD, `$1${REDACTED}@`) : text;
  // and so is a query parameter named for one (`?api-key=...`), as some gateways take keys
  // Stryker disable next-line ConditionalExpression,StringLiteral: the pattern needs an `=`; the check only skips it
  if (scrubbed.includes('=')) scrubbed = scrubbed.replace(URL_CREDENTIAL_PARAM, `$1${REDACTED}`);
  // Stryker disable next-line ConditionalExpression: with no live secret the steps below find nothing either
  if (registry.live.size === 0) return scrubbed;
  scrubbed = redactLongSecrets(scrubbed);
  // Stryker disable next-line ConditionalExpression: the shortcut only skips the matcher, which finds nothing there
  if (!mayHoldSecret(scrubbed)) return scrubbed;
  const regex = matcher();
  if (regex === null) return scrubbed;
  regex.lastIndex = 0;
  return scrubbed.replace(regex, REDACTED);
}

/**
 * `text` with control characters shown as `\xNN` escapes (newline and tab kept), so untrusted text a
 * command or a server sent (OSC 52 clipboard writes, screen clears, `\r` overwrites) prints as inert text.
 * Applied with {@link redact} wherever such text enters a message (every `CodexError`).
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
