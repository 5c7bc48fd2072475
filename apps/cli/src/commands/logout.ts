import { AuthManager } from '@codex/login';
import type { CliIo } from '../cli-io.ts';
import { parseCommandLine } from '../parse-command-line.ts';
import { describeError } from '../report-error.ts';
import { logoutHelp, logoutUsage, UsageError } from '../usage.ts';
import { loadLoginConfig } from './login.ts';

const logoutOptions = {
  config: { type: 'string', short: 'c', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `codex logout`: revokes (best effort) and removes stored credentials; messages go to stderr. */
export async function runLogout(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, logoutOptions, logoutUsage);
  if (values.help) {
    io.stdout.write(logoutHelp);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' found`, logoutUsage);
  }
  const config = await loadLoginConfig(values.config ?? [], io);
  try {
    const manager = AuthManager.create({
      codexHome: config.codexHome,
      enableCodexApiKeyEnv: false,
      storeMode: config.cliAuthCredentialsStore,
      env: io.env,
      // an unreadable store is what logout is for: its load warning would only advise logging out
      onWarning: (warning) => {
        if (!warning.startsWith('Failed to load auth:')) io.stderr.write(`${warning}\n`);
      },
    });
    await manager.auth();
    const removed = await manager.logoutWithRevoke();
    io.stderr.write(removed ? 'Successfully logged out\n' : 'Not logged in\n');
    return 0;
  } catch (error) {
    io.stderr.write(`Error logging out: ${describeError(error, io.env)}\n`);
    return 1;
  }
}
