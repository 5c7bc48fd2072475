// dist/THIRD-PARTY-NOTICES.txt: one section per third-party package whose code esbuild put in the bundle,
// read from the build's metafile. A file belongs to the package directory after its last `node_modules/`
// (two segments for a scope): nearest-package.json lookups misread packages such as zod, whose subpath
// folders (`zod/v4/mini`) carry nameless package.json files, and dropped them from the notices.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const separator = `\n\n${'-'.repeat(72)}\n\n`;

/** The package directory of a bundled file, or undefined for the workspace's own code. */
function packageDir(file) {
  const parts = file.split(/[\\/]/);
  const index = parts.lastIndexOf('node_modules');
  if (index === -1) return undefined;
  const length = parts[index + 1]?.startsWith('@') ? 2 : 1;
  return parts.slice(0, index + 1 + length).join(path.sep);
}

async function licenseText(dir) {
  const names = (await readdir(dir)).filter((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  const texts = await Promise.all(
    names.sort().map((name) => readFile(path.join(dir, name), 'utf8')),
  );
  return texts.join('\n\n').trim();
}

/**
 * The notices text for a build.
 * @param {import('esbuild').Metafile} metafile the build's metafile (`metafile: true`)
 * @param {string} workingDir the build's `absWorkingDir` (metafile paths are relative to it)
 * @returns {Promise<string>}
 */
export async function thirdPartyNotices(metafile, workingDir) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    // a plugin's virtual module (`namespace:path`); the files it loads are inputs of their own
    if (/^[\w-]{2,}:/.test(input)) continue;
    const dir = packageDir(input);
    if (dir !== undefined) dirs.add(path.resolve(workingDir, dir));
  }
  const packages = new Map();
  for (const dir of dirs) {
    const json = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    // every version the bundle carries: two versions of a package may name different copyright holders
    const id = `${json.name}@${json.version}`;
    if (json.name.startsWith('@codex/') || packages.has(id)) continue;
    packages.set(id, { json, text: await licenseText(dir) });
  }
  const byNameThenVersion = (left, right) =>
    left.json.name === right.json.name
      ? left.json.version.localeCompare(right.json.version, 'en', { numeric: true })
      : left.json.name < right.json.name
        ? -1
        : 1;
  const sections = [...packages.values()].sort(byNameThenVersion).map(({ json, text }) => {
    const source = json.repository?.url ?? json.repository ?? json.homepage ?? '';
    const head = `${json.name}@${json.version} (${json.license ?? 'see below'})`;
    const body = text || `License: ${json.license ?? 'unknown'}`;
    return [head, source, '', body].filter((line, index) => index !== 1 || line).join('\n');
  });
  return `@codex/cli bundles the following third-party packages.\n\n${sections.join(separator)}\n`;
}
