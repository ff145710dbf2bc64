/**
 * The datagram transport over readiness (asyncio's `_SelectorDatagramTransport`) and
 * `loop.createDatagramEndpoint`: UDP over IPv4/IPv6 and Unix-domain datagram sockets,
 * connected (one remote address) or not.
 *
 * Sends go out at once; a datagram the kernel refuses with `EAGAIN` is copied into a
 * queue flushed when the socket is writable. Each readiness event receives one datagram
 * into the loop's scratch buffer and copies out exactly its bytes, so a datagram costs
 * its own size and nothing more (plus, on an unconnected endpoint, the sender's address).
 * OS errors of sends and receives go to the protocol's `errorReceived`; the endpoint
 * stays open.
 */
import { lookup } from 'node:dns/promises';
import { lstatSync, unlinkSync } from 'node:fs';
import { InvalidArgumentError, InvalidStateError, SystemError } from '../errors.js';
import { checkFunction, checkView, optionOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import { native } from '../internal/init.js';
import type { SocketEventLoop } from '../net/event-loop.js';
import { Socket, type SocketFamily } from '../net/socket.js';
import { errno } from '../sys/fd.js';
import type { SocketAddress } from '../sys/types.js';
import { checkLimits, kDefaultHigh } from './write-buffer.js';
import type { BaseProtocol, DatagramProtocol, DatagramTransport, ProtocolFactory, WriteBufferLimits } from './types.js';
import { reportIfOpenAtClose } from './unclosed.js';
import { AddressCache } from './address-cache.js';

const EAGAIN = errno.EAGAIN;
const kMaxDatagram = 65536;

/**
 * An endpoint address: numeric (`{ family, address, port }`, `{ family: 'unix', path }`),
 * a host name or numeric host to resolve with `node:dns` (`{ host, port }`), or a
 * Unix-domain path (`{ path }`).
 */
export type DatagramAddress = SocketAddress | { host: string; port: number } | { path: string };

/** Options of `loop.createDatagramEndpoint`. */
export interface CreateDatagramEndpointOptions {
  /** Bind to this address first. */
  localAddress?: DatagramAddress;
  /** Connect to this address: sends go there and only its datagrams are received. */
  remoteAddress?: DatagramAddress;
  /** Only this family; required when neither address nor `path` is given. */
  family?: SocketFamily;
  /** SO_REUSEPORT: several sockets share the port. @defaultValue false */
  reusePort?: boolean;
  /** SO_BROADCAST: allow sending to broadcast addresses. @defaultValue false */
  allowBroadcast?: boolean;
  /**
   * A Unix-domain datagram endpoint bound to this path (the same as
   * `localAddress: { path }`). A stale socket file there is removed first.
   */
  path?: string;
}

type Parsed = { kind: 'numeric'; address: SocketAddress } | { kind: 'host'; host: string; port: number };

function checkPort(port: unknown, where: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`${where}: port must be an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  return port;
}

/** Reads an address once (getters run here, never later) into a plain object of our own. */
function copyAddress(value: unknown, where: string): Parsed {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${where} must be { host, port }, { family, address, port } or { path }, got ${describeValue(value)}`);
  }
  let family: unknown, address: unknown, port: unknown, host: unknown, path: unknown, flowinfo: unknown, scopeid: unknown;
  try {
    ({ family, address, port, host, path, flowinfo, scopeid } = value as Record<string, unknown>);
  } catch (cause) {
    throw new InvalidArgumentError(`${where}: reading the address threw`, { cause });
  }
  if (family === 'unix' || (family === undefined && path !== undefined)) {
    if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`${where}: path must be a non-empty string`);
    return { kind: 'numeric', address: { family: 'unix', path } };
  }
  if (family === 'IPv4' || family === 'IPv6') {
    if (typeof address !== 'string') throw new InvalidArgumentError(`${where}: address must be a numeric IP string, got ${describeValue(address)}`);
    const out: SocketAddress = { family, address, port: checkPort(port, where) };
    if (typeof flowinfo === 'number') out.flowinfo = flowinfo;
    if (typeof scopeid === 'number') out.scopeid = scopeid;
    return { kind: 'numeric', address: out };
  }
  if (family !== undefined) throw new InvalidArgumentError(`${where}: family must be 'IPv4', 'IPv6' or 'unix', got ${describeValue(family)}`);
  if (typeof host !== 'string' || host === '') throw new InvalidArgumentError(`${where}: host must be a non-empty string`);
  return { kind: 'host', host, port: checkPort(port, where) };
}

