import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Bundles dist/bin.cjs before the end-to-end tests, so `pnpm --filter @codex/cli test` works alone
 * and never runs a stale bundle (esbuild takes well under a second).
 */
export async function setup(): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  await promisify(execFile)(process.execPath, ['scripts/bundle.mjs'], { cwd: root });
}
