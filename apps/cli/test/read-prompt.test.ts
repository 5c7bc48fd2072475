import { describe, expect, it } from 'vitest';
import { readPrompt } from '../src/read-prompt.ts';
import { captureIo } from './helpers/captured-io.ts';

describe('readPrompt', () => {
  it('uses the argument as is', async () => {
    const io = captureIo({ input: 'ignored' });

    expect(await readPrompt('hello', io)).toBe('hello');
    expect(io.stderrText()).toBe('');
  });

  it('reads piped stdin and says so on stderr', async () => {
    const io = captureIo({ input: 'from stdin\n' });

    expect(await readPrompt(undefined, io)).toBe('from stdin\n');
    expect(io.stderrText()).toBe('Reading prompt from stdin...\n');
  });

  it('reads stdin without the notice when the prompt is -', async () => {
    const io = captureIo({ input: 'dash', stdinIsTty: true });

    expect(await readPrompt('-', io)).toBe('dash');
    expect(io.stderrText()).toBe('');
  });

  it('refuses a TTY stdin with upstream text', async () => {
    const io = captureIo({ stdinIsTty: true });

    await expect(readPrompt(undefined, io)).rejects.toThrow(
      'No prompt provided. Either specify one as an argument or pipe the prompt into stdin.',
    );
  });

  it('refuses blank stdin with upstream text', async () => {
    const io = captureIo({ input: '  \n' });

    await expect(readPrompt(undefined, io)).rejects.toThrow('No prompt provided via stdin.');
  });

  it.each([
    ['a UTF-8 BOM', Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('hi')]), 'hi'],
    ['UTF-16 LE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hi', 'utf16le')]), 'hi'],
    ['UTF-16 BE', Buffer.from([0xfe, 0xff, 0x00, 0x68, 0x00, 0x69]), 'hi'],
  ])('decodes %s', async (_name, input, expected) => {
    expect(await readPrompt(undefined, captureIo({ input }))).toBe(expected);
  });

  it.each([
    ['UTF-32', Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x68, 0, 0, 0])],
    ['invalid UTF-8', Buffer.from([0x68, 0xc3, 0x28])],
  ])('rejects %s with the read-failure text', async (_name, input) => {
    await expect(readPrompt(undefined, captureIo({ input }))).rejects.toThrow(
      /^Failed to read prompt from stdin: /,
    );
  });
});
