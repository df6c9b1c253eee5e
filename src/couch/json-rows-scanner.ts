// Splits a streamed CouchDB list response (`{"results":[row,...],"last_seq":...}` from _changes,
// `{"total_rows":N,"rows":[row,...]}` from _all_docs) into its rows as they arrive, so a reader
// holds one row at a time, never the whole response, and can stop at a byte budget. Pure: bytes
// in, row texts out.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

export interface JsonRowsScannerOptions {
  /** Top-level key of the rows array ('results' for _changes, 'rows' for _all_docs). */
  rowsKey: string;
  /** A row longer than this is never buffered whole: `push` returns 'oversize' instead. */
  maxRowBytes: number;
  /** Bound of everything outside the rows (last_seq, pending, whitespace); default 1 MiB. */
  maxFrameBytes?: number;
}

/** false: stop reading (the caller keeps what it has). */
export type RowHandler = (text: string, bytes: number) => boolean;

export type ScanStatus = 'more' | 'stopped' | 'oversize';

export class JsonRowsScannerError extends Error {
  override name = 'JsonRowsScannerError';
}

export class JsonRowsScanner {
  private readonly rowsKey: Buffer;
  private readonly maxFrameBytes: number;
  private depth = 0;
  private inString = false;
  /** The previous chunk ended inside a string right after a backslash. */
  private escapePending = false;
  private inRows = false;
  /** Bytes of the current top-level string (a key), kept to recognise rowsKey. */
  private key: Buffer[] | undefined;
  private lastKey = Buffer.alloc(0);
  private row: Buffer[] | undefined;
  private rowBytes = 0;
  private readonly frame: Buffer[] = [];
  private frameBytes = 0;
  private done: ScanStatus | undefined;

  constructor(
    private readonly opts: JsonRowsScannerOptions,
    private readonly onRow: RowHandler,
  ) {
    this.rowsKey = Buffer.from(opts.rowsKey);
    this.maxFrameBytes = opts.maxFrameBytes ?? 1024 * 1024;
  }

  /** Feeds the next bytes; after 'stopped' or 'oversize' it must not be fed again. */
  push(chunk: Uint8Array): ScanStatus {
    if (this.done) return this.done;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    // Start of the not yet copied part of this chunk that belongs to the frame or to the row.
    let mark = 0;
    let nextQuote = -2;
    let nextBackslash = -2;
    // Start of the not yet copied part of the key being read (top-level strings only).
    let keyFrom = 0;
    if (this.escapePending) {
      this.escapePending = false;
      i = 1;
    }
    while (i < buf.length) {
      if (this.inString) {
        // Jump to the next quote or backslash (memchr), instead of looking at every byte.
        if (nextQuote !== -1 && nextQuote < i) nextQuote = buf.indexOf(QUOTE, i);
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = buf.indexOf(BACKSLASH, i);
        if (nextBackslash !== -1 && (nextQuote === -1 || nextBackslash < nextQuote)) {
          if (nextBackslash + 1 >= buf.length) this.escapePending = true;
          i = nextBackslash + 2;
          continue;
        }
        if (nextQuote === -1) {
          i = buf.length;
          break;
        }
        this.key?.push(buf.subarray(keyFrom, nextQuote));
        this.inString = false;
        if (this.key) {
          this.lastKey = Buffer.concat(this.key);
          this.key = undefined;
        }
        i = nextQuote + 1;
        continue;
      }
      const c = buf[i]!;
      if (c === QUOTE) {
        this.inString = true;
        if (this.depth === 1) {
          this.key = [];
          keyFrom = i + 1;
        }
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.depth === 0 && c !== OPEN_OBJECT) throw new JsonRowsScannerError('response is not a JSON object');
        this.depth++;
        if (c === OPEN_ARRAY && this.depth === 2 && this.lastKey.equals(this.rowsKey)) this.inRows = true;
        else if (this.inRows && this.depth === 3) {
          if (c !== OPEN_OBJECT) throw new JsonRowsScannerError(`a ${this.opts.rowsKey} item is not an object`);
          this.addFrame(buf.subarray(mark, i));
          mark = i;
          this.row = [];
          this.rowBytes = 0;
        }
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.inRows && this.depth === 2 && this.row) {
          const part = buf.subarray(mark, i + 1);
          this.row.push(part);
          this.rowBytes += part.length;
          mark = i + 1;
          const status = this.endRow();
          if (status) return (this.done = status);
        } else if (this.inRows && this.depth === 1) {
          this.inRows = false;
        }
      } else if (c === COMMA && this.inRows && this.depth === 2) {
        // Separators between rows are left out of the frame, which then parses with an empty array.
        this.addFrame(buf.subarray(mark, i));
        mark = i + 1;
      }
      i++;
    }
    if (this.inString && this.key) this.key.push(buf.subarray(keyFrom));
    const rest = buf.subarray(mark);
    if (this.row) {
      this.row.push(rest);
      this.rowBytes += rest.length;
      if (this.rowBytes > this.opts.maxRowBytes) return (this.done = 'oversize');
    } else {
      this.addFrame(rest);
    }
    return 'more';
  }

  /** The response without its rows (e.g. `{results: [], last_seq, pending}`), once all was pushed. */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString || this.frameBytes === 0) throw new JsonRowsScannerError('response ended early');
    return JSON.parse(Buffer.concat(this.frame).toString('utf8')) as Record<string, unknown>;
  }

  private endRow(): ScanStatus | undefined {
    const parts = this.row!;
    const bytes = this.rowBytes;
    this.row = undefined;
    this.rowBytes = 0;
    if (bytes > this.opts.maxRowBytes) return 'oversize';
    const text = parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts, bytes).toString('utf8');
    return this.onRow(text, bytes) ? undefined : 'stopped';
  }

  private addFrame(part: Buffer): void {
    if (part.length === 0) return;
    this.frameBytes += part.length;
    if (this.frameBytes > this.maxFrameBytes) throw new JsonRowsScannerError(`more than ${this.maxFrameBytes} bytes outside the ${this.opts.rowsKey} array`);
    // Copy: the chunk it points into would otherwise be kept alive.
    this.frame.push(Buffer.from(part));
  }
}
