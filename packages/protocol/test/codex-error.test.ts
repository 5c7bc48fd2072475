import { CodexError, isCodexError } from '@codex/protocol';
import { describe, expect, it } from 'vitest';

class SampleError extends CodexError {
  readonly code = 'SAMPLE';
}

describe('isCodexError', () => {
  it('recognises subclasses and rejects plain errors', () => {
    expect(isCodexError(new SampleError('x'))).toBe(true);
    expect(isCodexError(new Error('x'))).toBe(false);
    expect(isCodexError(null)).toBe(false);
  });
});
