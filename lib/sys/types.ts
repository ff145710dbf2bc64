/** Socket address types shared by `ioreactor/sys`, the native interface and the sockets. */

/** An IPv4 or IPv6 endpoint; `address` is numeric (no DNS at this level). */
export interface InetAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  port: number;
  /** IPv6 only. */
  flowinfo?: number;
  /** IPv6 only: the interface index (or write `'fe80::1%eth0'` in `address`). */
  scopeid?: number;
}

/** A Unix-domain endpoint. A `path` starting with `'\0'` is abstract (Linux). */
export interface UnixAddress {
  family: 'unix';
  path: string;
}

/** Any socket address ioreactor reads or writes. */
export type SocketAddress = InetAddress | UnixAddress;
