/**
 * asyncio's `StreamReader`, in camelCase: awaitable reads over a buffer that a protocol
 * feeds. A cancelled read consumes nothing: every method waits first and takes bytes
 * only in the step that returns them.
 */
import { BusyResourceError, IncompleteReadError, InvalidArgumentError, InvalidStateError, LimitOverrunError } from '../errors.js';
import { optionOf, signalOf, type SignalOptions } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import type { Transport } from '../protocols/types.js';
import { ByteBuffer } from './byte-buffer.js';

/** The default buffer limit: 64 KiB, as asyncio's. */
export const kDefaultLimit = 64 * 1024;

/**
 * Reads completed from the buffer without waiting, in a row, before one of them yields a
 * macrotask turn (DESIGN.md decision 15), so a connection whose buffer always holds data
 * cannot starve timers, Node's I/O or other connections.
 */
const kReadBudget = 64;
const kNewline = Buffer.from('\n');

/** Options of {@link StreamReader}. */
export interface StreamReaderOptions {
  /**
   * The most bytes `readUntil`/`readLine` look through for a separator, and the flow
   * control threshold: the transport pauses above twice this and resumes at or below it.
   * @defaultValue 65536
   */
  limit?: number;
}

/** @internal Validates a `limit` option (a positive integer). */
export function limitOf(options: unknown, where: string): number {
  const limit = optionOf(options, 'limit', where);
  if (limit === undefined) return kDefaultLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit <= 0) {
    throw new InvalidArgumentError(`${where}: limit must be a positive integer, got ${describeValue(limit)}`);
  }
  return limit;
}

function separatorOf(sep: unknown): Buffer {
  if (typeof sep === 'string') {
    if (sep === '') throw new InvalidArgumentError('readUntil: separator must not be empty');
    return Buffer.from(sep);
  }
  if (sep instanceof Uint8Array) {
    if (sep.byteLength === 0) throw new InvalidArgumentError('readUntil: separator must not be empty');
    return Buffer.from(sep);
  }
  throw new InvalidArgumentError(`readUntil: separator must be a string or a Uint8Array, got ${describeValue(sep)}`);
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A `read(n)` waiting for data: settled by `feedData`/`feedEof`/`setException` with its
 * result directly (no async frame of its own stays alive while a connection is idle).
 */
class DirectRead {
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly n: number,
    readonly resolve: (data: Buffer) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}
}

