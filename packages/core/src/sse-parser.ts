/** Receives text chunks of an event stream; calls back with each complete event's data. */
export interface SseDataParser {
  feed(text: string): void;
}

/**
 * The most data one event may hold, with its line breaks: 128 MiB, far above any real event
 * (a base64 image is a few MiB) and well below V8's string limit, so a stream that never ends a line fails
 * with a message instead of exhausting the heap.
 */
export const MAX_EVENT_CHARS = 128 * 1024 * 1024;

/** Characters a line may hold besides its data (`data: `), for the cap on an unfinished line. */
const LINE_PREFIX_ALLOWANCE = 16;

/** Pieces of an unfinished line joined into one string at a time, so many tiny writes cost little memory. */
const PIECES_PER_JOIN = 1024;

const LINE_FEED = 10;
const COLON = 58;
const SPACE = 32;

/**
 * Splits event-stream text into the `data` of each event, as the WHATWG rules read it: lines end with
 * CRLF, LF or CR (also across chunks), `:` lines are comments, several `data:` lines join with `\n`, one
 * space after the colon is dropped, and a blank line ends an event (one without data is not reported).
 * The other fields (`event`, `id`, `retry`) are skipped: the Responses API names each event in its data.
 *
 * One pass over each chunk with `indexOf`; the only allocation per event is its data string. A line split
 * over many chunks is joined once it ends. An event over `maxEventChars` makes `feed` throw.
 */
export function createSseDataParser(
  onData: (data: string) => void,
  maxEventChars = MAX_EVENT_CHARS,
): SseDataParser {
  let carry: string[] = []; // the pieces of an unfinished line (none holds a CR or LF)
  let carryChars = 0;
  let joinedPieces = 0; // carry[0, joinedPieces) are already joins of PIECES_PER_JOIN pieces
  let data: string | null = null; // the current event's first data line
  let moreData: string[] | null = null; // its further data lines, joined PIECES_PER_JOIN at a time
  let joinedLines = 0; // moreData[0, joinedLines) are already joins
  let dataChars = 0; // the event's data so far, with its line breaks
  // Stryker disable next-line BooleanLiteral: the first chunk has no line before it, so skipping a leading LF there only skips a blank line that ends no event
  let afterCarriageReturn = false; // the previous chunk ended with CR: a leading LF belongs to it

  const line = (text: string, start: number, end: number): void => {
    if (start === end) {
      if (data !== null) {
        const complete = moreData === null ? data : `${data}\n${moreData.join('\n')}`;
        data = null;
        moreData = null;
        joinedLines = 0;
        dataChars = 0;
        onData(complete);
      }
      return;
    }
    const first = text.charCodeAt(start);
    // Stryker disable next-line ConditionalExpression: a comment line also fails the `data` name check below; this return only saves the work
    if (first === COLON) return;
    // the common case first: `data:` at the start of the line
    let valueStart: number;
    if (
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the fast path is an optimisation; a `data:` line it skips is read the same by the general branch below
      first === 100 && // d
      // Stryker disable next-line EqualityOperator,ArithmeticOperator: shorter lines are `data` at most, whose fifth character is the line end, never a colon
      end - start >= 5 &&
      text.charCodeAt(start + 4) === COLON &&
      // Stryker disable next-line MethodExpression: the text before a line always ends with a line break, so endsWith('data') is false and the general branch reads the line
      text.startsWith('data', start)
    ) {
      valueStart = start + 5;
    } else {
      const colon = text.indexOf(':', start);
      const nameEnd = colon === -1 || colon > end ? end : colon;
      if (nameEnd - start !== 4 || !text.startsWith('data', start)) return;
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: only a bare `data` line (no colon) gets here, where nameEnd is end and the value is empty
      valueStart = nameEnd === end ? end : nameEnd + 1;
    }
    // Stryker disable next-line EqualityOperator: at valueStart === end the character is the line break, never a space
    if (valueStart < end && text.charCodeAt(valueStart) === SPACE) valueStart += 1;
    const value = text.slice(valueStart, end);
    dataChars += data === null ? value.length : value.length + 1;
    if (dataChars > maxEventChars) tooLarge();
    if (data === null) {
      data = value;
      return;
    }
    // each further line kept apart (a chain of `a + b` would cost ~32 bytes a line: an endless run of empty
    // `data` lines would exhaust the heap long before the cap), and joined a thousand at a time
    moreData ??= [];
    moreData.push(value);
    if (moreData.length - joinedLines >= PIECES_PER_JOIN) {
      moreData.push(moreData.splice(joinedLines).join('\n'));
      joinedLines = moreData.length;
    }
  };

  const tooLarge = (): never => {
    carry = [];
    data = null;
    moreData = null;
    throw new Error(
      `an event over ${maxEventChars / 1024 / 1024} MiB arrived; the stream was stopped`,
    );
  };

  /** Keeps a piece of the unfinished line; every PIECES_PER_JOIN pieces become one string. */
  const keep = (piece: string): void => {
    carryChars += piece.length;
    // the line still holds its field name (`data: `), so it may be that much longer than the data
    if (carryChars + dataChars > maxEventChars + LINE_PREFIX_ALLOWANCE) tooLarge();
    carry.push(piece);
    if (carry.length - joinedPieces >= PIECES_PER_JOIN) {
      carry.push(carry.splice(joinedPieces).join(''));
      joinedPieces = carry.length;
    }
  };

  return {
    feed(chunk: string): void {
      let position = 0;
      if (afterCarriageReturn && chunk.charCodeAt(0) === LINE_FEED) position = 1;
      afterCarriageReturn = false;
      const length = chunk.length;
      // Stryker disable next-line StringLiteral: searching finds the same CR, or none; the check only saves the search
      let nextCarriageReturn = chunk.includes('\r') ? chunk.indexOf('\r', position) : -1;
      // Stryker disable next-line EqualityOperator: one more pass at position === length finds no line end and carries an empty string
      while (position < length) {
        let end = chunk.indexOf('\n', position);
        // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: searching for the next CR again finds the same index; skipping the search is an optimisation
        if (nextCarriageReturn !== -1 && nextCarriageReturn < position) {
          nextCarriageReturn = chunk.indexOf('\r', position);
        }
        let next: number;
        if (nextCarriageReturn !== -1 && (end === -1 || nextCarriageReturn < end)) {
          end = nextCarriageReturn;
          if (end + 1 === length) {
            afterCarriageReturn = true;
            next = length;
          } else {
            next = chunk.charCodeAt(end + 1) === LINE_FEED ? end + 2 : end + 1;
          }
        } else if (end === -1) {
          // an unfinished line: kept in pieces and joined once it ends, so a line that arrives in many
          // chunks (a large event) costs its length, not its length times its chunks
          keep(position === 0 ? chunk : chunk.slice(position));
          return;
        } else {
          next = end + 1;
        }
        if (carry.length === 0) {
          line(chunk, position, end);
        } else {
          keep(chunk.slice(position, end));
          const whole = carry.join('');
          carry = [];
          carryChars = 0;
          joinedPieces = 0;
          line(whole, 0, whole.length);
        }
        position = next;
      }
    },
  };
}
