/**
 * The glue between a transport and the streams (asyncio's `StreamReaderProtocol` and
 * `FlowControlMixin`): feeds the reader, makes the writer on connection, tracks the
 * transport's write pausing for `drain()`, and settles everything when the connection
 * goes.
 */
import { ClosedError } from '../errors.js';
import type { Protocol, Transport } from '../protocols/types.js';
import { StreamReader } from './stream-reader.js';
import { StreamWriter } from './stream-writer.js';

/** Called once the connection is up, with its reader and writer. */
export type StreamConnectedCallback = (reader: StreamReader, writer: StreamWriter) => void;

const resolved = Promise.resolve();

interface DrainWaiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A {@link Protocol} that turns a transport into a {@link StreamReader} and a
 * {@link StreamWriter}. `openConnection` and `startServer` use it; use it directly to put
 * streams on a transport made another way.
 *
 * @example
 * ```ts
 * const reader = new StreamReader();
 * const [, protocol] = await getEventLoop().createConnection(() => new StreamReaderProtocol(reader), { host, port });
 * const writer = protocol.writer!;
 * ```
 */
export class StreamReaderProtocol implements Protocol {
  #reader: StreamReader;
  #onConnected: StreamConnectedCallback | undefined;
  #writer: StreamWriter | null = null;
  #paused = false;
  #lost = false;
  #lostError: Error | null = null;
  // Made on the first drain() that has to wait: most connections never need one.
  #drainWaiters: Set<DrainWaiter> | null = null;
  #closedWaiters: (() => void)[] = [];

  constructor(reader: StreamReader, onConnected?: StreamConnectedCallback) {
    this.#reader = reader;
    this.#onConnected = onConnected;
  }

  /** The writer, once connected. */
  get writer(): StreamWriter | null {
    return this.#writer;
  }

  /** The reader this protocol feeds. */
  get reader(): StreamReader {
    return this.#reader;
  }

  connectionMade(transport: Transport): void {
    this.#reader.setTransport(transport);
    this.#writer = new StreamWriter(transport, this, this.#reader);
    this.#onConnected?.(this.#reader, this.#writer);
  }

  dataReceived(data: Buffer): void {
    this.#reader.feedData(data);
  }

  eofReceived(): boolean {
    this.#reader.feedEof();
    // Keep the sending side open: the peer half-closed, and we may still answer.
    return true;
  }

  connectionLost(error: Error | null): void {
    this.#lost = true;
    this.#lostError = error;
    if (error === null) this.#reader.feedEof();
    else this.#reader.setException(error);
    this.#reader.setTransport(null);
    const lost = error ?? new ClosedError('Connection lost');
    const drainWaiters = this.#drainWaiters;
    this.#drainWaiters = null;
    if (drainWaiters !== null) for (const waiter of drainWaiters) waiter.reject(lost);
    for (const resolve of this.#closedWaiters.splice(0)) resolve();
  }

  pauseWriting(): void {
    this.#paused = true;
  }

  resumeWriting(): void {
    this.#paused = false;
    const drainWaiters = this.#drainWaiters;
    this.#drainWaiters = null;
    if (drainWaiters !== null) for (const waiter of drainWaiters) waiter.resolve();
  }

  /** @internal Whether `connectionLost` has run, and with what. */
  get lost(): { error: Error | null } | null {
    return this.#lost ? { error: this.#lostError } : null;
  }

  /** @internal Resolves once writing may go on (at once unless paused). */
  drainHelper(signal: AbortSignal | undefined): Promise<void> {
    if (this.#lost) return Promise.reject(this.#lostError ?? new ClosedError('Connection lost'));
    if (!this.#paused) return resolved;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#drainWaiters?.delete(waiter);
        reject(signal!.reason);
      };
      const waiter: DrainWaiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      (this.#drainWaiters ??= new Set()).add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** @internal Resolves once the connection is gone. */
  waitLost(signal: AbortSignal | undefined): Promise<void> {
    if (this.#lost) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#closedWaiters.indexOf(done);
        if (i >= 0) this.#closedWaiters.splice(i, 1);
        reject(signal!.reason);
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#closedWaiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
