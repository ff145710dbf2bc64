/**
 * Loads the compiled addon and describes exactly what it exports.
 *
 * Search order: `$IOREACTOR_NATIVE_PATH` (an explicit `.node` file, used by the sanitizer
 * build), then node-gyp-build's order: `build/Release`, `build/Debug`, then `prebuilds/`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { SocketAddress } from './sys/types.js';

/** The native selector class (`native/js/selector_wrap.cc`). */
export interface NativeSelector {
  /**
   * `flags`: bits of {@link NATIVE_FLAG_EDGE}, {@link NATIVE_FLAG_ONESHOT},
   * {@link NATIVE_FLAG_EXCLUSIVE}; ones the backend lacks throw InvalidArgumentError and
   * change nothing.
   */
  register(fd: number, events: number, flags?: number): void;
  /** Always reaches the kernel (re-arms a one-shot registration). */
  modify(fd: number, events: number, flags?: number): void;
  unregister(fd: number): void;
  /**
   * Fills the buffer given to setBuffer with (fd, mask) pairs; returns the pair count.
   * @throws {InvalidArgumentError} if that buffer's ArrayBuffer has been detached.
   */
  select(timeoutMs: number): number;
  /**
   * The array select() writes into (also read by the Loop on each batch). It may view a
   * SharedArrayBuffer; its memory is looked up on every use, never cached.
   */
  setBuffer(buffer: Int32Array): void;
  fileno(): number;
  close(): void;
  size(): number;
  /** How many times a wait was retried after EINTR (a diagnostic counter). */
  eintrRetries(): number;
  /**
   * Creates the selector's waker (one per selector; a second throws InvalidArgumentError)
   * and returns its process-wide id. select() reports it as the pair (-1, EVENT_READ) and
   * resets it in that same call. close() closes it.
   */
  openWaker(): number;
  /** The flag bits register/modify accept on this backend. */
  supportedFlags(): number;
  /**
   * Test hook, present only in addons built with `IOR_TEST_HOOKS` (cmake-js
   * `--CDIOR_TEST_HOOKS=ON`; never in node-gyp builds or prebuilds): the next kernel
   * register/modify fails with this negative errno.
   */
  injectFault?(errno: number): void;
}

/** The native half of an EventLoop (`native/js/loop_wrap.cc`). */
export interface NativeLoop {
  /** Whether registrations exist (the poll handle keeps the process alive only then). */
  setIoActive(active: boolean): void;
  ref(): void;
  unref(): void;
  /** (Re)arms the one-shot libuv timer; the delay is rounded up to whole ms (NaN, negatives: now). */
  armTimer(delayMs: number): void;
  disarmTimer(): void;
  /**
   * Closes the libuv handles and drops every reference to JavaScript (both callbacks, the
   * selector, the async context), so a closed loop and what its callbacks reach can be
   * collected. Idempotent.
   */
  close(): void;
}

/** Registration flag bit: edge-triggered (`kFlagEdge` in `native/core/selector.h`). */
export const NATIVE_FLAG_EDGE = 1;
/** Registration flag bit: one-shot, re-armed by modify (`kFlagOneshot`). */
export const NATIVE_FLAG_ONESHOT = 2;
/** Registration flag bit: `EPOLLEXCLUSIVE`, add-only (`kFlagExclusive`). */
export const NATIVE_FLAG_EXCLUSIVE = 4;

