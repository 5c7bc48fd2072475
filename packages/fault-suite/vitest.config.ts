import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: '@codex/fault-suite',
      // Every test spawns the CLI and real token commands; two cores are shared with other work.
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  }),
);
