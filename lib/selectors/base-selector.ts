/** The selectors contract, shared by every backend; backends differ only by name. */
import {
  AlreadyRegisteredError,
  ClosedError,
  InvalidArgumentError,
  NotRegisteredError,
  SystemError,
} from '../errors.js';
import { native, type NativeSelector } from '../internal/init.js';
import { describeFileObject, describeValue, type FileObject, fileObjectToFd } from '../internal/fd.js';
import { EVENT_READ, EVENT_WRITE, SelectorKey } from './selector-key.js';
import { SelectorMapping } from './selector-mapping.js';

/** The names of the readiness backends. */
export type BackendName = 'epoll' | 'kqueue' | 'poll' | 'select';

/**
 * The `data` argument of `register`/`modify`: optional when `TData` admits `undefined`
 * (the default, `unknown`, does), required otherwise, so a key's `data` is always what its
 * type says.
 */
export type DataArgument<TData> = undefined extends TData ? [data?: TData] : [data: TData];

/** One `select()` result: the key and the events that are ready (a subset of `key.events`). */
export type SelectResult<TData> = [key: SelectorKey<TData>, events: number];

const kInitialPairs = 64;

function checkEvents(events: unknown): number {
  // Compared as values, not through bitwise operators: `2 ** 32 & ~3` is 0 in
  // JavaScript, and such a mask must be refused here, before anything changes.
  if (events !== EVENT_READ && events !== EVENT_WRITE && events !== (EVENT_READ | EVENT_WRITE)) {
    throw new InvalidArgumentError(`Invalid events: ${describeValue(events)} (expected EVENT_READ, EVENT_WRITE or both)`);
  }
  return events;
}

/**
 * A level-triggered readiness selector with the contract of Python's `selectors`.
 *
 * Use a concrete class ({@link DefaultSelector}, `EpollSelector`, `KqueueSelector`,
 * `PollSelector`, `SelectSelector`). All of them behave the same except as noted under
 * *Portability*.
 *
 * @remarks
 * *Portability.* `select` only watches fds below `FD_SETSIZE` (usually 1024) and throws
 * `EBADF` from `select()` while a closed fd is registered; `poll` reports a closed,
 * still-registered fd as ready on every call; `epoll` silently stops reporting an fd once
 * its last reference is closed. Unregister before you close.
 *
 * *Timeouts are milliseconds*, where Python uses seconds.
 */
export abstract class BaseSelector<TData = unknown> implements Disposable {
  /** Which kernel mechanism this selector uses. */
  readonly backend: BackendName;

  #native: NativeSelector | null;
  #keys = new Map<number, SelectorKey<TData>>();
  // Objects seen by register(), so a handle that was closed (fileno() now throws or
  // returns -1) can still be found, in O(1) rather than CPython's scan.
  #byObject = new Map<object, SelectorKey<TData>>();
  #buffer = new Int32Array(2 * kInitialPairs);
  #map: SelectorMapping<TData> | null;

  /** @internal */
  protected constructor(backend: BackendName) {
    this.backend = backend;
    this.#native = new native.Selector(backend);
    this.#native.setBuffer(this.#buffer);
    this.#map = new SelectorMapping(this.#keys, (fileobj) => this.#tryLookupFd(fileobj));
  }

