/**
 * The stream transport over readiness (asyncio's `_SelectorSocketTransport`): a reader
 * callback receives once per readiness event (level-triggered, so every connection gets
 * one read per batch: fair by construction), writes go out at once when the kernel takes
 * them, and what it does not take waits in a queue flushed with one `sendmsg` per
 * writable event.
 *
 * A completion backend (io_uring) would implement the same `Transport` interface with
 * submitted reads and writes instead; nothing above this file knows which one it has.
 */
import { ClosedError, InvalidArgumentError, InvalidStateError, SystemError } from '../errors.js';
import { checkView } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import { native } from '../internal/init.js';
import type { BaseEventLoop } from '../loop/base-event-loop.js';
import type { Socket } from '../net/socket.js';
import { errno } from '../sys/fd.js';
import { SHUT_WR } from '../sys/socket.js';
import type { BaseProtocol, BufferedProtocol, Protocol, Transport, WriteBufferLimits } from './types.js';
import { kDefaultHigh, WriteBuffer } from './write-buffer.js';
import { reportIfOpenAtClose } from './unclosed.js';

const EAGAIN = errno.EAGAIN;
const kReadSize = 65536;

/** Told when a transport's connection is gone (a server counts its connections). */
export interface TransportOwner {
  transportClosed(transport: SocketTransport): void;
}

/** A stream transport over a non-blocking socket the transport owns. */
export class SocketTransport implements Transport {
  #loop: BaseEventLoop;
  #sock: Socket;
  #fd: number;
  #protocol: Protocol | BufferedProtocol;
  #buffered: boolean;
  #owner: TransportOwner | null;
  // Filled on first getExtraInfo(): most connections never ask, and each costs memory.
  #extra: Record<string, unknown> | null = null;
  #reading = false;
  #wantReading = true;
  #closing = false;
  #eof = false;
  #lost = false;
  // Made on the first write the kernel does not take at once (or the first limits set):
  // an idle connection, and one whose writes always go straight out, never needs one.
  #queue: WriteBuffer | null = null;
  #made = false;
  #notMade: ((error: unknown) => void) | null = null;
  #settle: (error: Error) => void;
  #onReadable = (): void => this.#read();
  #onWritable: (() => void) | null = null;