function sameAddress(a: SocketAddress, b: SocketAddress): boolean {
  if (a.family === 'unix' || b.family === 'unix') return a.family === b.family && (a as { path: string }).path === (b as { path: string }).path;
  return a.family === b.family && a.address === b.address && a.port === b.port;
}

async function resolve(parsed: Parsed, family: SocketFamily | undefined, where: string): Promise<SocketAddress[]> {
  if (parsed.kind === 'numeric') return family === undefined || parsed.address.family === family ? [parsed.address] : [];
  try {
    const found = await lookup(parsed.host, { all: true, family: family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : 0 });
    return found.map((a) => ({ family: a.family === 6 ? 'IPv6' : 'IPv4', address: a.address, port: parsed.port }));
  } catch (error) {
    const code = (error as { errno?: unknown }).errno;
    if (typeof code === 'number') throw new SystemError(code, 'getaddrinfo', `${where} ${JSON.stringify(parsed.host)}`);
    throw new InvalidArgumentError(`${where}: could not resolve ${JSON.stringify(parsed.host)}`, { cause: error });
  }
}

function boolOption(options: unknown, key: string, where: string): boolean {
  const value = optionOf(options, key, where);
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${where}: ${key} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/** @internal loop.createDatagramEndpoint. */
export async function createDatagramEndpoint<P extends BaseProtocol>(
  loop: SocketEventLoop,
  factory: ProtocolFactory<P>,
  options: CreateDatagramEndpointOptions | undefined,
): Promise<[DatagramTransport, P]> {
  const where = 'createDatagramEndpoint';
  checkFunction(factory, `${where}: protocol factory`);
  const familyValue = optionOf(options, 'family', where);
  if (familyValue !== undefined && familyValue !== 'IPv4' && familyValue !== 'IPv6' && familyValue !== 'unix') {
    throw new InvalidArgumentError(`${where}: family must be 'IPv4', 'IPv6' or 'unix', got ${describeValue(familyValue)}`);
  }
  let family = familyValue as SocketFamily | undefined;
  const pathValue = optionOf(options, 'path', where);
  const localValue = optionOf(options, 'localAddress', where);
  const remoteValue = optionOf(options, 'remoteAddress', where);
  const reusePort = boolOption(options, 'reusePort', where);
  const allowBroadcast = boolOption(options, 'allowBroadcast', where);
  if (pathValue !== undefined && localValue !== undefined) throw new InvalidArgumentError(`${where}: give path or localAddress, not both`);
  const local = pathValue !== undefined ? copyAddress({ path: pathValue }, `${where}: path`) : localValue === undefined ? undefined : copyAddress(localValue, `${where}: localAddress`);
  const remote = remoteValue === undefined ? undefined : copyAddress(remoteValue, `${where}: remoteAddress`);
  const isUnix = (p: Parsed | undefined): boolean => p?.kind === 'numeric' && p.address.family === 'unix';
  if (isUnix(local) || isUnix(remote)) {
    if ((local !== undefined && !isUnix(local)) || (remote !== undefined && !isUnix(remote)) || (family !== undefined && family !== 'unix')) {
      throw new InvalidArgumentError(`${where}: a Unix-domain path cannot be mixed with an IP family or address`);
    }
    family = 'unix';
  }
  if (local === undefined && remote === undefined && family === undefined) {
    throw new InvalidArgumentError(`${where}: give localAddress, remoteAddress, path or family`);
  }
  let protocol: P;
  const [sock, connectedTo] = await openEndpoint(loop, family, local, remote, reusePort, allowBroadcast, where);
  try {
    protocol = factory();
  } catch (error) {
    sock.close();
    throw error;
  }
  const transport = new DatagramSocketTransport(loop, sock, protocol, connectedTo);
  await transport.start();
  return [transport, protocol];
}

/** Tries each (local, remote) pair of one family in turn; throws the first failure. */
async function openEndpoint(
  loop: SocketEventLoop,
  family: SocketFamily | undefined,
  local: Parsed | undefined,
  remote: Parsed | undefined,
  reusePort: boolean,
  allowBroadcast: boolean,
  where: string,
): Promise<[Socket, SocketAddress | undefined]> {
  const ip = family === 'unix' ? undefined : family;
  const locals = local === undefined ? [] : await resolve(local, family === 'unix' ? undefined : ip, where);
  const remotes = remote === undefined ? [] : await resolve(remote, family === 'unix' ? undefined : ip, where);
  const pairs: [SocketFamily, SocketAddress | undefined, SocketAddress | undefined][] = [];
  if (remote !== undefined) {
    for (const r of remotes) {
      if (local === undefined) pairs.push([r.family, undefined, r]);
      else for (const l of locals) if (l.family === r.family) pairs.push([r.family, l, r]);
    }
  } else if (local !== undefined) {
    for (const l of locals) pairs.push([l.family, l, undefined]);
  } else {
    pairs.push([family!, undefined, undefined]);
  }
  if (pairs.length === 0) throw new InvalidArgumentError(`${where}: no local and remote address of one family`);
  const errors: unknown[] = [];
  for (const [fam, l, r] of pairs) {
    const sock = new Socket({ family: fam, type: 'dgram', loop });
    try {
      if (reusePort) sock.setOption('SO_REUSEPORT', true);
      if (allowBroadcast) sock.setOption('SO_BROADCAST', true);
      if (l !== undefined) {
        if (l.family === 'unix') removeStaleSocket(l.path);
        sock.bind(l);
      }
      if (r !== undefined) await sock.connect(r);
      return [sock, r];
    } catch (error) {
      sock.close();
      errors.push(error);
    }
  }
  throw errors[0];
}

/** A socket file left by a previous run would make bind fail with EADDRINUSE (asyncio removes it too). */
function removeStaleSocket(path: string): void {
  if (path.startsWith('\0')) return;
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there (or not ours to remove): bind reports what is wrong.
  }
}

