/**
 * asyncio's `StreamWriter`, in camelCase: synchronous writes into the transport, and
 * `drain()` as the back-pressure point.
 */
import { InvalidArgumentError } from '../errors.js';
import { signalOf, type SignalOptions } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import type { Transport } from '../protocols/types.js';
import type { StreamReaderProtocol } from './stream-protocol.js';
import type { StreamReader } from './stream-reader.js';

/** What the writer accepts: bytes, or a string (sent as UTF-8). */
export type StreamData = string | ArrayBufferView;

function toView(data: unknown, what: string): ArrayBufferView {
  if (typeof data === 'string') return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return data;
  throw new InvalidArgumentError(`${what} must be a string, Buffer, TypedArray or DataView, got ${describeValue(data)}`);
}

/**
 * Writes to a connection (asyncio's `StreamWriter`). `write()` never blocks: data the
 * kernel does not take at once is buffered by the transport, so a writer that may
 * outrun its peer must `await writer.drain()`, which waits while the buffer is above its
 * high-water mark.
 *
 * `await using writer = …` closes the connection and waits for it to close.
 *
 * @example
 * ```ts
 * const [reader, writer] = await openConnection({ host: 'localhost', port });
 * writer.write('hello\n');
 * await writer.drain();
 * writer.close();
 * await writer.waitClosed();
 * ```
 */
export class StreamWriter implements AsyncDisposable {
  #transport: Transport;
  #protocol: StreamReaderProtocol;
  #reader: StreamReader | null;

  /** @internal Made by {@link StreamReaderProtocol} on connection. */
  constructor(transport: Transport, protocol: StreamReaderProtocol, reader: StreamReader | null) {
    this.#transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
  }

  /** The underlying transport. */
  get transport(): Transport {
    return this.#transport;
  }

  /**
   * Queues `data` for sending (see {@link Transport.write}: a Buffer that is not sent at
   * once is kept by reference). Writes after the connection was lost are dropped.
   *
   * @throws {InvalidStateError} after `writeEof()`.
   */
  write(data: StreamData): void {
    this.#transport.write(toView(data, 'write: data'));
  }

  /** Queues several chunks, sent with one `sendmsg` where possible. */
  writeLines(chunks: Iterable<StreamData>): void {
    if (chunks === null || typeof (chunks as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
      throw new InvalidArgumentError(`writeLines: chunks must be an iterable, got ${describeValue(chunks)}`);
    }
    const views: ArrayBufferView[] = [];
    for (const chunk of chunks) views.push(toView(chunk, 'writeLines: chunk'));
    this.#transport.writeLines(views);
  }

  /** Whether {@link StreamWriter.writeEof} is supported. */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /** Closes the sending side once buffered data is sent; the peer reads EOF. Reading goes on. */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /** Closes the connection once buffered data is sent. Idempotent. */
  close(): void {
    this.#transport.close();
  }

  /** Whether the connection is closed or closing. */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /**
   * Resolves once the connection is closed (after `close()`, an error, or the loop
   * closing). It resolves even when the connection ended with an error: reads and
   * `drain()` report that error.
   */
  async waitClosed(options?: SignalOptions): Promise<void> {
    const signal = signalOf(options, 'waitClosed');
    signal?.throwIfAborted();
    await this.#protocol.waitLost(signal);
  }

  /**
   * Waits until it is fine to write more: resolves at once while the transport's write
   * buffer is under its high-water mark, otherwise once it drains to the low-water mark.
   *
   * @throws the reader's stored error, or the connection's error (a {@link ClosedError}
   *   after a clean close) once the connection is lost.
   */
  drain(options?: SignalOptions): Promise<void> {
    // Not an async function: under the high-water mark this returns an already resolved
    // Promise and allocates nothing (it runs once per message in most servers).
    try {
      const signal = signalOf(options, 'drain');
      signal?.throwIfAborted();
      const stored = this.#reader?.exception() ?? null;
      if (stored !== null) return Promise.reject(stored);
      if (this.#transport.isClosing() && this.#protocol.lost === null) return this.#drainClosing(signal);
      return this.#protocol.drainHelper(signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #drainClosing(signal: AbortSignal | undefined): Promise<void> {
    // A closing transport with nothing left to send loses its connection in the next
    // callbacks: let that happen, so drain() reports it (as asyncio's sleep(0)).
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    await this.#protocol.drainHelper(signal);
  }

  /**
   * Extra information from the transport: `'peername'`, `'sockname'`, `'socket'`, `'fd'`;
   * `defaultValue` for anything else.
   */
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return this.#transport.getExtraInfo(name, defaultValue);
  }

  /** Closes and waits for the connection to close (`await using writer = …`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }
}
