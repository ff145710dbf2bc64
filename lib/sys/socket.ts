/**
 * Socket system calls of `ioreactor/sys`. Sockets are created non-blocking and
 * close-on-exec, and sends never raise SIGPIPE. Hot-path calls (`accept`, `connect`,
 * `recv`, `recvInto`, `send`, `sendv`) return a negative errno instead of throwing; bad
 * arguments throw {@link InvalidArgumentError}; the other calls throw {@link SystemError}.
 */
import { InvalidArgumentError } from '../errors.js';
import { native } from '../internal/init.js';
import { checkFd } from '../internal/fd.js';

export type { InetAddress, SocketAddress, UnixAddress } from './types.js';
import type { SocketAddress } from './types.js';

/** The socket options `getsockopt`/`setsockopt` know by name (all integer-valued). */
export type SocketOption =
  | 'SO_REUSEADDR'
  | 'SO_REUSEPORT'
  | 'SO_KEEPALIVE'
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'SO_ERROR'
  | 'SO_BROADCAST'
  | 'SO_TYPE'
  | 'TCP_NODELAY'
  | 'IPV6_V6ONLY';

const c = native.socketConstants;
/** Address family: IPv4. */
export const AF_INET: number = c.AF_INET;
/** Address family: IPv6. */
export const AF_INET6: number = c.AF_INET6;
/** Address family: Unix domain. */
export const AF_UNIX: number = c.AF_UNIX;
/** Socket type: reliable byte stream (TCP). */
export const SOCK_STREAM: number = c.SOCK_STREAM;
/** Socket type: datagrams (UDP). */
export const SOCK_DGRAM: number = c.SOCK_DGRAM;
/** Socket type: reliable datagrams with boundaries. */
export const SOCK_SEQPACKET: number = c.SOCK_SEQPACKET;
/** `shutdown` direction: no more receives. */
export const SHUT_RD: number = c.SHUT_RD;
/** `shutdown` direction: no more sends (the peer reads EOF). */
export const SHUT_WR: number = c.SHUT_WR;
/** `shutdown` direction: both. */
export const SHUT_RDWR: number = c.SHUT_RDWR;
/** The system's largest listen backlog. */
export const SOMAXCONN: number = c.SOMAXCONN;

function checkAddress(address: unknown): SocketAddress {
  if (typeof address !== 'object' || address === null) {
    throw new InvalidArgumentError('address must be an object like { family, address, port } or { family, path }');
  }
  return address as SocketAddress;
}

/**
 * Creates a socket.
 *
 * @param family - {@link AF_INET}, {@link AF_INET6} or {@link AF_UNIX}.
 * @param type - {@link SOCK_STREAM}, {@link SOCK_DGRAM} or {@link SOCK_SEQPACKET}.
 * @returns the fd (non-blocking, close-on-exec).
 * @throws {SystemError} `EAFNOSUPPORT`, `EMFILE`, …
 */
export function socket(family: number, type: number, protocol = 0): number {
  return native.socket(family, type, protocol);
}

/** Binds to a local address. @throws {SystemError} `EADDRINUSE`, `EACCES`, … */
export function bind(fd: number, address: SocketAddress): void {
  native.bind(checkFd(fd), checkAddress(address));
}

/** Starts listening. @throws {SystemError} */
export function listen(fd: number, backlog: number = SOMAXCONN): void {
  native.listen(checkFd(fd), backlog);
}

/**
 * Accepts a pending connection (accept4).
 *
 * @returns `[fd, peerAddress]` (the fd non-blocking and close-on-exec), or a negative
 *   errno: `errno.EAGAIN` when none is pending, `errno.EMFILE` at the open-file limit.
 */
export function accept(fd: number): [number, SocketAddress] | number {
  return native.accept(checkFd(fd));
}

/**
 * Starts connecting.
 *
 * @returns 0 when connected at once, `errno.EINPROGRESS` when the connection completes
 *   later (wait for writability, then read `getsockopt(fd, 'SO_ERROR')`), or another
 *   negative errno such as `errno.ECONNREFUSED`.
 */
