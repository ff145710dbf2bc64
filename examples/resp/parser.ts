/**
 * An incremental RESP2 request parser: multibulk frames (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`)
 * and inline commands (`PING\r\n`, as typed into telnet), split across arbitrary chunk
 * boundaries. Limits and error wording follow Redis's `processMultibulkBuffer` and
 * `processInlineBuffer`, so clients see the same `-ERR Protocol error: …` replies.
 */

/** Redis's `proto-max-bulk-len` default: 512 MiB. */
export const MAX_BULK_LEN = 512 * 1024 * 1024;
/** Redis refuses a multibulk of more than 1024 × 1024 elements. */
export const MAX_MULTIBULK_LEN = 1024 * 1024;
/** Redis's `PROTO_INLINE_MAX_SIZE`: an inline request (or a length line) longer than this without CRLF is refused. */
export const MAX_INLINE_LEN = 64 * 1024;

/** A malformed request; `message` is the text after `-ERR ` in the reply. */
export class RespProtocolError extends Error {
  readonly code = 'ERR_RESP_PROTOCOL';
  constructor(detail: string) {
    super(`Protocol error: ${detail}`);
    this.name = 'RespProtocolError';
  }
}

const CR = 13;
const LF = 10;

/**
 * Parses requests from a byte stream. Feed it every chunk; it returns each complete
 * command (an argv of Buffers) and keeps the incomplete tail. The argv Buffers may be
 * views into the fed chunks: copy what outlives the call.
 *
 * After a {@link RespProtocolError} the parser is unusable; the connection should
 * reply with the error and close, as Redis does.
 */
export class RespParser {
  /** Unconsumed chunks; concatenated only once there is enough to make progress. */
  #chunks: Buffer[] = [];
  #pending = 0;
  /** Bytes needed before parsing is worth retrying (a whole bulk, or one more byte). */
  #want = 1;
  /** The multibulk in progress: elements still expected, and those parsed so far. */
  #remaining = 0;
  #args: Buffer[] = [];
  #failed = false;

  /**
   * Parses `chunk` and returns every command it completes, in order.
   *
   * @throws {RespProtocolError} on malformed input (the commands before it are lost: use
   *   {@link RespParser.feedInto} to keep them).
   */
  feed(chunk: Buffer): Buffer[][] {
    const out: Buffer[][] = [];
    const error = this.feedInto(chunk, out);
    if (error) throw error;
    return out;
  }

