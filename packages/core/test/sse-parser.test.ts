import { describe, expect, it } from 'vitest';
import { createSseDataParser } from '../src/sse-parser.ts';

/** Feeds the chunks in order and returns the data of each event the parser reported. */
function parse(...chunks: string[]): string[] {
  const seen: string[] = [];
  const parser = createSseDataParser((data) => seen.push(data));
  for (const chunk of chunks) parser.feed(chunk);
  return seen;
}

describe('createSseDataParser', () => {
  it('reports one event per blank line, and nothing for an event without data', () => {
    expect(parse('data: a\n\n', 'event: x\n\n', '\n\n', 'data: b\n\n')).toEqual(['a', 'b']);
  });

  it('does not report an event until its blank line arrives', () => {
    expect(parse('data: a\n')).toEqual([]);
    expect(parse('data: a\n', 'data: b\n')).toEqual([]);
    expect(parse('data: a\n', '\n')).toEqual(['a']);
  });

  it('joins several data lines with LF and starts afresh after each event', () => {
    expect(parse('data: one\ndata: two\n\ndata: three\n\n')).toEqual(['one\ntwo', 'three']);
  });

  it('drops exactly one space after the colon', () => {
    expect(parse('data:none\n\ndata: one\n\ndata:  two\n\ndata:\t tab\n\n')).toEqual([
      'none',
      'one',
      ' two',
      '\t tab',
    ]);
  });

  it('reads a field name without a colon as a field with an empty value', () => {
    expect(parse('data\n\n')).toEqual(['']);
    expect(parse('data\ndata\n\n')).toEqual(['\n']);
    expect(parse('data\ndata: x\n\n')).toEqual(['\nx']);
    expect(parse('data:\n\n')).toEqual(['']);
    expect(parse('data: \n\n')).toEqual(['']);
  });

  it('ignores comments and every other field, however close to `data` it is named', () => {
    expect(
      parse(
        ': data: comment\n',
        'datax: 1\n',
        'dat: 2\n',
        'dota: 3\n',
        'done: 4\n',
        'Data: 5\n',
        ' data: 6\n',
        'datum\n',
        'd\n',
        'id: 7\nevent: e\nretry: 1\n',
        '\n',
      ),
    ).toEqual([]);
    expect(parse('datax\n', 'data: kept\n', 'd:x\n\n')).toEqual(['kept']);
  });

  it('keeps colons in the value', () => {
    expect(parse('data: a:b: c\n\n', 'data:: x\n\n')).toEqual(['a:b: c', ': x']);
  });

  it('ends lines at CR, LF and CRLF alike', () => {
    expect(parse('data: cr\r\rdata: lf\n\ndata: crlf\r\n\r\n')).toEqual(['cr', 'lf', 'crlf']);
    expect(parse('data: a\rdata: b\r\n\r')).toEqual(['a\nb']);
    expect(parse('data: a\ndata: b\r\n\n')).toEqual(['a\nb']);
  });

  it('treats a CRLF split across two chunks as one line end', () => {
    expect(parse('data: a\r', '\ndata: b\n\n')).toEqual(['a\nb']);
    expect(parse('data: a\r', '\n', '\n')).toEqual(['a']);
  });

  it('treats a CR at the end of a chunk followed by other text as a line end', () => {
    expect(parse('data: a\r', 'data: b\r', '\r')).toEqual(['a\nb']);
    expect(parse('data: a\r', '\r')).toEqual(['a']);
  });

  it('forgets a chunk-final CR once the next chunk has been read', () => {
    // LF that follows a CR-terminated chunk belongs to it; an LF in a later chunk is a line end
    expect(parse('data: a\r', 'data: b\n', '\n')).toEqual(['a\nb']);
    expect(parse('data: a\r', '', '\n')).toEqual(['a']);
  });

  it('joins a line split across chunks, including a split inside `data:`', () => {
    expect(parse('da', 'ta: jo', 'ined\n', '\n')).toEqual(['joined']);
    expect(parse('data: x', 'y\r', '\r')).toEqual(['xy']);
    expect(parse('data', '\n\n')).toEqual(['']);
  });

  it('joins a carried line with a chunk that holds CRs further on', () => {
    expect(parse('data: he', 'llo\ndata: two\r\r')).toEqual(['hello\ntwo']);
    expect(parse('data: he', 'llo\rdata: w\norld\r\n\r\n')).toEqual(['hello\nw']);
  });

  it('finds every CR in a chunk with CRs and LFs interleaved', () => {
    expect(parse('data: 1\ndata: 2\rdata: 3\ndata: 4\r\n\rdata: 5\r\r')).toEqual([
      '1\n2\n3\n4',
      '5',
    ]);
  });

  it('reports events in the order they complete within one chunk', () => {
    expect(parse('data: a\n\ndata: b\n\ndata: c\n')).toEqual(['a', 'b']);
  });
});
