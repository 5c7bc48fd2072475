import * as pkg from '@codex/login';
import { describe, expect, it } from 'vitest';

describe('@codex/login', () => {
  it('loads its public entry point', () => {
    expect(pkg.placeholder).toBe('login');
  });
});
