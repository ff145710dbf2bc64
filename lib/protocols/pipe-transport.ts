/**
 * Pipe transports over readiness (asyncio's `_UnixReadPipeTransport` and
 * `_UnixWritePipeTransport`): one direction each, over a pipe, FIFO, tty or socket fd
 * that the transport owns from then on.
 *
 * The transport sets the fd non-blocking. `O_NONBLOCK` belongs to the open file
 * description, not the fd number, so a child process sharing that description (the other
 * end of a pipe passed in `spawn`'s `stdio` is a different one, which is why that end
 * should usually stay blocking: `sys.pipe({ writeNonBlocking: false })`) sees it too.
 */
import { fstatSync } from 'node:fs';
import { BusyResourceError, InvalidArgumentError, InvalidStateError, SystemError } from '../errors.js';
import { checkFunction, checkView } from '../internal/args.js';
import { checkFd, describeValue } from '../internal/fd.js';
import { native } from '../internal/init.js';
import type { BaseEventLoop } from '../loop/base-event-loop.js';
import { errno } from '../sys/fd.js';
import { WriteBuffer } from './write-buffer.js';
import type { BaseProtocol, BaseTransport, Protocol, ProtocolFactory, WriteBufferLimits } from './types.js';
import { reportIfOpenAtClose } from './unclosed.js';

const EAGAIN = errno.EAGAIN;
const kReadSize = 65536;

/** The reading half of a transport (asyncio's `ReadTransport`); a `Transport` is one. */
export interface ReadTransport extends BaseTransport {
  /** Stops delivering data at once. Idempotent. */
  pauseReading(): void;
  /** Resumes delivering data. Idempotent. */
  resumeReading(): void;
  /** Whether data is being delivered. */
  isReading(): boolean;
}

/** The writing half of a transport (asyncio's `WriteTransport`); a `Transport` is one. */
export interface WriteTransport extends BaseTransport {
  /** See `Transport.write`: at once if the fd takes it, otherwise kept by reference and queued. */
  write(data: ArrayBufferView): void;
  /** Writes several chunks, coalesced into one `writev`. */
  writeLines(chunks: Iterable<ArrayBufferView>): void;
  /** Closes the fd once the buffer is flushed (the reader sees end of file). */
  writeEof(): void;
  canWriteEof(): boolean;
  /** Closes at once, dropping buffered data. */
  abort(): void;
  getWriteBufferSize(): number;
  getWriteBufferLimits(): WriteBufferLimits;
  setWriteBufferLimits(limits?: Partial<WriteBufferLimits>): void;
}

/** Validates an fd for a pipe transport (changing nothing); returns whether it is a FIFO. */
function checkPipe(fd: unknown, where: string): { fd: number; fifo: boolean } {
  const checked = checkFd(fd, `${where}: fd`);
  let stat;
  try {
    stat = fstatSync(checked);
  } catch (error) {
    const code = (error as { errno?: unknown }).errno;
    throw typeof code === 'number' ? new SystemError(code, 'fstat', where) : error;
  }
  if (!stat.isFIFO() && !stat.isSocket() && !stat.isCharacterDevice()) {
    throw new InvalidArgumentError(`${where}: fd ${checked} is not a pipe, FIFO, socket or character device`);
  }
  // One owner per fd: a Socket or another transport that owns this number would close it too.
  if (native.disownFd(checked)) {
    native.ownFd(checked);
    throw new BusyResourceError(`${where}: fd ${checked} already has an owner`);
  }
  return { fd: checked, fifo: stat.isFIFO() };
}

/** What both pipe transports share: the protocol, the start, and the one end. */
abstract class PipeTransport implements BaseTransport {
  protected readonly loop: BaseEventLoop;
  protected readonly fd: number;
  protected protocol: Protocol;
  protected closing = false;
  protected lost = false;
  #extra: Record<string, unknown>;
  #untrack: () => void;
  #made = false;
  #settleStart: ((error: Error | null) => void) | null = null;

  constructor(loop: BaseEventLoop, fd: number, protocol: BaseProtocol) {
    this.loop = loop;
    this.fd = fd;
    this.protocol = protocol as Protocol;
    this.#extra = { fd, pipe: fd };
    native.ownFd(fd);
    // A loop that closes takes the transport with it: the fd is closed, connectionLost comes.
    this.#untrack = loop.trackPending(reportIfOpenAtClose(loop, this.constructor.name, fd, (error) => this.finish(error)));
  }

  /** @internal Calls connectionMade, then `begin()`; resolves once it has run. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#settleStart = (error) => (error === null ? resolve() : reject(error));
      this.loop.callSoon(() => {
        this.#made = true;
        try {
          this.protocol.connectionMade?.(this as never);
        } catch (error) {
          this.report(error, 'connectionMade');
          this.forceClose(error instanceof Error ? error : new Error(String(error)));
        }
        if (!this.closing) this.begin();
        this.#settleStart?.(null);
        this.#settleStart = null;
      });
    });
  }

  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return name in this.#extra ? this.#extra[name] : defaultValue;
  }

  isClosing(): boolean {
    return this.closing;
  }

  getProtocol(): BaseProtocol {
    return this.protocol;
  }

  setProtocol(protocol: BaseProtocol): void {
    if (typeof protocol !== 'object' || protocol === null) {
      throw new InvalidArgumentError(`protocol must be an object, got ${describeValue(protocol)}`);
    }
    this.protocol = protocol as Protocol;
  }

  abstract close(): void;

  /** Starts watching the fd, after connectionMade. */
  protected abstract begin(): void;
  /** Drops watchers and buffered data (the loop is still open). */
  protected abstract drop(): void;

