import * as pkg from '@codex/core';
import { describe, expect, it } from 'vitest';

describe('@codex/core', () => {
  it('loads its public entry point', () => {
    expect(pkg.placeholder).toBe('core');
  });
});
