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

describe('large and endless events', () => {
  it('joins a line split into thousands of one-character pieces exactly', () => {
    const seen: string[] = [];
    const parser = createSseDataParser((data) => seen.push(data));
    const value = `${'é€'.repeat(2500)}!`;
    for (const character of `data: ${value}`) parser.feed(character);
    parser.feed('\n\n');

    expect(seen).toEqual([value]);
  });

  it('stops an event that grows past the limit, in one line or in many data lines', () => {
    const oneLine = createSseDataParser(() => undefined, 1000);
    oneLine.feed('data: ');
    expect(() => {
      for (let index = 0; index < 20; index += 1) oneLine.feed('x'.repeat(100));
    }).toThrow('an event over');

    const manyLines = createSseDataParser(() => undefined, 1000);
    expect(() => {
      for (let index = 0; index < 20; index += 1) manyLines.feed(`data: ${'y'.repeat(100)}\n`);
    }).toThrow('an event over');
  });

  it('delivers an event of exactly the limit', () => {
    const seen: string[] = [];
    const parser = createSseDataParser((data) => seen.push(data), 1000);
    parser.feed(`data:${'z'.repeat(995)}`); // the line holds 1000 characters with its field name
    parser.feed('\n\n');

    expect(seen).toEqual(['z'.repeat(995)]);
  });
});

describe('many data lines in one event', () => {
  it('joins thousands of data lines with line breaks, exactly', () => {
    const seen: string[] = [];
    const parser = createSseDataParser((data) => seen.push(data));
    const lines = Array.from({ length: 3000 }, (_, index) => `L${index}`);
    parser.feed(lines.map((line) => `data: ${line}\n`).join(''));
    parser.feed('\n');

    expect(seen).toEqual([lines.join('\n')]);
  });

  it('counts the line breaks of empty data lines toward the limit', () => {
    const parser = createSseDataParser(() => undefined, 1000);

    expect(() => parser.feed('data\n'.repeat(2000))).toThrow('an event over');
  });

  it('takes data of exactly the limit although its line is longer by the field name', () => {
    const seen: string[] = [];
    const parser = createSseDataParser((data) => seen.push(data), 1000);
    for (const piece of ['data: ', 'z'.repeat(500), 'z'.repeat(500)]) parser.feed(piece);
    parser.feed('\n\n');

    expect(seen).toEqual(['z'.repeat(1000)]);
  });
});