  protected report(error: unknown, where: string): void {
    this.loop.callExceptionHandler({ message: `protocol ${where}() failed for fd ${this.fd}`, exception: error, fd: this.fd });
  }

  /** A protocol method threw (`where`) or an OS call failed: report it, then close. */
  protected fatal(error: unknown, where?: string): void {
    if (where !== undefined) this.report(error, where);
    this.forceClose(error instanceof Error ? error : new Error(String(error)));
  }

  protected forceClose(error: Error | null): void {
    if (this.lost) return;
    this.closing = true;
    if (this.loop.closed) {
      this.finish(error);
      return;
    }
    this.drop();
    this.loop.callSoon(() => this.finish(error));
  }

  /** The end: connectionLost (once, last, and only after connectionMade), then the fd is closed. */
  protected finish(error: Error | null): void {
    if (this.lost) return;
    this.lost = true;
    this.closing = true;
    this.#untrack();
    try {
      if (this.#made) this.protocol.connectionLost?.(error);
    } catch (thrown) {
      this.report(thrown, 'connectionLost');
    } finally {
      // The loop never started the transport: the promise of connectReadPipe/WritePipe rejects.
      this.#settleStart?.(error ?? new InvalidStateError('the pipe transport closed before it started'));
      this.#settleStart = null;
      if (!this.loop.closed) this.loop.notifyClosing(this.fd);
      native.closeOwnedFd(this.fd);
    }
  }
}

/** The reading end of a pipe: `dataReceived`, then `eofReceived` and `connectionLost(null)`. */
export class ReadPipeTransport extends PipeTransport implements ReadTransport {
  #reading = false;
  #wantReading = true;
  #onReadable = (): void => this.#read();

  /** @internal Use `loop.connectReadPipe`. */
  constructor(loop: BaseEventLoop, fd: number, protocol: BaseProtocol) {
    super(loop, fd, protocol);
  }

  pauseReading(): void {
    this.#wantReading = false;
    this.#stopReading();
  }

  resumeReading(): void {
    this.#wantReading = true;
    if (!this.closing) this.#startReading();
  }

  isReading(): boolean {
    return this.#wantReading && !this.closing;
  }

  /** Stops reading and closes the fd; `connectionLost(null)` follows. Idempotent. */
  close(): void {
    if (this.closing) return;
    this.forceClose(null);
  }

  protected begin(): void {
    if (this.#wantReading) this.#startReading();
  }

  protected drop(): void {
    this.#stopReading();
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.loop.addReader(this.fd, this.#onReadable);
  }

  #stopReading(): void {
    if (!this.#reading) return;
    this.#reading = false;
    if (!this.lost && !this.loop.closed) this.loop.removeReader(this.fd);
  }

  #read(): void {
    const scratch = this.loop.io.scratch(kReadSize);
    const n = native.read(this.fd, scratch, 0, kReadSize);
    if (n > 0) {
      const data = Buffer.allocUnsafe(n);
      scratch.copy(data, 0, 0, n);
      try {
        this.protocol.dataReceived?.(data);
      } catch (error) {
        this.fatal(error, 'dataReceived');
      }
      return;
    }
    if (n === EAGAIN) return;
    if (n < 0) {
      this.fatal(new SystemError(n, 'read'));
      return;
    }
    // End of file: a pipe has no sending side to keep open, so the transport closes
    // whatever eofReceived answers (as asyncio's read pipe does).
    this.#stopReading();
    try {
      this.protocol.eofReceived?.();
    } catch (error) {
      this.fatal(error, 'eofReceived');
      return;
    }
    this.close();
  }
}

/**
 * The writing end of a pipe: writes go out at once, what the pipe does not take is queued
 * (by reference) and flushed with one `writev` per writable event, with `pauseWriting` /
 * `resumeWriting` around the watermarks. On a FIFO, the transport also notices the reader
 * going away while idle (the fd reports an error condition) and closes itself.
 */
export class WritePipeTransport extends PipeTransport implements WriteTransport {
  #fifo: boolean;
  #watchingHangup = false;
  #eof = false;
  #buffer = new WriteBuffer({
    pauseWriting: () => this.#callFlow('pauseWriting'),
    resumeWriting: () => this.#callFlow('resumeWriting'),
  });
  #onWritable = (): void => this.#flush();
  #onHangup = (): void => this.#hangup();

  /** @internal Use `loop.connectWritePipe`. */
  constructor(loop: BaseEventLoop, fd: number, protocol: BaseProtocol, fifo: boolean) {
    super(loop, fd, protocol);
    this.#fifo = fifo;
  }

