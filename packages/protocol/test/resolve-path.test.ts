import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { currentPathBase, withPathBase } from '../src/config/resolve-path.ts';

const outer = { baseDir: '/etc/codex', homeDir: '/home/outer' };
const inner = { baseDir: '/srv/codex', homeDir: '/home/inner' };
const processBase = () => ({ baseDir: process.cwd(), homeDir: homedir() });

describe('withPathBase', () => {
  it('sets the base for the call only, and puts back the one before it', () => {
    const seen = withPathBase(outer, () => [
      currentPathBase(),
      withPathBase(inner, () => currentPathBase()),
      currentPathBase(),
    ]);

    expect(seen).toEqual([outer, inner, outer]);
    // a schema parsed on its own afterwards resolves against the process again
    expect(currentPathBase()).toEqual(processBase());
  });

  it('puts the base back when the call throws', () => {
    expect(() =>
      withPathBase(outer, () => {
        throw new Error('bad config');
      }),
    ).toThrow('bad config');

    expect(currentPathBase()).toEqual(processBase());
  });
});
