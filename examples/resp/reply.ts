/**
 * RESP2 reply encoding into one growing buffer per batch, so the replies to every command
 * of a pipelined chunk leave in a single write.
 */

/** Payloads at least this large are passed by reference instead of copied. */
const COPY_LIMIT = 16 * 1024;
const INITIAL_SIZE = 4 * 1024;

/**
 * Accumulates replies. {@link ReplyWriter.take} hands out what was written and starts
 * afresh: the transport keeps unsent data by reference, so a taken buffer is never reused.
 */
export class ReplyWriter {
  #chunks: Buffer[] = [];
  #buf: Buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  #off = 0;

  /** `+text\r\n`; `text` must not contain CR or LF. */
  simple(text: string): void {
    this.#ascii(`+${text}\r\n`);
  }

  /** `-text\r\n`: `text` starts with the error code (`ERR`, `WRONGTYPE`, …). */
  error(text: string): void {
    this.#ascii(`-${text.replace(/[\r\n]+/g, ' ')}\r\n`);
  }

  /** `:n\r\n`. */
  integer(n: number | bigint): void {
    this.#ascii(`:${n}\r\n`);
  }

  /** `$len\r\n…\r\n`, or the null bulk `$-1\r\n` for `null`. */
  bulk(value: Buffer | string | null): void {
    if (value === null) {
      this.#ascii('$-1\r\n');
      return;
    }
    if (typeof value === 'string') value = Buffer.from(value);
    this.#ascii(`$${value.length}\r\n`);
    this.#bytes(value);
    this.#ascii('\r\n');
  }

  /** `*n\r\n`, the header of an array whose `n` elements follow; `-1` is the null array. */
  arrayHeader(n: number): void {
    this.#ascii(`*${n}\r\n`);
  }

  /** An array of bulk strings (`null` elements are null bulks). */
  bulkArray(values: readonly (Buffer | string | null)[]): void {
    this.arrayHeader(values.length);
    for (const v of values) this.bulk(v);
  }

  /** Whether anything was written since the last {@link ReplyWriter.take}. */
  get empty(): boolean {
    return this.#off === 0 && this.#chunks.length === 0;
  }

  /** Everything written since the last call, as chunks for one `writeLines`. */
  take(): Buffer[] {
    if (this.#off > 0) {
      this.#chunks.push(this.#buf.subarray(0, this.#off));
      this.#buf = this.#buf.length - this.#off >= INITIAL_SIZE
        ? this.#buf.subarray(this.#off)
        : Buffer.allocUnsafe(INITIAL_SIZE);
      this.#off = 0;
    }
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }

  #reserve(n: number): void {
    if (this.#buf.length - this.#off >= n) return;
    if (this.#off > 0) this.#chunks.push(this.#buf.subarray(0, this.#off));
    this.#buf = Buffer.allocUnsafe(Math.max(n, INITIAL_SIZE * 4));
    this.#off = 0;
  }

  #ascii(text: string): void {
    // Headers and simple replies are short; latin1 keeps one byte per char for binary-safe
    // key names echoed in error messages.
    this.#reserve(text.length);
    this.#off += this.#buf.write(text, this.#off, 'latin1');
  }

  #bytes(value: Buffer): void {
    if (value.length >= COPY_LIMIT) {
      if (this.#off > 0) {
        this.#chunks.push(this.#buf.subarray(0, this.#off));
        this.#buf = this.#buf.subarray(this.#off);
        this.#off = 0;
      }
      this.#chunks.push(value);
      return;
    }
    this.#reserve(value.length);
    this.#off += value.copy(this.#buf, this.#off);
  }
}