  getWriteBufferSize(): number {
    return this.#buffer.size;
  }

  getWriteBufferLimits(): WriteBufferLimits {
    return this.#buffer.limits;
  }

  setWriteBufferLimits(limits?: Partial<WriteBufferLimits>): void {
    this.#buffer.setLimits(limits);
  }

  /** @throws {InvalidStateError} after `writeEof()`. Dropped after `close()` or `abort()`. */
  write(data: ArrayBufferView): void {
    checkView(data, 'data');
    if (this.#eof) throw new InvalidStateError('write() after writeEof()');
    const length = data.byteLength;
    if (length === 0 || this.closing) return;
    let view = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, length);
    if (this.#buffer.size === 0) {
      const n = native.write(this.fd, view, 0, length);
      if (n === length) return;
      if (n < 0 && n !== EAGAIN) {
        this.fatal(new SystemError(n, 'write'));
        return;
      }
      if (n > 0) view = view.subarray(n);
      this.loop.addWriter(this.fd, this.#onWritable);
    }
    this.#buffer.push(view);
  }

  /** Queues every chunk, then sends them in one `writev` (sendmsg does not work on pipes). */
  writeLines(chunks: Iterable<ArrayBufferView>): void {
    if (chunks === null || typeof (chunks as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
      throw new InvalidArgumentError('writeLines expects an iterable of Buffers or TypedArrays');
    }
    const list = [...chunks];
    for (const chunk of list) checkView(chunk, 'chunk');
    if (this.#eof) throw new InvalidStateError('writeLines() after writeEof()');
    if (this.closing) return;
    const wasEmpty = this.#buffer.size === 0;
    for (const chunk of list) {
      if (chunk.byteLength === 0) continue;
      this.#buffer.push(chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), false);
    }
    if (wasEmpty && this.#buffer.size > 0) {
      this.#flush();
      if (this.#buffer.size > 0 && !this.closing) this.loop.addWriter(this.fd, this.#onWritable);
    }
    this.#buffer.maybePause();
  }

  canWriteEof(): boolean {
    return true;
  }

  /** A pipe has one direction: end of file is closing it, once the buffer is flushed. */
  writeEof(): void {
    if (this.closing || this.#eof) return;
    this.#eof = true;
    this.close();
  }

  /** Closes once the buffer is flushed; `connectionLost(null)` follows. Idempotent. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.#buffer.size === 0) {
      this.drop();
      this.loop.callSoon(() => this.finish(null));
    }
  }

  abort(): void {
    this.forceClose(null);
  }

  protected begin(): void {
    // A pipe's write end reports an error condition once its reader is gone (epoll:
    // EPOLLERR, which the selector delivers as readable), even with nothing to write.
    if (!this.#fifo) return;
    this.#watchingHangup = true;
    this.loop.addReader(this.fd, this.#onHangup);
  }

  protected drop(): void {
    if (this.#watchingHangup) {
      this.#watchingHangup = false;
      this.loop.removeReader(this.fd);
    }
    if (this.#buffer.size > 0) this.loop.removeWriter(this.fd);
    this.#buffer.clear();
  }

  #hangup(): void {
    if (this.#buffer.size > 0) this.fatal(new SystemError(errno.EPIPE, 'write'));
    else this.forceClose(null);
  }

  #flush(): void {
    const chunks = this.#buffer.batch();
    if (chunks.length === 0) return;
    const n = chunks.length === 1 ? native.write(this.fd, chunks[0]!) : native.writev(this.fd, chunks);
    if (n < 0) {
      if (n !== EAGAIN) this.fatal(new SystemError(n, chunks.length === 1 ? 'write' : 'writev'));
      return;
    }
    this.#buffer.consume(n);
    if (this.#buffer.size > 0 || this.lost) return;
    this.loop.removeWriter(this.fd);
    if (this.closing) {
      this.drop();
      this.finish(null);
    }
  }

  #callFlow(name: 'pauseWriting' | 'resumeWriting'): void {
    try {
      this.protocol[name]?.();
    } catch (error) {
      this.report(error, name);
    }
  }
}

/** @internal loop.connectReadPipe / loop.connectWritePipe. */
export async function connectPipe<P extends BaseProtocol>(
  loop: BaseEventLoop,
  factory: ProtocolFactory<P>,
  fd: number,
  write: boolean,
): Promise<[ReadPipeTransport | WritePipeTransport, P]> {
  const where = write ? 'connectWritePipe' : 'connectReadPipe';
  checkFunction(factory, `${where}: protocol factory`);
  const pipe = checkPipe(fd, where);
  // A factory that throws leaves the fd as it was: nothing was handed over yet.
  const protocol = factory();
  native.setNonBlocking(pipe.fd, true);
  const transport = write ? new WritePipeTransport(loop, pipe.fd, protocol, pipe.fifo) : new ReadPipeTransport(loop, pipe.fd, protocol);
  await transport.start();
  return [transport, protocol];
}
