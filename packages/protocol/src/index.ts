export { CodexError, isCodexError } from './errors/codex-error.ts';
