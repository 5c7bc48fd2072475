/** Longest JSON-RPC line the app-server reads (bytes, without the newline). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Deepest JSON nesting the app-server parses (serde_json's recursion limit). */
export const MAX_JSON_DEPTH = 128;

export interface LineReaderHandlers {
  readonly onLine: (line: string) => void;
  /** A line longer than the cap: its bytes were dropped up to the next newline. */
  readonly onOverlong: (bytes: number) => void;
  readonly onClose: () => void;
}

/** A newline splitter for `input` that never buffers more than `maxLineBytes` of one line. */
export interface LineReader {
  /** Stops reading input (backpressure) until {@link resume}. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
}

/** Reads `input` as newline-delimited lines (`\r\n` accepted), capped at `maxLineBytes` each. */
export function readLines(
  input: NodeJS.ReadableStream,
  handlers: LineReaderHandlers,
  maxLineBytes: number = MAX_LINE_BYTES,
): LineReader {
  let parts: Buffer[] = [];
  let length = 0;
  // bytes of an overlong line dropped so far; the line is reported once its newline arrives
  let dropping = -1;
  let paused = false;
  let closed = false;

  const emit = (last: Buffer): void => {
    if (dropping >= 0) {
      handlers.onOverlong(dropping + last.length);
      dropping = -1;
    } else {
      let line = Buffer.concat([...parts, last]).toString('utf8');
      if (line.endsWith('\r')) line = line.slice(0, -1);
      handlers.onLine(line);
    }
    parts = [];
    length = 0;
  };

  const keep = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    if (dropping >= 0) {
      dropping += chunk.length;
      return;
    }
    if (length + chunk.length > maxLineBytes) {
      dropping = length + chunk.length;
      parts = [];
      length = 0;
      return;
    }
    parts.push(chunk);
    length += chunk.length;
  };

  input.on('data', (data: Buffer | string) => {
    let chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10)) {
      emit(chunk.subarray(0, newline));
      chunk = chunk.subarray(newline + 1);
    }
    keep(chunk);
  });
  const close = (): void => {
    if (closed) return;
    closed = true;
    if (dropping >= 0) handlers.onOverlong(dropping);
    else if (length > 0) emit(Buffer.alloc(0));
    handlers.onClose();
  };
  input.on('end', close);
  input.on('close', close);
  input.on('error', close);

  return {
    pause() {
      paused = true;
      input.pause();
    },
    resume() {
      paused = false;
      input.resume();
    },
    get paused() {
      return paused;
    },
  };
}

/**
 * How deeply `text` (JSON) nests arrays and objects, counted without parsing; stops counting past `limit`.
 * Brackets inside strings do not count.
 */
export function jsonDepthExceeds(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index += 1; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}
