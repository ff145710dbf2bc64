/**
 * Opening servers and connections for protocols: address resolution, socket options,
 * trying each address in turn, and the hand-over to a transport.
 */
import { lookup } from 'node:dns/promises';
import { lstatSync, unlinkSync } from 'node:fs';
import { InvalidArgumentError, SystemError } from '../errors.js';
import { checkFunction, optionOf, signalOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import type { SocketEventLoop } from '../net/event-loop.js';
import { Socket, type SocketFamily } from '../net/socket.js';
import type { InetAddress } from '../sys/types.js';
import { Server, type ConnectionHook } from './server.js';
import { SocketTransport } from './socket-transport.js';
import type { ProtocolFactory, StreamProtocol } from './types.js';

/** Options of `loop.createServer`. */
export interface CreateServerOptions {
  /**
   * A numeric address or host name to bind (every address it resolves to gets a socket),
   * or a list of them. Omitted or `''`: all interfaces, IPv4 and IPv6.
   */
  host?: string | readonly string[];
  /** @defaultValue 0 (a free port, per socket) */
  port?: number;
  /** Listen backlog, and the most connections accepted per readiness event. @defaultValue 100 */
  backlog?: number;
  /** SO_REUSEADDR. @defaultValue true */
  reuseAddress?: boolean;
  /** SO_REUSEPORT: several sockets (e.g. one per worker thread) share the port. @defaultValue false */
  reusePort?: boolean;
  /** Only this family. */
  family?: 'IPv4' | 'IPv6';
  /** Whether to start accepting at once. @defaultValue true */
  startServing?: boolean;
}

/** Options of `loop.createConnection`. */
export interface CreateConnectionOptions {
  host: string;
  port: number;
  /** Bind the client socket to this local address first. */
  localAddress?: { address: string; port?: number };
  /** Only this family. */
  family?: 'IPv4' | 'IPv6';
  /** TCP_NODELAY (asyncio sets it too). @defaultValue true */
  noDelay?: boolean;
  /** Cancels the connect. */
  signal?: AbortSignal;
}

/** Options of `loop.createUnixServer`. */
export interface CreateUnixServerOptions {
  /** The socket path; a leading `'\0'` makes an abstract name (Linux). */
  path: string;
  /** @defaultValue 100 */
  backlog?: number;
  /** Remove a stale socket file before binding, and the file on close. @defaultValue true */
  cleanupSocket?: boolean;
  /** @defaultValue true */
  startServing?: boolean;
}

/** Options of `loop.createUnixConnection`. */
export interface CreateUnixConnectionOptions {
  path: string;
  signal?: AbortSignal;
}

function boolOption(options: unknown, key: string, where: string, fallback: boolean): boolean {
  const value = optionOf(options, key, where);
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${where}: ${key} must be a boolean, got ${describeValue(value)}`);
  return value;
}

function intOption(options: unknown, key: string, where: string, fallback: number, max: number): number {
  const value = optionOf(options, key, where);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(`${where}: ${key} must be an integer from 0 to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

function familyOption(options: unknown, where: string): SocketFamily | undefined {
  const value = optionOf(options, 'family', where);
  if (value === undefined || value === 'IPv4' || value === 'IPv6') return value;
  throw new InvalidArgumentError(`${where}: family must be 'IPv4' or 'IPv6', got ${describeValue(value)}`);
}

function pathOption(options: unknown, where: string): string {
  const path = optionOf(options, 'path', where);
  if (typeof path !== 'string' || path === '') throw new InvalidArgumentError(`${where}: path must be a non-empty string`);
  return path;
}

async function resolveAll(host: string, family: SocketFamily | undefined, where: string): Promise<InetAddress[]> {
  try {
    const found = await lookup(host, { all: true, family: family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : 0 });
    const seen = new Set<string>();
    const out: InetAddress[] = [];
    for (const a of found) {
      if (seen.has(a.address)) continue;
      seen.add(a.address);
      out.push({ family: a.family === 6 ? 'IPv6' : 'IPv4', address: a.address, port: 0 });
    }
    return out;
  } catch (error) {
    const errnoValue = (error as { errno?: unknown }).errno;
    if (typeof errnoValue === 'number') {
      throw new SystemError(errnoValue, 'getaddrinfo', `${where} ${JSON.stringify(host)}`);
    }
    throw new InvalidArgumentError(`${where}: could not resolve ${JSON.stringify(host)}`, { cause: error });
  }
}

/** @internal loop.createServer. */
export async function createServer(
  loop: SocketEventLoop,
  factory: ProtocolFactory,
  options: CreateServerOptions | undefined,
  onConnection?: ConnectionHook,
): Promise<Server> {
  checkFunction(factory, 'createServer: protocol factory');
  const where = 'createServer';
  const hostOption = optionOf(options, 'host', where);
  const port = intOption(options, 'port', where, 0, 65535);
  const backlog = intOption(options, 'backlog', where, 100, 0x7fffffff);
  const reuseAddress = boolOption(options, 'reuseAddress', where, true);
  const reusePort = boolOption(options, 'reusePort', where, false);
  const startServing = boolOption(options, 'startServing', where, true);
  const family = familyOption(options, where);
  const hosts = hostOption === undefined || hostOption === '' ? [] : Array.isArray(hostOption) ? [...hostOption] : [hostOption];
  for (const h of hosts) if (typeof h !== 'string') throw new InvalidArgumentError(`${where}: host must be a string, got ${describeValue(h)}`);
  let addresses: InetAddress[] = [];
  if (hosts.length === 0) {
    if (family !== 'IPv6') addresses.push({ family: 'IPv4', address: '0.0.0.0', port });
    if (family !== 'IPv4') addresses.push({ family: 'IPv6', address: '::', port });
  } else {
    for (const h of hosts as string[]) addresses.push(...(await resolveAll(h, family, where)));
    addresses = addresses.map((a) => ({ ...a, port }));
  }
  const sockets: Socket[] = [];
  try {
    for (const address of addresses) {
      let sock: Socket;
      try {
        sock = new Socket({ family: address.family, loop });
      } catch (error) {
        // No IPv6 on this host: serve on what there is when binding everywhere.
        if (hosts.length === 0 && address.family === 'IPv6' && error instanceof SystemError) continue;
        throw error;
      }
      sockets.push(sock);
      if (reuseAddress) sock.setOption('SO_REUSEADDR', true);
      if (reusePort) sock.setOption('SO_REUSEPORT', true);
      if (address.family === 'IPv6') sock.setOption('IPV6_V6ONLY', true);
      sock.bind(address);
      sock.listen(backlog);
    }
  } catch (error) {
    for (const sock of sockets) sock.close();
    throw error;
  }
  const server = new Server(loop, sockets, factory, Math.max(backlog, 1), onConnection);
  if (startServing) server.startServing();
  return server;
}

/** @internal loop.createUnixServer. */
export async function createUnixServer(
  loop: SocketEventLoop,
  factory: ProtocolFactory,
  options: CreateUnixServerOptions,
  onConnection?: ConnectionHook,
): Promise<Server> {
  checkFunction(factory, 'createUnixServer: protocol factory');
  const where = 'createUnixServer';
  const path = pathOption(options, where);
  const backlog = intOption(options, 'backlog', where, 100, 0x7fffffff);
  const cleanup = boolOption(options, 'cleanupSocket', where, true);
  const startServing = boolOption(options, 'startServing', where, true);
  const abstract = path.startsWith('\0');
  if (cleanup && !abstract) {
    // A socket file left by a previous run would make bind fail with EADDRINUSE.
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // Nothing there (or not ours to remove): bind reports what is wrong.
    }
  }
  const sock = new Socket({ family: 'unix', loop });
  let inode: bigint | undefined;
  try {
    sock.bind({ path });
    sock.listen(backlog);
    if (!abstract) inode = lstatSync(path, { bigint: true }).ino;
  } catch (error) {
    sock.close();
    throw error;
  }
  const server = new Server(loop, [sock], factory, Math.max(backlog, 1), onConnection, () => {
    // Remove the file on close unless something else has replaced it meanwhile.
    if (!cleanup || inode === undefined) return;
    try {
      if (lstatSync(path, { bigint: true }).ino === inode) unlinkSync(path);
    } catch {
      // Already gone.
    }
  });
  if (startServing) server.startServing();
  return server;
}

/** Hands a connected socket to a new transport and waits for connectionMade. */
async function attach<P extends StreamProtocol>(loop: SocketEventLoop, sock: Socket, factory: ProtocolFactory<P>): Promise<[SocketTransport, P]> {
  let protocol: P;
  try {
    protocol = factory();
  } catch (error) {
    sock.close();
    throw error;
  }
  const transport = new SocketTransport(loop, sock, protocol);
  await transport.start();
  return [transport, protocol];
}

/** @internal loop.createConnection. */
export async function createConnection<P extends StreamProtocol>(
  loop: SocketEventLoop,
  factory: ProtocolFactory<P>,
  options: CreateConnectionOptions,
): Promise<[SocketTransport, P]> {
  const sock = await connectSocket(loop, options, 'createConnection');
  return attach(loop, sock, factory);
}

/**
 * @internal Resolves host and connects a TCP socket, trying each address in turn (IPv6
 * and IPv4, in the resolver's order). Throws the first address's error if none works.
 */
export async function connectSocket(loop: SocketEventLoop, options: CreateConnectionOptions, where: string): Promise<Socket> {
  const host = optionOf(options, 'host', where);
  if (typeof host !== 'string' || host === '') throw new InvalidArgumentError(`${where}: host must be a non-empty string`);
  const portValue = optionOf(options, 'port', where);
  if (typeof portValue !== 'number' || !Number.isInteger(portValue) || portValue < 0 || portValue > 65535) {
    throw new InvalidArgumentError(`${where}: port must be an integer from 0 to 65535, got ${describeValue(portValue)}`);
  }
  const port = portValue;
  const signal = signalOf(options, where);
  const family = familyOption(options, where);
  const noDelay = boolOption(options, 'noDelay', where, true);
  const local = optionOf(options, 'localAddress', where) as { address?: unknown; port?: unknown } | undefined;
  if (local !== undefined && (typeof local !== 'object' || local === null || typeof local.address !== 'string')) {
    throw new InvalidArgumentError(`${where}: localAddress must be { address, port? }`);
  }
  signal?.throwIfAborted();
  const addresses = await resolveAll(host, family, where);
  const errors: unknown[] = [];
  for (const address of addresses) {
    signal?.throwIfAborted();
    const sock = new Socket({ family: address.family, loop });
    try {
      if (noDelay) sock.setOption('TCP_NODELAY', true);
      if (local !== undefined) sock.bind({ family: address.family, address: local.address as string, port: (local.port as number | undefined) ?? 0 });
      await sock.connect({ ...address, port }, { signal });
      return sock;
    } catch (error) {
      sock.close();
      if (signal?.aborted) throw signal.reason;
      errors.push(error);
    }
  }
  throw errors[0] ?? new InvalidArgumentError(`${where}: ${JSON.stringify(host)} resolved to no address`);
}

/** @internal loop.createUnixConnection. */
export async function createUnixConnection<P extends StreamProtocol>(
  loop: SocketEventLoop,
  factory: ProtocolFactory<P>,
  options: CreateUnixConnectionOptions,
): Promise<[SocketTransport, P]> {
  const sock = await connectUnixSocket(loop, options, 'createUnixConnection');
  return attach(loop, sock, factory);
}

/** @internal Connects a Unix-domain stream socket. */
export async function connectUnixSocket(loop: SocketEventLoop, options: CreateUnixConnectionOptions, where: string): Promise<Socket> {
  const path = pathOption(options, where);
  const signal = signalOf(options, where);
  const sock = new Socket({ family: 'unix', loop });
  try {
    await sock.connect({ family: 'unix', path }, { signal });
  } catch (error) {
    sock.close();
    throw error;
  }
  return sock;
}

/** @internal loop.connectAcceptedSocket. */
export async function connectAcceptedSocket<P extends StreamProtocol>(
  loop: SocketEventLoop,
  factory: ProtocolFactory<P>,
  sock: Socket,
): Promise<[SocketTransport, P]> {
  checkFunction(factory, 'connectAcceptedSocket: protocol factory');
  if (!(sock instanceof Socket) || sock.closed || sock.type !== 'stream') {
    throw new InvalidArgumentError('connectAcceptedSocket: socket must be an open stream Socket');
  }
  return attach(loop, sock, factory);
}
