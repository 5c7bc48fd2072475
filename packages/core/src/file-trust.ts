import { type Stats, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigLoadError } from './errors.ts';

/** Env var that turns the file-trust check off, for a CODEX_HOME shared on purpose (a team account). */
export const ALLOW_UNSAFE_CONFIG_ENV_VAR = 'CODEX_ALLOW_UNSAFE_CONFIG';

const GROUP_OR_OTHERS_WRITE = 0o022;

/** Why `file` cannot be trusted to choose a command this user runs, or null when it can. */
function distrust(file: string, uid: number): string | null {
  let info: Stats;
  try {
    info = statSync(file);
  } catch {
    return null; // absent: nothing to trust
  }
  if (info.uid !== uid && info.uid !== 0) {
    return `${file} is owned by uid ${info.uid}, not by you (uid ${uid}); take it over with \`chown ${uid} ${file}\``;
  }
  if ((info.mode & GROUP_OR_OTHERS_WRITE) !== 0) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
    return `${file} is writable by group or others (mode ${mode}); fix it with \`chmod go-w ${file}\``;
  }
  return null;
}

/**
 * Like ssh and git's `safe.directory`: a config that runs commands (a provider `auth.command`), or that chooses
 * where credentials are sent (a `base_url`, `openai_base_url`, `chatgpt_base_url`), is refused
 * when CODEX_HOME, config.toml or auth.json belongs to another user or others can write it, since whoever
 * can change them chooses what runs as this user. `CODEX_ALLOW_UNSAFE_CONFIG=1` opts out. POSIX only.
 * @throws {ConfigLoadError} one line naming the path and the fix
 */
export async function assertTrustedCodexHome(
  codexHome: string,
  env: Readonly<Record<string, string | undefined>>,
  purpose = 'run an auth command',
): Promise<void> {
  if (typeof process.getuid !== 'function') return;
  const optOut = env[ALLOW_UNSAFE_CONFIG_ENV_VAR];
  if (optOut !== undefined && optOut !== '' && optOut !== '0') return;
  const uid = process.getuid();
  for (const file of [
    codexHome,
    path.join(codexHome, 'config.toml'),
    path.join(codexHome, 'auth.json'),
  ]) {
    const reason = distrust(file, uid);
    if (reason !== null) {
      throw new ConfigLoadError(
        `refusing to ${purpose}: ${reason}, or set ${ALLOW_UNSAFE_CONFIG_ENV_VAR}=1 if it is shared on purpose`,
      );
    }
  }
}
