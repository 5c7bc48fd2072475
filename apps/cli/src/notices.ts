import type { ClientNotice } from '@codex/core';
import type { ExecOutput } from './exec-output.ts';

/** The slow-helper notice (improvement 11); never includes a token, only the command. */
export function slowCommandText(command: string): string {
  return `Waiting for provider auth command \`${command}\` (running for more than 2s)...`;
}

/** Routes client notices to the output; the slow-helper notice is said once per process. */
export function createNoticeHandler(output: Pick<ExecOutput, 'reconnecting' | 'note'>) {
  let announced = false;
  return (notice: ClientNotice): void => {
    switch (notice.type) {
      case 'reconnecting':
        output.reconnecting(notice.attempt, notice.max, notice.details);
        return;
      case 'retrying_request':
        // transport retries are quiet upstream (debug log only)
        return;
      case 'auth_command_slow':
        if (announced) return;
        announced = true;
        output.note(slowCommandText(notice.command));
        return;
    }
  };
}
