// Stryker settings shared by the packages that run mutation testing (`pnpm mutation`).
import { fileURLToPath } from 'node:url';

const root = (file) => fileURLToPath(new URL(file, import.meta.url));

/**
 * Stryker options for one package, run from its directory over all of its `src/`.
 * @param {string} name the package directory name, which also names the report file
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerConfig(name) {
  return {
    packageManager: 'pnpm',
    // pnpm keeps each plugin next to its own dependencies, where Stryker's discovery does not look.
    plugins: ['@stryker-mutator/vitest-runner', '@stryker-mutator/typescript-checker'],
    testRunner: 'vitest',
    // The package's vitest.config.ts imports ../../vitest.shared.ts, which the sandbox copy
    // (two directories deeper) cannot reach; this config loads the shared one and roots at the sandbox.
    vitest: { configFile: root('./vitest.mutation.config.ts') },
    checkers: ['typescript'],
    tsconfigFile: 'tsconfig.json',
    mutate: ['src/**/*.ts'],
    coverageAnalysis: 'perTest',
    // A static mutant (module-level code: zod schemas, their descriptions, constant tables) needs every
    // test file re-imported, about 27 s each for protocol on two cores: 30% of the mutants took 63% of
    // the time (over 100 minutes). They are reported as Ignored and left out of the score; include
    // them with MUTATION_STATIC=1.
    ignoreStatic: process.env['MUTATION_STATIC'] !== '1',
    // The machine has two cores, shared.
    concurrency: 2,
    timeoutMS: 10_000,
    reporters: ['json', 'clear-text', 'progress'],
    jsonReporter: { fileName: root(`./reports/mutation/${name}.json`) },
    // Later runs retest only mutants whose code or covering tests changed; `--force` retests all.
    incremental: true,
    incrementalFile: root(`./reports/mutation/${name}-incremental.json`),
    cleanTempDir: 'always',
    ignorePatterns: ['dist'],
  };
}
