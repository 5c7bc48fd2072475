import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

// The bundle is minified (scripts/bundle.mjs), so a frame in it reads `at Xy (…/codex.bundle.js:134:6021)`.
// Node applies source maps only to modules its loaders compiled, not to a node:vm script, so the stack a
// `CODEX_DEBUG=1` run prints is mapped here, from the map bundle.mjs writes beside the bundle.

// the maps are under 1 MB; anything far larger is not one of them
const MAX_MAP_BYTES = 4 * 1024 * 1024;

let cached: { readonly bundle: string; readonly map: SourceMap | null } | undefined;

/** The text of a regular file of sane size; a FIFO, a device or a huge file is not read (no hang, no flood). */
function readRegularFile(file: string): string | undefined {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > MAX_MAP_BYTES) return undefined;
    const bytes = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    return bytes.toString('utf8', 0, filled);
  } finally {
    closeSync(fd);
  }
}

function loadMap(bundle: string): SourceMap | null {
  if (cached?.bundle === bundle) return cached.map;
  let map: SourceMap | null = null;
  try {
    const text = readRegularFile(`${bundle}.map`);
    // only the map written with this bundle: bundle.mjs starts it with the bundle's name and the CRC-32
    // of its text, checked before anything is parsed (a large file of something else costs no parse)
    const owned = `{"version":3,"file":${JSON.stringify(path.basename(bundle))},"x_codex_bundle_crc32":${crc32(readFileSync(bundle))},`;
    if (text?.startsWith(owned)) {
      // node:module loaded here, for a debug stack, not by every run that imports this file
      map = new (process.getBuiltinModule('node:module').SourceMap)(JSON.parse(text));
    }
  } catch {
    // no map beside it (the TypeScript sources run under the tests), or an unreadable one: leave frames as they are
  }
  cached = { bundle, map };
  return map;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites each `<bundle>:<line>:<column>` in a stack to the source position the bundle's source map
 * gives, as `packages/core/src/request-loop.ts:186:13` (paths relative to the repository, as bundle.mjs
 * writes them; lines and columns 1-based, as V8 prints them; function names stay minified: a frame gives
 * no position of its function's name). Positions the map does not cover, a bundle without its own `.map`
 * beside it (another bundle's, another build's, not a regular file of at most 4 MB), and stacks with no
 * frame in the bundle come back unchanged.
 * @param bundle absolute path of the running bundle (default: the file this code was loaded from)
 */
export function sourceMappedStack(stack: string, bundle = fileURLToPath(import.meta.url)): string {
  if (!stack.includes(bundle)) return stack;
  const map = loadMap(bundle);
  if (map === null) return stack;
  const position = new RegExp(`${escapeRegExp(bundle)}:(\\d+):(\\d+)`, 'g');
  return stack.replace(position, (frame, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
    // findEntry answers with the nearest mapping before the position, which may be on an earlier line
    if (!('originalSource' in entry) || entry.generatedLine !== Number(line) - 1) return frame;
    return `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
