import { CodexError, ConfigError, isCodexError } from '@codex/protocol';
import { describe, expect, it } from 'vitest';

describe('ConfigError', () => {
  it('is a CodexError with code CONFIG_INVALID and a non-enumerable name', () => {
    const error = new ConfigError('model_providers.corp: provider auth.command must not be empty', {
      keyPath: 'model_providers.corp',
    });

    expect(error).toBeInstanceOf(CodexError);
    expect(isCodexError(error)).toBe(true);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.name).toBe('ConfigError');
    expect(Object.keys(error)).not.toContain('name');
    expect(error.keyPath).toBe('model_providers.corp');
    expect(error.issues).toEqual([error.message]);
    expect(String(error)).toBe(
      'ConfigError: model_providers.corp: provider auth.command must not be empty',
    );
  });

  it('leaves keyPath, line and column out when unknown', () => {
    const error = new ConfigError('x');

    expect(error).not.toHaveProperty('keyPath');
    expect(error).not.toHaveProperty('line');
    expect(error).not.toHaveProperty('column');
  });

  it('keeps a cause only when one is given', () => {
    const cause = new Error('inner');

    expect(new ConfigError('x', { cause }).cause).toBe(cause);
    expect(Object.hasOwn(new ConfigError('x'), 'cause')).toBe(false);
    expect(Object.hasOwn(new ConfigError('x', { keyPath: 'a' }), 'cause')).toBe(false);
  });
});
