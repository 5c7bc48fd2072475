import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

/** A private D-Bus session bus with gnome-keyring's Secret Service on it, for real keyring tests. */
export interface KeyringDaemon {
  /** The environment that points a process at this bus (`DBUS_SESSION_BUS_ADDRESS`, XDG dirs). */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** The programs a Linux keyring test needs (installed by .ci/run: `dbus`, `gnome-keyring`). */
export const KEYRING_PROGRAMS = ['dbus-daemon', 'gnome-keyring-daemon', 'dbus-send'] as const;

const run = promisify(execFile);

async function onPath(program: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${program}`]);
    return true;
  } catch {
    return false;
  }
}

/** Why a keyring daemon cannot start here, or null when it can. */
export async function keyringDaemonUnavailableReason(): Promise<string | null> {
  if (process.platform !== 'linux') return `the Secret Service test harness is Linux-only`;
  const missing: string[] = [];
  for (const program of KEYRING_PROGRAMS) {
    if (!(await onPath(program))) missing.push(program);
  }
  return missing.length === 0
    ? null
    : `missing ${missing.join(', ')} (apt-get install dbus gnome-keyring)`;
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`dbus-daemon exited with ${String(code)} before printing its address`);
  });
  const line = once(lines, 'line').then(([text]) => String(text));
  try {
    return await Promise.race([line, exited]);
  } finally {
    lines.close();
  }
}

/** Asks the Secret Service for its default collection: true once gnome-keyring has created and unlocked it. */
let lastProbeError = '';

async function defaultCollectionReady(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.secrets',
        '/org/freedesktop/secrets/aliases/default',
        'org.freedesktop.DBus.Properties.Get',
        'string:org.freedesktop.Secret.Collection',
        'string:Locked',
      ],
      { env },
    );
    return true;
  } catch (error) {
    lastProbeError = (error as Error).message;
    return false;
  }
}

/**
 * Starts `dbus-daemon --session` on a socket in a temp dir and `gnome-keyring-daemon --unlock` on it (a fresh
 * login keyring with a throwaway password), and waits until the default collection answers.
 */
export async function startKeyringDaemon({ readyTimeoutMs = 60_000 } = {}): Promise<KeyringDaemon> {
  const dir = await mkdtemp(path.join(tmpdir(), 'codex-keyring-'));
  const runtimeDir = path.join(dir, 'runtime');
  const dataDir = path.join(dir, 'data');
  await mkdir(runtimeDir, { mode: 0o700 });
  await mkdir(dataDir, { mode: 0o700 });
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // A bus without service directories: a probe sent before gnome-keyring owns its name must not make the bus
    // auto-start a second, passwordless gnome-keyring that would take the name and never unlock.
    const config = path.join(dir, 'bus.conf');
    await writeFile(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${dir}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
    );
    const bus = spawn(
      'dbus-daemon',
      [`--config-file=${config}`, '--nofork', '--nopidfile', '--print-address=1'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(bus);
    const address = (await firstLine(bus)).trim();
    const env: Record<string, string> = {
      DBUS_SESSION_BUS_ADDRESS: address,
      XDG_RUNTIME_DIR: runtimeDir,
      XDG_DATA_HOME: dataDir,
    };
    const childEnv = { ...process.env, ...env, HOME: dir };
    const keyring = spawn(
      'gnome-keyring-daemon',
      ['--foreground', '--unlock', '--components=secrets'],
      {
        env: childEnv,
        stdio: ['pipe', 'ignore', process.env['CODEX_KEYRING_DEBUG'] ? 'inherit' : 'ignore'],
      },
    );
    children.push(keyring);
    keyring.stdin?.end('codex-test-keyring');
    // creating the login keyring derives a key from the password: seconds on a loaded machine. Each probe is a
    // process, so probes back off (up to 250 ms apart) instead of competing with the daemon for the CPU.
    const deadline = Date.now() + readyTimeoutMs;
    for (
      let pauseMs = 10;
      !(await defaultCollectionReady(childEnv));
      pauseMs = Math.min(pauseMs * 2, 250)
    ) {
      if (keyring.exitCode !== null) throw new Error('gnome-keyring-daemon exited during start-up');
      if (Date.now() > deadline) {
        throw new Error(
          `the Secret Service did not come up within ${readyTimeoutMs} ms: ${lastProbeError}`,
        );
      }
      await delay(pauseMs);
    }
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