/** One datagram that waits for the socket to be writable: our own copy of bytes and address. */
interface Queued {
  data: Buffer;
  address: SocketAddress | null;
}

/**
 * A datagram transport over a non-blocking socket it owns. `datagramReceived` and
 * `errorReceived` that throw are reported to the loop's exception handler and the
 * endpoint stays open (one bad datagram does not end a server), as in asyncio; a
 * throwing `connectionMade` closes it.
 */
export class DatagramSocketTransport implements DatagramTransport {
  #loop: SocketEventLoop;
  #sock: Socket;
  #fd: number;
  #protocol: DatagramProtocol;
  #remote: SocketAddress | null = null;
  #given: SocketAddress | null = null;
  #extra: Record<string, unknown>;
  #closing = false;
  #lost = false;
  #reading = false;
  #queue: Queued[] = [];
  #size = 0;
  #high = kDefaultHigh;
  #low = kDefaultHigh / 4;
  #protocolPaused = false;
  #untrack: () => void;
  #made = false;
  #settleStart: ((error: Error | null) => void) | null = null;
  #onReadable = (): void => this.#read();
  #onWritable = (): void => this.#flush();
  #senders: AddressCache | null = null;

  /**
   * @internal Use `loop.createDatagramEndpoint`. `remote` is the address the socket was
   * connected to, if it was.
   */
  constructor(loop: SocketEventLoop, sock: Socket, protocol: BaseProtocol, remote: SocketAddress | undefined) {
    this.#loop = loop;
    this.#sock = sock;
    this.#fd = sock.fileno();
    this.#protocol = protocol as DatagramProtocol;
    this.#extra = { socket: sock, fd: this.#fd };
    if (remote !== undefined) {
      this.#remote = sock.remoteAddress;
      this.#given = remote;
      this.#extra.peername = this.#remote;
    }
    this.#untrack = loop.trackPending(reportIfOpenAtClose(loop, 'DatagramTransport', this.#fd, (error) => this.#finish(error)));
  }

