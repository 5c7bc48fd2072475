import type { CliIo } from '../cli-io.ts';

/** `codex app-server`: placeholder until the app-server lands. */
export async function runAppServer(_argv: readonly string[], io: CliIo): Promise<number> {
  io.stderr.write('codex app-server: not available yet\n');
  return 1;
}
