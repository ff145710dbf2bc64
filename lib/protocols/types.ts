/**
 * Transports and protocols (asyncio's, in camelCase). Streams, servers and user code talk
 * only to these interfaces; today they are implemented over readiness (epoll, kqueue),
 * and a completion backend (io_uring, asyncio's Proactor) implements the same ones.
 */
import type { SocketAddress } from '../sys/types.js';

/** What every protocol may implement; every method is optional. */
export interface BaseProtocol {
  /** The connection is up; `transport` is how the protocol writes and closes. */
  connectionMade?(transport: BaseTransport): void;
  /**
   * The connection is gone, for good: called exactly once, last. `error` is `null` for a
   * clean close (EOF, `close()`, `abort()`), the error otherwise.
   */
  connectionLost?(error: Error | null): void;
  /** The transport's write buffer passed its high-water mark. */
  pauseWriting?(): void;
  /** The write buffer drained to its low-water mark. */
  resumeWriting?(): void;
}

/** A stream protocol: receives data as Buffers (asyncio's `Protocol`). */
export interface Protocol extends BaseProtocol {
  connectionMade?(transport: Transport): void;
  /** Non-empty data, in order; chunking is arbitrary. The protocol may keep the Buffer. */
  dataReceived?(data: Buffer): void;
  /**
   * The peer closed its sending side. Return `true` to keep the transport open for
   * writing (a half-close); otherwise the transport closes itself.
   */
  eofReceived?(): boolean | void;
}

/**
 * A stream protocol that receives into its own buffers, with no copy and no allocation
 * per read (asyncio's `BufferedProtocol`).
 */
export interface BufferedProtocol extends BaseProtocol {
  connectionMade?(transport: Transport): void;
  /** A buffer to receive into, of at least one byte; `sizeHint` is -1 (no preference). */
  getBuffer(sizeHint: number): Uint8Array;
  /** `nbytes` bytes were written at the start of the buffer `getBuffer` returned. */
  bufferUpdated(nbytes: number): void;
  /** See {@link Protocol.eofReceived}. */
  eofReceived?(): boolean | void;
}

/** A datagram protocol (asyncio's `DatagramProtocol`). */
export interface DatagramProtocol extends BaseProtocol {
  connectionMade?(transport: DatagramTransport): void;
  /** One datagram and who sent it. */
  datagramReceived?(data: Buffer, address: SocketAddress): void;
  /** A send or receive failed (e.g. `ECONNREFUSED` from an ICMP error); the transport stays open. */
  errorReceived?(error: Error): void;
}

/** Write-buffer watermarks, in bytes. */
export interface WriteBufferLimits {
  high: number;
  low: number;
}

/** What every transport has. */
export interface BaseTransport {
  /**
   * Extra information: `'peername'`, `'sockname'` (addresses), `'socket'` (the `Socket`),
   * `'fd'`; `defaultValue` (or undefined) for anything else.
   */
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  /** Whether `close()` or `abort()` was called, or the connection was lost. */
  isClosing(): boolean;
  /**
   * Closes after the write buffer is flushed; no more data is received. The protocol's
   * `connectionLost(null)` follows. Idempotent.
   */
  close(): void;
  /** The protocol the transport calls. */
  getProtocol(): BaseProtocol;
  /** Switches protocols (e.g. after a handshake). */
  setProtocol(protocol: BaseProtocol): void;
}

/** A bidirectional stream transport (asyncio's `Transport`). */
export interface Transport extends BaseTransport {
  /**
   * Queues `data` for sending: it goes out at once when the kernel takes it; what it does
   * not take is kept (by reference: do not modify it until the buffer drains, as with
   * `node:net`) and sent when the socket is writable.
   *
   * @throws {InvalidStateError} after `writeEof()`.
   */
  write(data: ArrayBufferView): void;
  /** Writes several chunks, coalesced into one `sendmsg` where possible. */
  writeLines(chunks: Iterable<ArrayBufferView>): void;
  /** Closes the sending side once the buffer is flushed (the peer reads EOF). */
  writeEof(): void;
  /** Whether `writeEof()` is supported (true for TCP and Unix streams). */
  canWriteEof(): boolean;
  /** Closes at once, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void;
  /** Stops delivering data at once (not one batch later). Idempotent. */
  pauseReading(): void;
  /** Resumes delivering data. Idempotent. */
  resumeReading(): void;
  /** Whether data is being delivered. */
  isReading(): boolean;
  /** Bytes waiting to be sent. */
  getWriteBufferSize(): number;
  /** The watermarks (defaults: high 64 KiB, low 16 KiB). */
  getWriteBufferLimits(): WriteBufferLimits;
  /**
   * Sets the watermarks: with only `high`, low = high / 4; with only `low`, high = 4 × low.
   *
   * @throws {InvalidArgumentError} unless `high >= low >= 0`.
   */
  setWriteBufferLimits(limits?: Partial<WriteBufferLimits>): void;
}

/** A datagram transport (asyncio's `DatagramTransport`). */
export interface DatagramTransport extends BaseTransport {
  /**
   * Sends one datagram, to `address` or (on a connected endpoint) to the remote address.
   * Errors go to the protocol's `errorReceived`.
   */
  sendTo(data: ArrayBufferView, address?: SocketAddress): void;
  /** Closes at once, dropping queued datagrams. */
  abort(): void;
  /** Bytes of datagrams waiting to be sent. */
  getWriteBufferSize(): number;
}

/** A protocol for a stream transport: data as Buffers or into its own buffers. */
export type StreamProtocol = Protocol | BufferedProtocol;

/** Makes a protocol per connection. */
export type ProtocolFactory<P extends BaseProtocol = StreamProtocol> = () => P;