  /**
   * Starts watching a file object.
   *
   * @param fileobj - an fd, an object with a numeric `fd`, or an object with `fileno()`.
   * @param events - {@link EVENT_READ}, {@link EVENT_WRITE} or both.
   * @param data - anything; returned with the key by `select()`.
   * @returns the new, frozen key.
   * @throws {InvalidArgumentError} for a bad mask (checked before the file object), a bad
   *   file object, or (select backend) an fd not below `FD_SETSIZE`.
   * @throws {AlreadyRegisteredError} if the fd is registered, through any object.
   * @throws {SystemError} if the kernel refuses (epoll: `EPERM` for a regular file,
   *   `EBADF` for a closed fd; kqueue: `EBADF`). No key is left behind.
   * @throws {ClosedError} after `close()`.
   */
  register(fileobj: FileObject, events: number, ...data: DataArgument<TData>): SelectorKey<TData> {
    const selector = this.#open();
    checkEvents(events);
    const fd = fileObjectToFd(fileobj);
    const existing = this.#keys.get(fd);
    if (existing !== undefined) {
      throw new AlreadyRegisteredError(
        `${typeof fileobj === 'number' ? `fd ${fd}` : `${describeFileObject(fileobj)} (fd ${fd})`} is already registered` +
          (existing.fileobj === fileobj ? '' : ` as ${describeFileObject(existing.fileobj)}`),
      );
    }
    if (this.backend === 'select' && fd >= native.FD_SETSIZE) {
      throw new InvalidArgumentError(
        `fd ${fd} is not below FD_SETSIZE (${native.FD_SETSIZE}); the select backend cannot ` +
          'watch it (use PollSelector or DefaultSelector)',
      );
    }
    selector.register(fd, events);
    const key = new SelectorKey<TData>(fileobj, fd, events, data[0] as TData);
    this.#store(key);
    if (this.#keys.size > this.#buffer.length / 2) this.#grow();
    return key;
  }

  /**
   * Stops watching a file object. Never throws because the fd was closed (or closed and
   * its number reused) behind the selector's back; a closed handle object is found by
   * identity.
   *
   * @returns the removed key.
   * @throws {NotRegisteredError} if it is not registered.
   * @throws {InvalidArgumentError} for a file object that is neither valid nor registered.
   * @throws {ClosedError} after `close()`.
   */
  unregister(fileobj: FileObject): SelectorKey<TData> {
    const selector = this.#open();
    const key = this.#lookup(fileobj);
    this.#forget(key);
    selector.unregister(key.fd);
    return key;
  }

  /**
   * Changes the events and/or data of a registration, like `unregister` then `register`
   * but cheaper. With the same events and new data no system call is made. Omitting
   * `data` sets it to `undefined`, as Python's `data=None` does.
   *
   * @returns the new key.
   * @throws {InvalidArgumentError} for a bad mask.
   * @throws {NotRegisteredError} if it is not registered.
   * @throws {SystemError} if the kernel refuses; the registration is then removed
   *   (CPython bpo-30014), so the map and the kernel agree.
   * @throws {ClosedError} after `close()`.
   */
  modify(fileobj: FileObject, events: number, ...data: DataArgument<TData>): SelectorKey<TData> {
    const selector = this.#open();
    checkEvents(events);
    const key = this.#lookup(fileobj);
    if (events !== key.events) {
      try {
        selector.modify(key.fd, events);
      } catch (error) {
        // A kernel failure unregisters the fd natively (Selector::Modify); anything else
        // (a refused argument) changed nothing there, so nothing changes here either.
        if (error instanceof SystemError) this.#forget(key);
        throw error;
      }
    } else if (data[0] === key.data) {
      return key;
    }
    const next = new SelectorKey<TData>(key.fileobj, key.fd, events, data[0] as TData);
    this.#store(next);
    return next;
  }

  /**
   * Waits until some registered file is ready, or the timeout passes.
   *
   * @param timeoutMs - `undefined`, `null` or `Infinity`: block until something is ready;
   *   `<= 0`: poll without blocking; `> 0`: wait at least this many milliseconds (rounded
   *   up to the backend's resolution). A signal does not end the wait early.
   * @returns `[key, events]` for each ready file, `events` being the ready subset of
   *   `key.events` (never 0). Error and hang-up conditions report every registered
   *   direction. This call blocks the thread: Promises cannot settle while it waits.
   * @throws {InvalidArgumentError} for a NaN or non-number timeout.
   * @throws {SystemError} if the kernel call fails (select backend: `EBADF` while a
   *   closed fd is registered).
   * @throws {ClosedError} after `close()`.
   */
  select(timeoutMs?: number | null): SelectResult<TData>[] {
    const selector = this.#open();
    let timeout: number;
    if (timeoutMs === undefined || timeoutMs === null) {
      timeout = -1;
    } else if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
      throw new InvalidArgumentError(`Invalid timeout: ${describeValue(timeoutMs)}`);
    } else if (timeoutMs === Infinity) {
      timeout = -1;
    } else {
      timeout = timeoutMs <= 0 ? 0 : timeoutMs;
    }
    const count = selector.select(timeout);
    const buffer = this.#buffer;
    const ready: SelectResult<TData>[] = [];
    for (let i = 0; i < count; i++) {
      // An fd unregistered after the kernel reported it is dropped here.
      const key = this.#keys.get(buffer[2 * i]!);
      if (key !== undefined) ready.push([key, buffer[2 * i + 1]! & key.events]);
    }
    return ready;
  }