  /**
   * @internal Calls connectionMade, then starts receiving; resolves once it has run, and
   * rejects if the loop closes first (connectionLost then never comes: nothing was made).
   */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#settleStart = (error) => (error === null ? resolve() : reject(error));
      this.#loop.callSoon(() => {
        this.#made = true;
        try {
          this.#protocol.connectionMade?.(this);
        } catch (error) {
          this.#report(error, 'connectionMade');
          this.#forceClose(error instanceof Error ? error : new Error(String(error)));
        }
        if (!this.#closing) {
          this.#reading = true;
          this.#loop.addReader(this.#fd, this.#onReadable);
        }
        this.#settleStart?.(null);
        this.#settleStart = null;
      });
    });
  }

  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    if (name === 'sockname') {
      // Not cached: an unbound socket gets its port on the first send.
      try {
        return this.#lost ? defaultValue : this.#sock.localAddress;
      } catch {
        return defaultValue;
      }
    }
    return name in this.#extra ? this.#extra[name] : defaultValue;
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
    this.#protocol = protocol as DatagramProtocol;
  }

  getWriteBufferSize(): number {
    return this.#size;
  }

  /** The watermarks around which `pauseWriting`/`resumeWriting` are called (64 KiB / 16 KiB). */
  getWriteBufferLimits(): WriteBufferLimits {
    return { high: this.#high, low: this.#low };
  }

  /** Sets the watermarks, with the stream transport's rules. @throws {InvalidArgumentError} */
  setWriteBufferLimits(limits?: Partial<WriteBufferLimits>): void {
    ({ high: this.#high, low: this.#low } = checkLimits(limits));
    this.#maybePause();
  }

  /**
   * Sends one datagram (empty ones included). On a connected endpoint `address` must be
   * omitted or equal the remote address (as given, or as `getExtraInfo('peername')`
   * reports it); on an unconnected one it is required and of the endpoint's family.
   * After `close()` or `abort()` the datagram is dropped.
   *
   * @throws {InvalidArgumentError} for bad data or address.
   */
  sendTo(data: ArrayBufferView, address?: SocketAddress): void {
    checkView(data, 'data');
    let target: SocketAddress | null = null;
    if (address !== undefined) {
      const parsed = copyAddress(address, 'sendTo: address');
      if (parsed.kind !== 'numeric') throw new InvalidArgumentError('sendTo: address must be numeric ({ family, address, port } or { family: \'unix\', path })');
      target = parsed.address;
      if (this.#remote !== null && !sameAddress(target, this.#remote) && !sameAddress(target, this.#given!)) {
        throw new InvalidArgumentError('sendTo: a connected endpoint sends only to its remote address');
      }
      if (target.family !== this.#sock.family) {
        throw new InvalidArgumentError(`sendTo: a ${this.#sock.family} endpoint cannot send to an ${target.family} address`);
      }
    } else if (this.#remote === null) {
      throw new InvalidArgumentError('sendTo: an unconnected endpoint needs an address');
    }
    if (this.#closing) return;
    const view = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.#queue.length === 0) {
      const n = this.#send(view, this.#remote === null ? target : null);
      if (n !== EAGAIN) return;
      this.#loop.addWriter(this.#fd, this.#onWritable);
    }
    // Only what must outlive this call is kept: a copy of the bytes (the caller may reuse
    // its buffer at once, as with a successful send) and of the address.
    this.#queue.push({ data: Buffer.from(view), address: this.#remote === null ? target : null });
    this.#size += view.byteLength;
    this.#maybePause();
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#stopReading();
    if (this.#queue.length === 0) this.#loop.callSoon(() => this.#finish(null));
  }

  abort(): void {
    this.#forceClose(null);
  }

  /** Sends one datagram; returns EAGAIN, or anything else once it was sent or reported. */
  #send(view: Uint8Array, address: SocketAddress | null): number {
    const n = address === null ? native.send(this.#fd, view) : native.sendTo(this.#fd, address, view);
    if (n < 0 && n !== EAGAIN) this.#errorReceived(new SystemError(n, address === null ? 'send' : 'sendto'));
    return n;
  }

  #read(): void {
    const scratch = this.#loop.io.scratch(kMaxDatagram);
    let n: number;
    let from: SocketAddress;
    if (this.#remote !== null) {
      // Connected: the sender can only be the remote address, so no address is made.
      n = native.recvInto(this.#fd, scratch, 0, kMaxDatagram);
      from = this.#remote;
    } else {
      // The sender as raw bytes, then one cached address object per sender (no allocation).
      const senders = (this.#senders ??= new AddressCache());
      n = native.recvFromKey(this.#fd, scratch, 0, kMaxDatagram, senders.key);
      if (n >= 0) from = senders.lookup();
    }
    if (n === EAGAIN) return;
    if (n < 0) {
      this.#errorReceived(new SystemError(n, this.#remote !== null ? 'recv' : 'recvfrom'));
      return;
    }
    // An empty datagram is a datagram, not an end of stream.
    const data = Buffer.allocUnsafe(n);
    scratch.copy(data, 0, 0, n);
    try {
      this.#protocol.datagramReceived?.(data, from!);
    } catch (error) {
      this.#report(error, 'datagramReceived');
    }
  }

  #flush(): void {
    const queue = this.#queue;
    let sent = 0;
    while (sent < queue.length) {
      const item = queue[sent]!;
      if (this.#send(item.data, item.address) === EAGAIN) break;
      // errorReceived may have aborted the endpoint, which dropped the queue.
      if (this.#queue !== queue) return;
      this.#size -= item.data.byteLength;
      sent++;
    }
    if (sent > 0) queue.splice(0, sent);
    this.#maybeResume();
    if (queue.length > 0) return;
    this.#loop.removeWriter(this.#fd);
    if (this.#closing) this.#finish(null);
  }

  #errorReceived(error: Error): void {
    try {
      this.#protocol.errorReceived?.(error);
    } catch (thrown) {
      this.#report(thrown, 'errorReceived');
    }
  }

  #stopReading(): void {
    if (!this.#reading) return;
    this.#reading = false;
    if (!this.#lost && !this.#loop.closed) this.#loop.removeReader(this.#fd);
  }

  #maybePause(): void {
    if (this.#protocolPaused || this.#size <= this.#high) return;
    this.#protocolPaused = true;
    try {
      this.#protocol.pauseWriting?.();
    } catch (error) {
      this.#report(error, 'pauseWriting');
    }
  }

  #maybeResume(): void {
    if (!this.#protocolPaused || this.#size > this.#low) return;
    this.#protocolPaused = false;
    try {
      this.#protocol.resumeWriting?.();
    } catch (error) {
      this.#report(error, 'resumeWriting');
    }
  }

  #report(error: unknown, where: string): void {
    this.#loop.callExceptionHandler({ message: `protocol ${where}() failed for fd ${this.#fd}`, exception: error, fd: this.#fd });
  }

  #forceClose(error: Error | null): void {
    if (this.#lost) return;
    this.#closing = true;
    this.#stopReading();
    if (this.#queue.length > 0 && !this.#loop.closed) this.#loop.removeWriter(this.#fd);
    this.#queue = [];
    this.#size = 0;
    if (this.#loop.closed) this.#finish(error);
    else this.#loop.callSoon(() => this.#finish(error));
  }

  /** The end: connectionLost (once, last), then the socket is closed. */
  #finish(error: Error | null): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#closing = true;
    this.#reading = false;
    this.#untrack();
    this.#queue = [];
    this.#size = 0;
    try {
      if (this.#made) this.#protocol.connectionLost?.(error);
    } catch (thrown) {
      this.#report(thrown, 'connectionLost');
    } finally {
      this.#settleStart?.(error ?? new InvalidStateError('the datagram endpoint closed before it started'));
      this.#settleStart = null;
      // Closing the Socket drops its reader and writer from the loop.
      this.#sock.close();
    }
  }
}
