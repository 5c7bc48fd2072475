import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: '@codex/consumer-test',
      // packing, an npm install and real consumers; two cores are shared with other work
      testTimeout: 120_000,
      hookTimeout: 300_000,
    },
  }),
);