export function connect(fd: number, address: SocketAddress): number {
  return native.connect(checkFd(fd), checkAddress(address));
}

/** The local address. @throws {SystemError} */
export function getsockname(fd: number): SocketAddress {
  return native.getsockname(checkFd(fd));
}

/** The peer's address. @throws {SystemError} `ENOTCONN` */
export function getpeername(fd: number): SocketAddress {
  return native.getpeername(checkFd(fd));
}

/**
 * Receives up to `size` bytes into a new Buffer.
 *
 * @returns the bytes (empty at end of stream) or a negative errno (`errno.EAGAIN`, …).
 */
export function recv(fd: number, size: number): Buffer | number {
  return native.recv(checkFd(fd), size);
}

/**
 * Receives into `buffer[offset, offset + length)` without allocating.
 *
 * @returns bytes received (0 at end of stream) or a negative errno.
 */
export function recvInto(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number {
  return native.recvInto(checkFd(fd), buffer, offset, length);
}

/**
 * Sends `buffer[offset, offset + length)` with `MSG_NOSIGNAL`.
 *
 * @returns bytes sent (possibly fewer than asked) or a negative errno (`errno.EAGAIN`,
 *   `errno.EPIPE`, …).
 */
export function send(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number {
  return native.send(checkFd(fd), buffer, offset, length);
}

/**
 * Sends several buffers in one system call (sendmsg with an iovec). At most `IOV_MAX`
 * (1024 on Linux) buffers go per call.
 *
 * @returns bytes sent (possibly fewer than asked) or a negative errno.
 */
export function sendv(fd: number, buffers: readonly ArrayBufferView[]): number {
  if (!Array.isArray(buffers)) throw new InvalidArgumentError('buffers must be an array');
  return native.sendv(checkFd(fd), buffers);
}

/**
 * Shuts down one or both directions.
 *
 * @param how - {@link SHUT_RD}, {@link SHUT_WR} or {@link SHUT_RDWR}.
 * @throws {SystemError} `ENOTCONN`
 */
export function shutdown(fd: number, how: number): void {
  native.shutdown(checkFd(fd), how);
}

/**
 * Reads an integer socket option. `SO_ERROR` is returned as 0 or a negative errno, like
 * every other errno in this library.
 *
 * @throws {SystemError} e.g. `ENOTSOCK`
 */
export function getsockopt(fd: number, option: SocketOption): number {
  return native.getsockopt(checkFd(fd), option);
}

/** Sets an integer (or boolean) socket option. @throws {SystemError} */
export function setsockopt(fd: number, option: SocketOption, value: number | boolean): void {
  native.setsockopt(checkFd(fd), option, value);
}

/**
 * Receives one datagram into `buffer[offset, offset + length)`.
 *
 * @returns `[bytes, senderAddress]`, or a negative errno (`errno.EAGAIN`, …).
 */
export function recvFrom(
  fd: number,
  buffer: ArrayBufferView,
  offset?: number,
  length?: number,
): [number, SocketAddress] | number {
  return native.recvFrom(checkFd(fd), buffer, offset, length);
}

/** Sends one datagram to `address`. @returns bytes sent or a negative errno. */
export function sendTo(
  fd: number,
  address: SocketAddress,
  buffer: ArrayBufferView,
  offset?: number,
  length?: number,
): number {
  return native.sendTo(checkFd(fd), checkAddress(address), buffer, offset, length);
}

/**
 * sendfile(2): sends up to `count` bytes of file `inFd` from `offset` without copying
 * through user space.
 *
 * @returns bytes sent, or a negative errno: `errno.EAGAIN`; `errno.ENOSYS` where the
 *   system has no usable sendfile (use read + send instead); `errno.EINVAL` for a source
 *   that cannot be mapped.
 */
export function sendFile(outFd: number, inFd: number, offset: number, count: number): number {
  return native.sendFile(checkFd(outFd), checkFd(inFd), offset, count);
}
