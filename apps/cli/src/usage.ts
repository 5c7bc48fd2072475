/** A command line that cannot be run as written; the CLI prints it with the usage line and exits 2. */
export class UsageError extends Error {
  override get name(): 'UsageError' {
    return 'UsageError';
  }
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

/** Formats a usage error the way clap does: the error, the usage line, and a pointer to `--help`. */
export function formatUsageError(error: UsageError): string {
  return `error: ${error.message}\n\nUsage: ${error.usage}\n\nFor more information, try '--help'.\n`;
}

export const topUsage = 'codex [OPTIONS] <COMMAND>';

export const topHelp = `Codex CLI (TypeScript): model-provider auth and one-shot turns

Usage: ${topUsage}

Commands:
  exec        Run Codex non-interactively [aliases: e]
  login       Manage login
  logout      Remove stored authentication credentials
  app-server  Run the app server (JSON-RPC over stdio)
  help        Print this message

Options:
  -c, --config <key=value>  Override a configuration value (TOML value; repeatable)
  -h, --help                Print help
  -V, --version             Print version
`;

export const execUsage = 'codex exec [OPTIONS] [PROMPT]';

export const execHelp = `Run Codex non-interactively: one turn against the configured model provider (no tools run)

Usage: ${execUsage}

Arguments:
  [PROMPT]  Initial instructions. With \`-\` or none (and stdin not a TTY), read from stdin

Options:
  -c, --config <key=value>            Override a configuration value (TOML value; repeatable)
  -m, --model <MODEL>                 Model the agent should use
  -p, --profile <CONFIG_PROFILE>      Configuration profile from config.toml
  -i, --image <FILE>...               Image(s) to attach to the prompt (repeatable, or comma-separated)
  -C, --cd <DIR>                      Working directory for the turn
      --json                          Print events to stdout as JSONL [alias: --experimental-json]
  -o, --output-last-message <FILE>    Write the last agent message to FILE
      --output-schema <FILE>          JSON Schema file the final answer must follow
      --strict-config                 Treat unknown config.toml keys as errors
  -h, --help                          Print help

Accepted for compatibility (no effect while no tools run):
  -s, --sandbox <MODE>                read-only | workspace-write | danger-full-access
      --skip-git-repo-check, --add-dir <DIR>, --color <always|never|auto>, --thread-source <SOURCE>,
      --full-auto, --dangerously-bypass-approvals-and-sandbox, --ephemeral, --cyber-access-program <P>
`;

export const loginUsage = 'codex login [OPTIONS] [COMMAND]';

export const loginHelp = `Manage login

Usage: ${loginUsage}

Commands:
  status  Show login status

Options:
      --with-api-key            Read the API key from stdin (e.g. \`printenv OPENAI_API_KEY | codex login --with-api-key\`)
  -c, --config <key=value>      Override a configuration value (TOML value; repeatable)
  -h, --help                    Print help
`;

export const loginStatusHelp = `Show login status: which credential the active model provider uses (never the secret)

Usage: codex login status [OPTIONS]

Options:
  -c, --config <key=value>      Override a configuration value (TOML value; repeatable)
  -h, --help                    Print help
`;

export const logoutUsage = 'codex logout [OPTIONS]';

export const logoutHelp = `Remove stored authentication credentials

Usage: ${logoutUsage}

Options:
  -c, --config <key=value>  Override a configuration value (TOML value; repeatable)
  -h, --help                Print help
`;
