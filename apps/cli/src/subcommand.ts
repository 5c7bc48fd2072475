/** A `codex` command line split at its subcommand. */
export type SplitCommandLine = {
  /** Upstream's global `-c key=value` / `--config key=value` options before the subcommand, as given. */
  readonly globals: readonly string[];
  /** The subcommand (`exec`, `login`...), a root flag such as `--version`, or undefined when none is left. */
  readonly command: string | undefined;
  /** What follows the subcommand. */
  readonly rest: readonly string[];
};

/**
 * Splits `argv` (without node and script) at the first argument that is not a global `-c` option.
 * Used by the command line dispatcher (cli.ts) and by the launcher (bin.ts), which names a code cache
 * per subcommand.
 */
export function splitCommandLine(argv: readonly string[]): SplitCommandLine {
  const globals: string[] = [];
  let index = 0;
  for (; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if ((arg === '-c' || arg === '--config') && index + 1 < argv.length) {
      globals.push(arg, argv[++index] ?? '');
    } else if (arg.startsWith('--config=') || (arg.startsWith('-c') && arg.length > 2)) {
      globals.push(arg);
    } else {
      break;
    }
  }
  return { globals, command: argv[index], rest: argv.slice(index + 1) };
}