  /**
   * Parses `chunk`, appending complete commands to `out`; returns the protocol error that
   * stopped parsing, if any (commands before it are still in `out`, as Redis runs them).
   */
  feedInto(chunk: Buffer, out: Buffer[][]): RespProtocolError | null {
    if (this.#failed) return new RespProtocolError('parser closed after an earlier error');
    if (chunk.length === 0) return null;
    this.#chunks.push(chunk);
    this.#pending += chunk.length;
    if (this.#pending < this.#want) return null;
    const buf = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#pending);
    let pos = 0;
    try {
      for (;;) {
        const next = this.#parseOne(buf, pos, out);
        if (next < 0) break;
        pos = next;
      }
    } catch (error) {
      this.#failed = true;
      this.#chunks = [];
      this.#pending = 0;
      if (error instanceof RespProtocolError) return error;
      throw error;
    }
    const rest = buf.subarray(pos);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#pending = rest.length;
    return null;
  }

  /** Parses one step from `pos`; returns the new position, or -1 when more data is needed. */
  #parseOne(buf: Buffer, pos: number, out: Buffer[][]): number {
    if (pos >= buf.length) {
      this.#want = 1;
      return -1;
    }
    if (this.#remaining === 0) {
      if (buf[pos] !== 0x2a /* '*' */) return this.#parseInline(buf, pos, out);
      const eol = this.#findLine(buf, pos, 'too big mbulk count string');
      if (eol < 0) return -1;
      const n = parseInteger(buf, pos + 1, eol);
      if (n === null || n > MAX_MULTIBULK_LEN) throw new RespProtocolError('invalid multibulk length');
      // Redis skips `*0` and negative counts without replying.
      if (n > 0) {
        this.#remaining = n;
        this.#args = [];
      }
      return eol + 2;
    }
    if (buf[pos] !== 0x24 /* '$' */) {
      throw new RespProtocolError(`expected '$', got '${String.fromCharCode(buf[pos]!)}'`);
    }
    const eol = this.#findLine(buf, pos, 'too big bulk count string');
    if (eol < 0) return -1;
    const len = parseInteger(buf, pos + 1, eol);
    if (len === null || len < 0 || len > MAX_BULK_LEN) throw new RespProtocolError('invalid bulk length');
    const start = eol + 2;
    const end = start + len;
    if (buf.length < end + 2) {
      this.#want = end + 2 - pos;
      // Not consumed: the bulk header is parsed again when the payload is complete.
      return -1;
    }
    this.#args.push(buf.subarray(start, end));
    if (--this.#remaining === 0) {
      out.push(this.#args);
      this.#args = [];
    }
    return end + 2;
  }

  /** The index of the `\r` ending the line at `pos`, or -1 (then `#want` is set). */
  #findLine(buf: Buffer, pos: number, tooBig: string): number {
    const cr = buf.indexOf(CR, pos);
    if (cr < 0 || cr + 1 >= buf.length) {
      if (buf.length - pos > MAX_INLINE_LEN) throw new RespProtocolError(tooBig);
      this.#want = buf.length - pos + 1;
      return -1;
    }
    if (buf[cr + 1] !== LF) throw new RespProtocolError('invalid line ending');
    return cr;
  }

  #parseInline(buf: Buffer, pos: number, out: Buffer[][]): number {
    const lf = buf.indexOf(LF, pos);
    if (lf < 0) {
      if (buf.length - pos > MAX_INLINE_LEN) throw new RespProtocolError('too big inline request');
      this.#want = buf.length - pos + 1;
      return -1;
    }
    const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    const argv = splitInline(buf.subarray(pos, end));
    if (argv.length > 0) out.push(argv);
    return lf + 1;
  }
}

/** A decimal integer in `buf[start, end)`, or null if it is not one (Redis's `string2ll`). */
function parseInteger(buf: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 20) return null;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d /* '-' */) {
    negative = true;
    if (++i === end) return null;
  }
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

const QUOTE_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, a: 7 };

/** Splits an inline request into arguments, with quotes and escapes as `sdssplitargs`. */
function splitInline(line: Buffer): Buffer[] {
  const args: Buffer[] = [];
  let i = 0;
  const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
  while (i < line.length) {
    while (i < line.length && isSpace(line[i])) i++;
    if (i >= line.length) break;
    const quote = line[i] === 0x22 || line[i] === 0x27 ? line[i]! : 0;
    if (quote === 0) {
      const start = i;
      while (i < line.length && !isSpace(line[i])) i++;
      args.push(line.subarray(start, i));
      continue;
    }
    const bytes: number[] = [];
    i++;
    for (;;) {
      if (i >= line.length) throw new RespProtocolError('unbalanced quotes in request');
      const c = line[i]!;
      if (c === quote) {
        i++;
        if (i < line.length && !isSpace(line[i])) throw new RespProtocolError('unbalanced quotes in request');
        break;
      }
      if (quote === 0x22 && c === 0x5c /* '\\' */ && i + 1 < line.length) {
        const e = String.fromCharCode(line[i + 1]!);
        const hex = line.subarray(i + 2, i + 4).toString('latin1');
        if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 4;
        } else {
          bytes.push(QUOTE_ESCAPES[e] ?? line[i + 1]!);
          i += 2;
        }
        continue;
      }
      if (quote === 0x27 && c === 0x5c && line[i + 1] === 0x27) {
        bytes.push(0x27);
        i += 2;
        continue;
      }
      bytes.push(c);
      i++;
    }
    args.push(Buffer.from(bytes));
  }
  return args;
}
