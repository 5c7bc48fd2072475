/** A failure the CLI reports as one line on stderr (its message is the whole text), exiting 1. */
export class CliError extends Error {
  override get name(): 'CliError' {
    return 'CliError';
  }
}
