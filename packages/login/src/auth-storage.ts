// node:fs's `promises`, read when called: importing node:fs/promises would load it (with readline's
// internals, ~2 ms) in every `codex exec` turn, which calls none of these (issue 13)
import { promises as fs, realpathSync } from 'node:fs';
import path from 'node:path';
import {
  type AuthCredentialsStoreMode,
  type AuthDotJson,
  AuthDotJsonSchema,
  serializeAuthDotJson,
} from '@codex/protocol';
import {
  printable,
  readRegularFileSync,
  removeStaleTempFiles,
  writeFileAtomic,
} from './auth-file.ts';
import { AuthStorageError } from './errors.ts';
import { systemKeyring } from './keyring-store.ts';

/** Where auth.json-shaped credentials are kept. */
export interface AuthStorageBackend {
  load(): Promise<AuthDotJson | null>;
  save(auth: AuthDotJson): Promise<void>;
  /** Removes the stored credentials; false when there was nothing to remove. */
  delete(): Promise<boolean>;
}

/** An OS keyring; `systemKeyring()` (keyring-store.ts) is the real one. */
export interface KeyringStore {
  get(service: string, account: string): Promise<string | null>;
  set(service: string, account: string, value: string): Promise<void>;
  delete(service: string, account: string): Promise<boolean>;
}

export const KEYRING_SERVICE = 'Codex Auth';

/** The auth.json path for a Codex home. */
export function authFilePath(codexHome: string): string {
  return path.join(codexHome, 'auth.json');
}

/** Keyring account / ephemeral key of a Codex home: `cli|` + 16 hex digits of SHA-256 of its canonical path. */
export function computeStoreKey(codexHome: string): string {
  let canonical = codexHome;
  try {
    canonical = realpathSync(codexHome);
  } catch {
    // a home that does not exist yet keys by the path as given
  }
  // node:crypto loaded here, when a store needs its key, not by every turn that imports this module
  const digest = process
    .getBuiltinModule('node:crypto')
    .createHash('sha256')
    .update(canonical)
    .digest('hex');
  return `cli|${digest.slice(0, 16)}`;
}

/** How to get out of an unreadable credential store: upstream's commands, in order. */
export const AUTH_RECOVERY_HINT =
  'run `codex logout` to remove it, then `codex login` to sign in again';

/**
 * Parses stored auth JSON with its schema. The error names the source and how to recover, in one
 * line, and never quotes the content: a parse error's snippet would be part of a key.
 * @throws {AuthStorageError}
 */
export function parseAuthDotJson(text: string, source: string): AuthDotJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuthStorageError(`${printable(source)} is not valid JSON; ${AUTH_RECOVERY_HINT}`);
  }
  // parsed once per read: zod's compiled fast path would cost more than it saves (jitless)
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: jitless changes only how fast zod parses, not the result
  const parsed = AuthDotJsonSchema.safeParse(value, { jitless: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at \`${issue.path.join('.')}\`` : '';
    throw new AuthStorageError(
      `${printable(source)} does not hold Codex credentials (unexpected value${where}); ${AUTH_RECOVERY_HINT}`,
    );
  }
  return parsed.data;
}

/** `$CODEX_HOME/auth.json`. */
export class FileAuthStorage implements AuthStorageBackend {
  readonly path: string;

  constructor(codexHome: string) {
    this.path = authFilePath(codexHome);
  }

  /**
   * Reads auth.json without the thread pool: the file is small and a FIFO or device is refused without
   * blocking, so a turn pays no thread-pool round trip (a context switch each) for it (issue 13).
   */
  async load(): Promise<AuthDotJson | null> {
    return this.loadSync();
  }

