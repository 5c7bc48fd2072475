import { homedir } from 'node:os';
import path from 'node:path';

/** Directories that relative and `~` paths in a config file resolve against. */
export type PathBase = { baseDir: string; homeDir: string };

/**
 * Resolves a path from a config file: `~` and `~/x` expand to `homeDir`, a relative path joins
 * `baseDir`, and `.`/`..` are normalised lexically (nothing is read from disk).
 */
export function resolveConfigPath(value: string, base: PathBase): string {
  let expanded = value;
  if (expanded === '~') expanded = base.homeDir;
  else if (expanded.startsWith('~/')) expanded = path.join(base.homeDir, expanded.slice(2));
  return path.resolve(base.baseDir, expanded);
}

// Like upstream's AbsolutePathBufGuard: zod parsing is synchronous, so a module-level base set
// around one parse cannot leak into another.
let currentBase: PathBase | undefined;

/** The base in effect: the config file's directory during a parse, else the process cwd. */
export function currentPathBase(): PathBase {
  return currentBase ?? { baseDir: process.cwd(), homeDir: homedir() };
}

/** Runs a synchronous `fn` with relative config paths resolving against `base`. */
export function withPathBase<T>(base: PathBase, fn: () => T): T {
  const previous = currentBase;
  currentBase = base;
  try {
    return fn();
  } finally {
    currentBase = previous;
  }
}