/** What `ioreactor.node` exports (`native/binding.cc`). */
export interface NativeBinding {
  init(classes: { SystemError: Function; InvalidArgumentError: Function }): void;
  backends(): string[];
  Selector: new (backend: string) => NativeSelector;
  Loop: new (selector: NativeSelector, onReady: (count: number) => void, onTimer: () => void) => NativeLoop;
  /**
   * Wakes the waker with this id, from any thread. @returns true if it was open (the wake
   * is pending or coalesced into a pending one), false if it is closed or the id was never
   * handed out. Ids are never reused.
   */
  wake(id: number): boolean;
  /** A stand-alone waker owned by this environment: [id, fd to watch for reading]. */
  openWaker(): [number, number];
  /** Resets a stand-alone waker of this environment (no-op for an unknown id). */
  drainWaker(id: number): void;
  /** Closes a stand-alone waker of this environment. @returns whether it was one. */
  closeWaker(id: number): boolean;
  /** Wakers open in the whole process (a diagnostic for tests). */
  wakerCount(): number;
  socketpair(): [number, number];
  pipe(): [number, number];
  close(fd: number): void;
  dup(fd: number): number;
  dup2(fd: number, fd2: number): number;
  /**
   * Every call that takes a buffer accepts any TypedArray or DataView, over an ArrayBuffer
   * or a SharedArrayBuffer, and throws InvalidArgumentError for a detached one.
   */
  read(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number;
  write(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number;
  /**
   * writev(2): writes the buffers in order in one system call, at most `IOV_MAX` per call
   * (any fd, pipes included). Reads every element before taking any pointer; a detached
   * element throws InvalidArgumentError.
   *
   * @returns bytes written (possibly fewer than asked) or a negative errno.
   */
  writev(fd: number, buffers: readonly ArrayBufferView[]): number;
  /**
   * pread(2) into `buffer[offset, offset + length)` from file position `position`
   * (an integer from 0 to 2**53); the file offset does not move.
   *
   * @returns bytes read (0 at end of file) or a negative errno (`-ESPIPE` for a pipe or
   *   socket); never throws for an OS error.
   * @throws {InvalidArgumentError} for a bad fd, buffer, range or position.
   */
  pread(fd: number, buffer: ArrayBufferView, offset: number | undefined, length: number | undefined, position: number): number;
  /**
   * Records `fd` as owned by this environment (main thread or worker): when the environment
   * shuts down (worker exit or terminate, process exit) every fd still owned is closed, as no
   * FinalizationRegistry callback runs then. Idempotent. `close(fd)` also ends ownership.
   */
  ownFd(fd: number): void;
  /** Ends ownership without closing. @returns whether `fd` was owned. */
  disownFd(fd: number): boolean;
  /**
   * Ends ownership and closes `fd` (owned or not).
   *
   * @returns 0 or a negative errno (`-EBADF` if it was closed already); never throws for an
   *   OS error, so it is safe in a FinalizationRegistry callback.
   */
  closeOwnedFd(fd: number): number;
  setNonBlocking(fd: number, on: boolean): void;
  getrlimitNofile(): { soft: number; hard: number };
  setrlimitNofile(soft: number): void;
  readonly FD_SETSIZE: number;
  socket(family: number, type: number, protocol: number): number;
  bind(fd: number, address: object): void;
  listen(fd: number, backlog: number): void;
  accept(fd: number): [number, SocketAddress] | number;
  connect(fd: number, address: object): number;
  getsockname(fd: number): SocketAddress;
  getpeername(fd: number): SocketAddress;
  /**
   * Receives up to `size` bytes into per-environment scratch memory and returns a Buffer of
   * exactly the bytes received (empty at end of stream), or a negative errno; nothing is
   * allocated on the JavaScript heap when the answer is an errno.
   */
  recv(fd: number, size: number): Buffer | number;
  recvInto(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number;
  send(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): number;
  /** Reads every element before taking any pointer; a detached element throws InvalidArgumentError. */
  sendv(fd: number, buffers: readonly ArrayBufferView[]): number;
  shutdown(fd: number, how: number): void;
  recvFrom(fd: number, buffer: ArrayBufferView, offset?: number, length?: number): [number, SocketAddress] | number;
  /**
   * recvfrom(2) that writes the sender as raw bytes into `key` (at least `addressKeyBytes`
   * long: a uint32 length, then the sockaddr) instead of making an address object.
   */
  recvFromKey(fd: number, buffer: ArrayBufferView, offset: number, length: number, key: Uint8Array): number;
  /** The address object a `recvFromKey` key describes. */
  addressFromKey(key: Uint8Array): SocketAddress;
  readonly addressKeyBytes: number;
  sendTo(fd: number, address: object, buffer: ArrayBufferView, offset?: number, length?: number): number;
  sendFile(outFd: number, inFd: number, offset: number, count: number): number;
  getsockopt(fd: number, option: string): number;
  setsockopt(fd: number, option: string, value: number | boolean): void;
  readonly socketConstants: Readonly<Record<
    'AF_INET' | 'AF_INET6' | 'AF_UNIX' | 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET' |
    'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR' | 'SOMAXCONN', number>>;
}

/** The package root: this file lives in `lib/` (sources) or `dist/` (compiled). */
export const packageRoot = path.resolve(__dirname, '..');

function load(): NativeBinding {
  const requireNative = createRequire(path.join(packageRoot, 'package.json'));
  const tried: string[] = [];
  const explicit = process.env.IOREACTOR_NATIVE_PATH;
  if (explicit) {
    tried.push(explicit);
    return requireNative(path.resolve(explicit)) as NativeBinding;
  }
  for (const candidate of ['build/Release/ioreactor.node', 'build/Debug/ioreactor.node']) {
    tried.push(path.join(packageRoot, candidate));
  }
  tried.push(path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, '*.node'));
  try {
    const nodeGypBuild = requireNative('node-gyp-build') as (dir: string) => unknown;
    return nodeGypBuild(packageRoot) as NativeBinding;
  } catch (cause) {
    const found = tried.filter((p) => !p.includes('*') && existsSync(p));
    const detail = found.length > 0 ? ` (present but failed to load: ${found.join(', ')})` : '';
    throw new Error(
      `ioreactor: could not load the native addon for ${process.platform}-${process.arch} ` +
        `node ${process.version}${detail}. Tried:\n  ${tried.join('\n  ')}\n` +
        'Run `npm install` (or `npm run build:native`) to compile it.',
      { cause },
    );
  }
}

/** The loaded addon; loading happens once per thread on first import. */
export const native: NativeBinding = load();
