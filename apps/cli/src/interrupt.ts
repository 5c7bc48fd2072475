/**
 * The CLI got SIGINT or SIGTERM; the reason of the CLI's one AbortSignal. A plain Error, not a CodexError:
 * bin.ts imports it, and the entry chunk must not pull in @codex/protocol (start-up cost).
 */
export class InterruptedError extends Error {
  override get name(): 'InterruptedError' {
    return 'InterruptedError';
  }
  readonly code = 'INTERRUPTED';
  readonly signal: 'SIGINT' | 'SIGTERM';

  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super(signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)');
    this.signal = signal;
  }
}

/** 128 + the signal number, as shells report a process killed by it: 130 for SIGINT, 143 for SIGTERM. */
export function exitCodeForSignal(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGINT' ? 130 : 143;
}
