import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared.ts';

// Stryker's vitest runner loads this config from its sandbox copy of a package (its cwd): the
// shared settings, rooted at that copy so the mutated src/ and its tests are the ones that run.
// Property tests draw at most 50 cases per mutant (see test/helpers/property-runs.ts).
export default mergeConfig(
  shared,
  defineConfig({ root: process.cwd(), test: { env: { PROPERTY_RUNS_CAP: '50' } } }),
);