// `new Promise(capture)` hands its resolving functions over without an executor closure.
let capturedResolve: ((data: Buffer) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;
function capture(resolve: (data: Buffer) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * Awaitable reads from a connection (asyncio's `StreamReader`). Made by
 * {@link openConnection} and {@link startServer}; one read at a time (a second
 * concurrent read rejects with {@link BusyResourceError}).
 *
 * Every read takes `{ signal }`: cancelling rejects with `signal.reason` and leaves every
 * buffered byte for the next read.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openConnection({ host: 'localhost', port });
 * const header = await reader.readExactly(4);
 * const body = await reader.readExactly(header.readUInt32BE(0));
 * for await (const line of reader) console.log(line.toString());
 * ```
 */
export class StreamReader implements AsyncIterable<Buffer> {
  #limit: number;
  #buffer = new ByteBuffer();
  #eof = false;
  #exception: Error | null = null;
  #waiter: Waiter | DirectRead | null = null;
  #busy: string | null = null;
  #transport: Transport | null = null;
  #paused = false;
  #immediate = 0;

  /** @throws {InvalidArgumentError} unless `limit` is a positive integer. */
  constructor(options?: StreamReaderOptions) {
    this.#limit = limitOf(options, 'StreamReader');
  }

  /** The buffer limit (see {@link StreamReaderOptions.limit}). */
  get limit(): number {
    return this.#limit;
  }

  /** Bytes buffered and not read yet. */
  get bufferedSize(): number {
    return this.#buffer.length;
  }

  /** The stored error reads reject with, or `null`. */
  exception(): Error | null {
    return this.#exception;
  }

  /** Stores `error`: the pending read and every later read reject with it. */
  setException(error: Error): void {
    if (!(error instanceof Error)) throw new InvalidArgumentError(`setException: error must be an Error, got ${describeValue(error)}`);
    this.#exception = error;
    this.#wakeup(error);
  }

  /** @internal The transport to pause and resume (set by the protocol on connection). */
  setTransport(transport: Transport | null): void {
    this.#transport = transport;
  }

  /**
   * Appends received data (the protocol calls this). The reader may keep `data`; do not
   * modify it afterwards.
   *
   * @throws {InvalidStateError} after {@link StreamReader.feedEof}.
   */
  feedData(data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError(`feedData: data must be a Uint8Array, got ${describeValue(data)}`);
    if (this.#eof) throw new InvalidStateError('feedData() after feedEof()');
    if (data.byteLength === 0) return;
    const waiting = this.#waiter !== null;
    this.#buffer.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.#wakeup(null);
    // A read that was waiting wants more: it runs next and consumes or waits again (which
    // would resume at once), so pausing now would only churn the registration.
    if (!waiting && !this.#paused && this.#transport !== null && this.#buffer.length > 2 * this.#limit) {
      this.#paused = true;
      this.#transport.pauseReading();
    }
  }

  /** Marks the end of the stream (the protocol calls this on EOF). Idempotent. */
  feedEof(): void {
    this.#eof = true;
    this.#wakeup(null);
  }

  /** True once EOF was fed and every buffered byte was read. */
  atEof(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  /**
   * Reads up to `n` bytes: resolves as soon as at least one is buffered. With `n` = -1
   * (the default), reads to EOF. Resolves with an empty Buffer at EOF, and at once for
   * `n` = 0.
   *
   * @throws {InvalidArgumentError} unless `n` is an integer >= -1.
   * @throws {BusyResourceError} while another read is pending.
   */
  read(n = -1, options?: SignalOptions): Promise<Buffer> {
    // Not an async function: a read that returns buffered data costs one resolved
    // Promise, and one that waits is settled by feedData with its bytes (no async frame
    // and no second Promise stay alive per waiting connection).
    try {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < -1) {
        throw new InvalidArgumentError(`read: n must be an integer >= -1, got ${describeValue(n)}`);
      }
      const signal = signalOf(options, 'read');
      if (n < 0 || this.#immediate >= kReadBudget) return this.#readSlow(n, signal);
      this.#enter('read', signal);
      if (this.#exception !== null) {
        this.#busy = null;
        return Promise.reject(this.#exception);
      }
      if (n === 0 || this.#buffer.length > 0 || this.#eof) {
        this.#busy = null;
        return Promise.resolve(this.#done(n === 0 ? Buffer.alloc(0) : this.#take(Math.min(n, this.#buffer.length))));
      }
      this.#immediate = 0;
      if (this.#paused) {
        this.#paused = false;
        this.#transport?.resumeReading();
      }
      const promise = new Promise<Buffer>(capture);
      const waiter = new DirectRead(n, capturedResolve!, capturedReject!, signal);
      capturedResolve = capturedReject = undefined;
      this.#waiter = waiter;
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (this.#waiter !== waiter) return;
          this.#waiter = null;
          this.#busy = null;
          waiter.reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      return promise;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** read() past the budget, or to EOF. */
  async #readSlow(n: number, signal: AbortSignal | undefined): Promise<Buffer> {
    this.#enter('read', signal);
    try {
      const turn = this.#budget(signal);
      if (turn !== null) await turn;
      this.#check();
      if (n < 0) {
        // Everything up to EOF; flow control stays off while this waits (feedData does
        // not pause a waiting reader), so the whole stream arrives.
        while (!this.#eof) await this.#wait(signal);
        return this.#done(this.#take(this.#buffer.length));
      }
      while (this.#buffer.length === 0 && !this.#eof) await this.#wait(signal);
      return this.#done(this.#take(Math.min(n, this.#buffer.length)));
    } finally {
      this.#busy = null;
    }
  }

  /**
   * Reads exactly `n` bytes.
   *
   * @throws {IncompleteReadError} if EOF comes first (`partial` holds what arrived; it is
   *   consumed).
   * @throws {InvalidArgumentError} unless `n` is an integer >= 0.
   */
  async readExactly(n: number, options?: SignalOptions): Promise<Buffer> {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(`readExactly: n must be an integer >= 0, got ${describeValue(n)}`);
    }
    const signal = signalOf(options, 'readExactly');
    this.#enter('readExactly', signal);
    try {
      const turn = this.#budget(signal);
      if (turn !== null) await turn;
      this.#check();
      while (this.#buffer.length < n) {
        if (this.#eof) throw new IncompleteReadError(this.#take(this.#buffer.length), n);
        await this.#wait(signal);
      }
      return this.#done(this.#take(n));
    } finally {
      this.#busy = null;
    }
  }

  /**
   * Reads up to and including `separator` (default `'\n'`; a string is UTF-8 encoded).
   *
   * @throws {LimitOverrunError} if no separator is found within the limit, or the line is
   *   longer than it; the data stays buffered.
   * @throws {IncompleteReadError} at EOF without a separator (`partial` holds the rest;
   *   the buffer is cleared).
   * @throws {InvalidArgumentError} for an empty or non-string, non-Uint8Array separator.
   */
  async readUntil(separator: string | Uint8Array = kNewline, options?: SignalOptions): Promise<Buffer> {
    const sep = separatorOf(separator);
    const signal = signalOf(options, 'readUntil');
    this.#enter('readUntil', signal);
    try {
      const turn = this.#budget(signal);
      if (turn !== null) await turn;
      this.#check();
      return this.#done(await this.#readUntil(sep, signal));
    } finally {
      this.#busy = null;
    }
  }

  /**
   * Reads one line, up to and including `'\n'`. At EOF resolves with the partial last
   * line, then with an empty Buffer.
   *
   * @throws {LimitOverrunError} past the limit (asyncio raises `ValueError` there); as in
   *   asyncio the line is consumed if its end was found, otherwise the buffer is cleared.
   */
  async readLine(options?: SignalOptions): Promise<Buffer> {
    const signal = signalOf(options, 'readLine');
    this.#enter('readLine', signal);
    try {
      const turn = this.#budget(signal);
      if (turn !== null) await turn;
      this.#check();
      try {
        return this.#done(await this.#readUntil(kNewline, signal));
      } catch (error) {
        if (error instanceof IncompleteReadError) return this.#done(error.partial);
        if (error instanceof LimitOverrunError) {
          if (this.#buffer.startsWith(kNewline, error.consumed)) this.#buffer.skip(error.consumed + kNewline.length);
          else this.#buffer.clear();
          this.#maybeResume();
        }
        throw error;
      }
    } finally {
      this.#busy = null;
    }
  }

  /** Yields lines (as {@link StreamReader.readLine}) until EOF. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const line = await this.readLine();
      if (line.length === 0) return;
      yield line;
    }
  }

  async #readUntil(sep: Buffer, signal: AbortSignal | undefined): Promise<Buffer> {
    const seplen = sep.length;
    // Where the next search starts: bytes before it were searched already.
    let offset = 0;
    let found: number;
    for (;;) {
      const buffered = this.#buffer.length;
      if (buffered - offset >= seplen) {
        found = this.#buffer.indexOf(sep, offset);
        if (found !== -1) break;
        offset = buffered + 1 - seplen;
        if (offset > this.#limit) throw new LimitOverrunError('separator not found and the data exceeds the limit', offset);
      }
      if (this.#eof) {
        const partial = this.#take(this.#buffer.length);
        throw new IncompleteReadError(partial, null);
      }
      await this.#wait(signal);
    }
    if (found > this.#limit) throw new LimitOverrunError('separator found, but the chunk is longer than the limit', found);
    return this.#take(found + seplen);
  }

  /** Checks that no other read is pending and the signal is live, then takes the slot. */
  #enter(where: string, signal: AbortSignal | undefined): void {
    signal?.throwIfAborted();
    if (this.#busy !== null) {
      throw new BusyResourceError(`${where}() called while ${this.#busy}() is already waiting for data`);
    }
    this.#busy = where;
  }

  /**
   * Spends the read budget: once it is used up, returns a macrotask turn to wait for
   * first (otherwise null, so a read that completes at once costs no extra microtask).
   */
  #budget(signal: AbortSignal | undefined): Promise<void> | null {
    if (this.#immediate < kReadBudget) return null;
    this.#immediate = 0;
    return yieldTurn(signal);
  }

  /** Surfaces a stored error (asyncio: a read raises it even with data buffered). */
  #check(): void {
    if (this.#exception !== null) throw this.#exception;
  }

  /** Counts a read that completed, for the budget. */
  #done(data: Buffer): Buffer {
    this.#immediate++;
    return data;
  }

  #take(n: number): Buffer {
    const data = this.#buffer.take(n);
    this.#maybeResume();
    return data;
  }

  #maybeResume(): void {
    if (this.#paused && this.#buffer.length <= this.#limit) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
  }

  /** Waits for data, EOF or an error. Resumes a paused transport: the read needs more. */
  #wait(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.#exception !== null) return Promise.reject(this.#exception);
    this.#immediate = 0;
    if (this.#paused) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
    if (signal === undefined) {
      // The common case costs no closures of its own (an idle connection's reader waits here).
      return new Promise<void>((resolve, reject) => {
        this.#waiter = { resolve, reject };
      });
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#waiter === waiter) this.#waiter = null;
        reject(signal.reason);
      };
      const waiter: Waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiter = waiter;
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #wakeup(error: Error | null): void {
    const waiter = this.#waiter;
    if (waiter === null) return;
    this.#waiter = null;
    if (waiter instanceof DirectRead) {
      if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      this.#busy = null;
      if (error !== null) waiter.reject(error);
      else waiter.resolve(this.#done(this.#take(Math.min(waiter.n, this.#buffer.length))));
      return;
    }
    if (error === null) waiter.resolve();
    else waiter.reject(error);
  }
}

/** One macrotask turn, cancellable. */
function yieldTurn(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearImmediate(timer);
      reject(signal!.reason);
    };
    const timer = setImmediate(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
