import { defineConfig, mergeConfig } from 'vitest/config';
import shared from './vitest.shared.ts';

// Stryker's vitest runner loads this config from its sandbox copy of a package (its cwd): the
// shared settings, rooted at that copy so the mutated src/ and its tests are the ones that run.
export default mergeConfig(shared, defineConfig({ root: process.cwd() }));
