import type { ExecOutput } from './exec-output.ts';

/** What `@codex/core` reports besides the turn's events (mirrors its `ClientNotice`). */
export type Notice =
  | {
      readonly type: 'reconnecting';
      readonly attempt: number;
      readonly max: number;
      readonly message: string;
    }
  | { readonly type: 'auth_command_slow'; readonly command: string };

/** The slow-helper notice (SPEC §4.11); never includes a token, only the command. */
export function slowCommandText(command: string): string {
  return `Waiting for provider auth command \`${command}\` (running for more than 2s)...`;
}

/** Routes client notices to the output; the slow-helper notice is said once per process. */
export function createNoticeHandler(output: Pick<ExecOutput, 'reconnecting' | 'note'>) {
  let announced = false;
  return (notice: Notice): void => {
    switch (notice.type) {
      case 'reconnecting':
        output.reconnecting(notice.attempt, notice.max, notice.message);
        return;
      case 'auth_command_slow':
        if (announced) return;
        announced = true;
        output.note(slowCommandText(notice.command));
        return;
    }
  };
}
