import { describe, expect, it } from 'vitest';
import { createSseDataParser } from '../src/sse-parser.ts';

function parse(...chunks: string[]): string[] {
  const seen: string[] = [];
  const parser = createSseDataParser((data) => seen.push(data));
  for (const chunk of chunks) parser.feed(chunk);
  return seen;
}

describe('createSseDataParser edge cases', () => {
  it('looks for the colon of `data:` at the line start, not four characters before it', () => {
    expect(parse('x:yz\ndatax\n\n')).toEqual([]);
  });

  it('moves past a CR near the start of a chunk to the lines after it', () => {
    expect(parse('a\rdata: x\n\n')).toEqual(['x']);
  });

  it('ends one line, not two, at each CRLF between data lines', () => {
    expect(parse('data: a\r\ndata: b\r\n\r\n')).toEqual(['a\nb']);
  });

  it('carries only the unfinished rest of a chunk into the next one', () => {
    expect(parse('data: a\ndata: b', '\n\n')).toEqual(['a\nb']);
  });
});
