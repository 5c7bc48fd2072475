import type { KeyringStore } from './auth-storage.ts';

type NativeKeyring = typeof import('@napi-rs/keyring');

let native: Promise<NativeKeyring> | null = null;

/** Loads the native binding once; a platform without a prebuilt binary fails here, not at start-up. */
function loadNative(): Promise<NativeKeyring> {
  native ??= import('@napi-rs/keyring');
  return native;
}

function keyringError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The OS keyring through `@napi-rs/keyring` (keyring-rs, as upstream): macOS Keychain, Windows Credential
 * Manager, and on Linux the Secret Service (D-Bus; e.g. gnome-keyring). Entries are (service, account) =
 * (`Codex Auth`, `cli|<hash>`), so the Rust CLI reads what this writes and the other way round.
 *
 * On Linux the entry is pinned to the Secret Service: the kernel keyring (the binding's silent fallback)
 * forgets everything at reboot, so a missing Secret Service is an error and `auto` falls back to auth.json,
 * as upstream does.
 */
export class SystemKeyringStore implements KeyringStore {
  async #entry(service: string, account: string) {
    const { AsyncEntry } = await loadNative();
    return new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
  }

  async get(service: string, account: string): Promise<string | null> {
    try {
      return await (await this.#entry(service, account)).getPassword();
    } catch (error) {
      throw keyringError(error);
    }
  }

  async set(service: string, account: string, value: string): Promise<void> {
    try {
      await (await this.#entry(service, account)).setPassword(value);
    } catch (error) {
      throw keyringError(error);
    }
  }

  async delete(service: string, account: string): Promise<boolean> {
    try {
      return await (await this.#entry(service, account)).deletePassword();
    } catch (error) {
      throw keyringError(error);
    }
  }
}

let system: SystemKeyringStore | null = null;

/** The process-wide OS keyring. */
export function systemKeyring(): KeyringStore {
  system ??= new SystemKeyringStore();
  return system;
}
