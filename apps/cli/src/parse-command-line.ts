import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

type Parsed<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/** `node:util` parseArgs in strict mode, with its errors turned into clap-style usage errors. */
export function parseCommandLine<const T extends OptionsConfig>(
  argv: readonly string[],
  options: T,
  usage: string,
): Parsed<T> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, options), usage);
  }
}

function describeParseError(error: unknown, options: OptionsConfig): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unexpected argument '${quoted}' found`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = longName(quoted, options);
      if (/does not take an argument/.test(message)) {
        return `unexpected value for '${name}': it takes no value`;
      }
      return `a value is required for '${name} <${valueName(name)}>' but none was supplied`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}' found`;
    default:
      return message;
  }
}

/** Turns parseArgs' `-m, --model <value>` or `--json` into `--model` / `--json`. */
function longName(text: string, options: OptionsConfig): string {
  const long = /--([\w-]+)/.exec(text)?.[1];
  if (long !== undefined) return `--${long}`;
  const short = /^-(\w)/.exec(text)?.[1];
  const entry = Object.entries(options).find(([, option]) => option.short === short);
  return entry ? `--${entry[0]}` : text;
}

function valueName(name: string): string {
  // upstream names the value of its global `-c` this way in usage and errors
  if (name === '--config') return 'key=value';
  return name.replace(/^--/, '').replaceAll('-', '_').toUpperCase();
}