  /**
   * The key of a registered file object.
   *
   * @throws {NotRegisteredError} if it is not registered.
   * @throws {ClosedError} after `close()`.
   */
  getKey(fileobj: FileObject): SelectorKey<TData> {
    this.#open();
    return this.#lookup(fileobj);
  }

  /**
   * The live read-only fd → key view; the same object until `close()`, `null` after.
   */
  getMap(): SelectorMapping<TData> | null {
    return this.#map;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#native === null;
  }

  /**
   * Releases the kernel object and forgets every registration. Idempotent. Registered
   * fds are not closed: they belong to the caller.
   */
  close(): void {
    const selector = this.#native;
    if (selector === null) return;
    this.#native = null;
    selector.close();
    this.#keys.clear();
    this.#byObject.clear();
    this.#map?.detach();
    this.#map = null;
  }

  /** Same as `close()`, for `using sel = new DefaultSelector()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal The kernel object's fd, or -1 for poll and select. */
  protected nativeFileno(): number {
    return this.#open().fileno();
  }

  /**
   * @internal Test hook, compiled only into builds with `IOR_TEST_HOOKS`: the next kernel
   * register/modify fails with `errno` (negative).
   */
  injectFault(errno: number): void {
    const selector = this.#open();
    if (selector.injectFault === undefined) throw new InvalidArgumentError('fault injection is not compiled into this build');
    selector.injectFault(errno);
  }

  /** @internal Times the kernel wait was interrupted by a signal and resumed. */
  eintrRetries(): number {
    return this.#native?.eintrRetries() ?? 0;
  }

  #open(): NativeSelector {
    if (this.#native === null) throw new ClosedError('Selector is closed');
    return this.#native;
  }

  #store(key: SelectorKey<TData>): void {
    this.#keys.set(key.fd, key);
    if (typeof key.fileobj === 'object' && key.fileobj !== null) this.#byObject.set(key.fileobj, key);
  }

  #forget(key: SelectorKey<TData>): void {
    this.#keys.delete(key.fd);
    if (typeof key.fileobj === 'object' && key.fileobj !== null && this.#byObject.get(key.fileobj) === key) {
      this.#byObject.delete(key.fileobj);
    }
  }

  #tryLookupFd(fileobj: FileObject): number | undefined {
    try {
      return this.#lookupFd(fileobj);
    } catch {
      return undefined;
    }
  }

  #lookupFd(fileobj: FileObject): number {
    let fd: number;
    try {
      fd = fileObjectToFd(fileobj);
    } catch (error) {
      const byIdentity = typeof fileobj === 'object' && fileobj !== null ? this.#byObject.get(fileobj) : undefined;
      if (byIdentity !== undefined) return byIdentity.fd;
      throw error;
    }
    if (!this.#keys.has(fd) && typeof fileobj === 'object' && fileobj !== null) {
      // A handle whose fd changed since it was registered (closed, then its number
      // handed out again) is still found by identity.
      const byIdentity = this.#byObject.get(fileobj);
      if (byIdentity !== undefined) return byIdentity.fd;
    }
    return fd;
  }

  #lookup(fileobj: FileObject): SelectorKey<TData> {
    const key = this.#keys.get(this.#lookupFd(fileobj));
    if (key === undefined) throw new NotRegisteredError(`${describeFileObject(fileobj)} is not registered`);
    return key;
  }

  #grow(): void {
    let pairs = this.#buffer.length / 2;
    while (pairs < this.#keys.size) pairs *= 2;
    const buffer = new Int32Array(2 * pairs);
    this.#native!.setBuffer(buffer);
    this.#buffer = buffer;
  }
}