  /**
   * @internal Use `loop.createConnection`, `loop.createServer` or
   * `loop.connectAcceptedSocket`. `start()` calls the protocol's `connectionMade` soon and
   * starts reading after it.
   */
  constructor(loop: BaseEventLoop, sock: Socket, protocol: BaseProtocol, owner: TransportOwner | null = null) {
    this.#loop = loop;
    this.#sock = sock;
    this.#fd = sock.fileno();
    this.#protocol = protocol as Protocol;
    this.#buffered = typeof (protocol as BufferedProtocol).getBuffer === 'function';
    this.#owner = owner;
    // A loop that closes takes every transport with it: connectionLost must still come.
    this.#settle = reportIfOpenAtClose(loop, 'SocketTransport', this.#fd, (error) => this.#finish(error));
    loop.trackPending(this.#settle);
  }

  /** @internal Calls connectionMade, then starts reading; resolves once it has run. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // If the connection ends before connectionMade (the loop closes first), the
      // protocol hears nothing and the caller gets the error instead.
      this.#notMade = reject;
      this.#loop.callSoon(() => {
        if (this.#lost) return;
        this.#notMade = null;
        this.#made = true;
        try {
          this.#protocol.connectionMade?.(this);
        } catch (error) {
          this.#fatal(error, 'connectionMade');
        }
        if (!this.#closing && this.#wantReading) this.#startReading();
        resolve();
      });
    });
  }

  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    const extra = (this.#extra ??= { socket: this.#sock, fd: this.#fd });
    if (name === 'peername' || name === 'sockname') {
      if (!(name in extra)) {
        try {
          extra[name] = name === 'peername' ? this.#sock.remoteAddress : this.#sock.localAddress;
        } catch {
          return defaultValue;
        }
      }
    }
    return name in extra ? extra[name] : defaultValue;
  }

  /** The write queue, made on first need. */
  get #buffer(): WriteBuffer {
    return (this.#queue ??= new WriteBuffer({
      pauseWriting: () => this.#callFlow('pauseWriting'),
      resumeWriting: () => this.#callFlow('resumeWriting'),
    }));
  }

  /** Bytes queued, without making the queue. */
  get #queued(): number {
    return this.#queue === null ? 0 : this.#queue.size;
  }

  #armWriter(): void {
    this.#loop.addWriter(this.#fd, (this.#onWritable ??= (): void => this.#flush()));
  }

  isClosing(): boolean {
    return this.#closing;
  }

  getProtocol(): BaseProtocol {
    return this.#protocol;
  }

  setProtocol(protocol: BaseProtocol): void {
    if (typeof protocol !== 'object' || protocol === null) {
      throw new InvalidArgumentError(`protocol must be an object, got ${describeValue(protocol)}`);
    }
    this.#protocol = protocol as Protocol;
    this.#buffered = typeof (protocol as BufferedProtocol).getBuffer === 'function';
  }

  isReading(): boolean {
    return this.#wantReading && !this.#closing;
  }

  pauseReading(): void {
    this.#wantReading = false;
    this.#stopReading();
  }

  resumeReading(): void {
    this.#wantReading = true;
    if (!this.#closing && !this.#lost) this.#startReading();
  }

  getWriteBufferSize(): number {
    return this.#queued;
  }

  getWriteBufferLimits(): WriteBufferLimits {
    return this.#queue === null ? { high: kDefaultHigh, low: kDefaultHigh / 4 } : this.#queue.limits;
  }

  setWriteBufferLimits(limits?: Partial<WriteBufferLimits>): void {
    this.#buffer.setLimits(limits);
  }

  write(data: ArrayBufferView): void {
    checkView(data, 'data');
    if (this.#eof) throw new InvalidStateError('write() after writeEof()');
    const length = data.byteLength;
    if (length === 0 || this.#lost) return;
    let view = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, length);
    if (this.#queued === 0) {
      // Try at once: with an empty queue the kernel usually takes it all.
      const n = native.send(this.#fd, view, 0, length);
      if (n === length) return;
      if (n < 0 && n !== EAGAIN) {
        this.#fatal(new SystemError(n, 'send'));
        return;
      }
      if (n > 0) view = view.subarray(n);
      this.#armWriter();
    }
    this.#buffer.push(view);
  }

  writeLines(chunks: Iterable<ArrayBufferView>): void {
    if (chunks === null || typeof (chunks as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
      throw new InvalidArgumentError('writeLines expects an iterable of Buffers or TypedArrays');
    }
    const list = [...chunks];
    for (const chunk of list) checkView(chunk, 'chunk');
    if (this.#eof) throw new InvalidStateError('writeLines() after writeEof()');
    if (this.#lost) return;
    const wasEmpty = this.#queued === 0;
    for (const chunk of list) {
      this.#buffer.push(chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), false);
    }
    if (wasEmpty && this.#buffer.size > 0) {
      // One sendmsg for every chunk, then the writer for what is left.
      this.#flush();
      if (this.#buffer.size > 0 && !this.#lost) this.#armWriter();
    }
    this.#queue?.maybePause();
  }

  canWriteEof(): boolean {
    return true;
  }

  writeEof(): void {
    if (this.#closing || this.#eof) return;
    this.#eof = true;
    if (this.#queued === 0) this.#shutdownWrite();
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#stopReading();
    if (this.#queued === 0) this.#loop.callSoon(() => this.#finish(null));
  }

  abort(): void {
    this.#forceClose(null);
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#loop.addReader(this.#fd, this.#onReadable);
  }

  #stopReading(): void {
    if (!this.#reading) return;
    this.#reading = false;
    if (!this.#lost) this.#loop.removeReader(this.#fd);
  }

  #read(): void {
    let n: number;
    if (this.#buffered) {
      const protocol = this.#protocol as BufferedProtocol;
      let buffer: Uint8Array;
      try {
        buffer = protocol.getBuffer(-1);
      } catch (error) {
        this.#fatal(error, 'getBuffer');
        return;
      }
      if (!ArrayBuffer.isView(buffer) || buffer.byteLength === 0) {
        this.#fatal(new InvalidStateError('getBuffer() returned an empty or invalid buffer'), 'getBuffer');
        return;
      }
      n = native.recvInto(this.#fd, buffer);
      if (n > 0) {
        try {
          protocol.bufferUpdated(n);
        } catch (error) {
          this.#fatal(error, 'bufferUpdated');
        }
        return;
      }
    } else {
      const scratch = this.#loop.io.scratch(kReadSize);
      n = native.recvInto(this.#fd, scratch, 0, kReadSize);
      if (n > 0) {
        const data = Buffer.allocUnsafe(n);
        scratch.copy(data, 0, 0, n);
        try {
          (this.#protocol as Protocol).dataReceived?.(data);
        } catch (error) {
          this.#fatal(error, 'dataReceived');
        }
        return;
      }
    }
    if (n === EAGAIN) return;
    if (n === 0) this.#eofReceived();
    else this.#fatal(new SystemError(n, 'recv'));
  }

  #eofReceived(): void {
    this.#stopReading();
    let keepOpen: boolean | void = false;
    try {
      keepOpen = this.#protocol.eofReceived?.();
    } catch (error) {
      this.#fatal(error, 'eofReceived');
      return;
    }
    // A truthy answer keeps the sending side open (a half-close); otherwise close.
    if (!keepOpen) this.close();
  }

  #flush(): void {
    if (this.#queue === null) return;
    const chunks = this.#queue.batch();
    if (chunks.length === 0) return;
    const n = chunks.length === 1 ? native.send(this.#fd, chunks[0]!) : native.sendv(this.#fd, chunks);
    if (n < 0) {
      if (n !== EAGAIN) this.#fatal(new SystemError(n, chunks.length === 1 ? 'send' : 'sendmsg'));
      return;
    }
    this.#queue.consume(n);
    if (this.#queue.size > 0 || this.#lost) return;
    this.#loop.removeWriter(this.#fd);
    if (this.#closing) this.#finish(null);
    else if (this.#eof) this.#shutdownWrite();
  }

  #shutdownWrite(): void {
    try {
      native.shutdown(this.#fd, SHUT_WR);
    } catch (error) {
      this.#fatal(error);
    }
  }

  #callFlow(name: 'pauseWriting' | 'resumeWriting'): void {
    try {
      this.#protocol[name]?.();
    } catch (error) {
      this.#report(error, name);
    }
  }

  /** A protocol method threw (`where`) or an OS call failed: report it, then close. */
  #fatal(error: unknown, where?: string): void {
    if (where !== undefined) this.#report(error, where);
    this.#forceClose(error instanceof Error ? error : new Error(String(error)));
  }

  #report(error: unknown, where: string): void {
    this.#loop.callExceptionHandler({ message: `protocol ${where}() failed for fd ${this.#fd}`, exception: error, fd: this.#fd });
  }

  #forceClose(error: Error | null): void {
    if (this.#lost) return;
    this.#closing = true;
    this.#stopReading();
    if (this.#queued > 0) this.#loop.removeWriter(this.#fd);
    this.#queue?.clear();
    if (this.#loop.closed) this.#finish(error);
    else this.#loop.callSoon(() => this.#finish(error));
  }

  /** The end: connectionLost (once, last), then the socket is closed. */
  #finish(error: Error | null): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#closing = true;
    this.#reading = false;
    this.#loop.untrackPending(this.#settle);
    this.#queue?.clear();
    if (!this.#made) {
      this.#sock.close();
      this.#notMade?.(error ?? new ClosedError('the connection closed before it was made'));
      this.#notMade = null;
      this.#owner?.transportClosed(this);
      this.#owner = null;
      return;
    }
    try {
      this.#protocol.connectionLost?.(error);
    } catch (thrown) {
      this.#report(thrown, 'connectionLost');
    } finally {
      this.#sock.close();
      this.#owner?.transportClosed(this);
      this.#owner = null;
    }
  }
}