  /** Synchronous load, for constructing a manager. */
  loadSync(): AuthDotJson | null {
    let text: string | null;
    try {
      text = readRegularFileSync(this.path);
    } catch (error) {
      if (error instanceof AuthStorageError) throw error;
      throw new AuthStorageError(`failed to read ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return text === null ? null : parseAuthDotJson(text, this.path);
  }

  async save(auth: AuthDotJson): Promise<void> {
    try {
      await writeFileAtomic(this.path, serializeAuthDotJson(auth));
    } catch (error) {
      throw new AuthStorageError(`failed to write ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async delete(): Promise<boolean> {
    await removeStaleTempFiles(this.path);
    try {
      await fs.unlink(this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return false;
      }
      throw new AuthStorageError(`failed to remove ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

const ephemeralKey = Symbol.for('codex.login.ephemeralAuthStore');
type GlobalWithStore = typeof globalThis & { [ephemeralKey]?: Map<string, string> };

function ephemeralStore(): Map<string, string> {
  const global = globalThis as GlobalWithStore;
  global[ephemeralKey] ??= new Map();
  return global[ephemeralKey];
}

/** Process-wide, in-memory storage shared by every manager with the same Codex home; never touches disk. */
export class EphemeralAuthStorage implements AuthStorageBackend {
  readonly key: string;

  constructor(codexHome: string) {
    this.key = computeStoreKey(codexHome);
  }

  async load(): Promise<AuthDotJson | null> {
    return this.loadSync();
  }

  loadSync(): AuthDotJson | null {
    const text = ephemeralStore().get(this.key);
    return text === undefined ? null : parseAuthDotJson(text, 'ephemeral auth storage');
  }

  async save(auth: AuthDotJson): Promise<void> {
    ephemeralStore().set(this.key, serializeAuthDotJson(auth, { compact: true }));
  }

  async delete(): Promise<boolean> {
    return ephemeralStore().delete(this.key);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The OS keyring, with auth.json removed as a stale fallback on save and delete. */
export class KeyringAuthStorage implements AuthStorageBackend {
  readonly key: string;
  readonly #keyring: KeyringStore;
  readonly #file: FileAuthStorage;

  constructor(codexHome: string, keyring: KeyringStore) {
    this.key = computeStoreKey(codexHome);
    this.#keyring = keyring;
    this.#file = new FileAuthStorage(codexHome);
  }

  async load(): Promise<AuthDotJson | null> {
    let text: string | null;
    try {
      text = await this.#keyring.get(KEYRING_SERVICE, this.key);
    } catch (error) {
      throw new AuthStorageError(`failed to load CLI auth from keyring: ${message(error)}`);
    }
    if (text === null) {
      return null;
    }
    try {
      return parseAuthDotJson(text, 'keyring');
    } catch (error) {
      throw new AuthStorageError(`failed to deserialize CLI auth from keyring: ${message(error)}`);
    }
  }

  async save(auth: AuthDotJson): Promise<void> {
    try {
      await this.#keyring.set(
        KEYRING_SERVICE,
        this.key,
        serializeAuthDotJson(auth, { compact: true }),
      );
    } catch (error) {
      throw new AuthStorageError(`failed to write OAuth tokens to keyring: ${message(error)}`);
    }
    // Stryker disable next-line ArrowFunction,BooleanLiteral: the stale file's removal is best effort; its result is unused
    await this.#file.delete().catch(() => false);
  }

  async delete(): Promise<boolean> {
    let removed: boolean;
    try {
      removed = await this.#keyring.delete(KEYRING_SERVICE, this.key);
    } catch (error) {
      throw new AuthStorageError(`failed to delete auth from keyring: ${message(error)}`);
    }
    const fileRemoved = await this.#file.delete();
    return removed || fileRemoved;
  }
}

/** The keyring when it works, auth.json otherwise. */
export class AutoAuthStorage implements AuthStorageBackend {
  readonly #keyring: KeyringAuthStorage | null;
  readonly #file: FileAuthStorage;
  readonly #onWarning: (message: string) => void;

  constructor(
    codexHome: string,
    keyring: KeyringStore | null,
    onWarning: (message: string) => void = () => {},
  ) {
    this.#keyring = keyring === null ? null : new KeyringAuthStorage(codexHome, keyring);
    this.#file = new FileAuthStorage(codexHome);
    this.#onWarning = onWarning;
  }

  async load(): Promise<AuthDotJson | null> {
    if (this.#keyring !== null) {
      try {
        const value = await this.#keyring.load();
        if (value !== null) {
          return value;
        }
      } catch (error) {
        this.#onWarning(
          `failed to load CLI auth from keyring, falling back to file storage: ${message(error)}`,
        );
      }
    }
    return this.#file.load();
  }

  async save(auth: AuthDotJson): Promise<void> {
    if (this.#keyring !== null) {
      try {
        await this.#keyring.save(auth);
        return;
      } catch (error) {
        this.#onWarning(
          `failed to save auth to keyring, falling back to file storage: ${message(error)}`,
        );
      }
    }
    await this.#file.save(auth);
  }

  async delete(): Promise<boolean> {
    return this.#keyring === null ? this.#file.delete() : this.#keyring.delete();
  }
}

export type AuthStorageOptions = {
  /** The keyring for `keyring`/`auto` modes; default the OS keyring, null means none is available. */
  readonly keyring?: KeyringStore | null;
  readonly onWarning?: (message: string) => void;
};

/** The storage backend for a store mode. `keyring` without a keyring fails on use; `auto` falls back to the file. */
export function createAuthStorage(
  codexHome: string,
  mode: AuthCredentialsStoreMode,
  { keyring, onWarning }: AuthStorageOptions = {},
): AuthStorageBackend {
  if (keyring === undefined && (mode === 'auto' || mode === 'keyring')) {
    keyring = systemKeyring();
  }
  switch (mode) {
    case 'file':
      return new FileAuthStorage(codexHome);
    case 'ephemeral':
      return new EphemeralAuthStorage(codexHome);
    case 'auto':
      return new AutoAuthStorage(codexHome, keyring ?? null, onWarning);
    case 'keyring':
      return new KeyringAuthStorage(codexHome, keyring ?? unavailableKeyring);
  }
}

const unavailableKeyring: KeyringStore = {
  get: () => Promise.reject(new Error('no keyring is available on this system')),
  set: () => Promise.reject(new Error('no keyring is available on this system')),
  delete: () => Promise.reject(new Error('no keyring is available on this system')),
};

/**
 * Reads the raw stored credentials of a Codex home.
 * @throws {AuthStorageError}
 */
export function loadAuthDotJson(
  codexHome: string,
  mode: AuthCredentialsStoreMode,
  options?: AuthStorageOptions,
): Promise<AuthDotJson | null> {
  return createAuthStorage(codexHome, mode, options).load();
}

/**
 * Stores credentials for a Codex home.
 * @throws {AuthStorageError}
 */
export function saveAuthDotJson(
  codexHome: string,
  auth: AuthDotJson,
  mode: AuthCredentialsStoreMode,
  options?: AuthStorageOptions,
): Promise<void> {
  return createAuthStorage(codexHome, mode, options).save(auth);
}
