/** The selectors contract, shared by every backend; backends differ only by name. */
import {
  AlreadyRegisteredError,
  ClosedError,
  InvalidArgumentError,
  InvalidStateError,
  NotRegisteredError,
  SystemError,
} from '../errors.js';
import { native, type NativeSelector } from '../internal/init.js';
import { describeFileObject, describeValue, type FileObject, fileObjectToFd } from '../internal/fd.js';
import { NATIVE_FLAG_EDGE, NATIVE_FLAG_EXCLUSIVE, NATIVE_FLAG_ONESHOT } from '../native.js';
import { EVENT_READ, EVENT_WRITE, type RegisterOptions, SelectorKey } from './selector-key.js';
import { SelectorMapping } from './selector-mapping.js';
import { Waker } from './waker.js';

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
// The fd native select() reports for the selector's waker (native/core/selector.h).
const kWakerFd = -1;
const kOptionNames = ['edge', 'oneshot', 'exclusive'] as const;

/** Validates register/modify options into native flag bits; changes nothing. */
function checkOptions(options: unknown, backend: BackendName, supported: number): { flags: number; options: RegisterOptions } {
  if (options === undefined) return { flags: 0, options: {} };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`Invalid options: ${describeValue(options)} (expected an object)`);
  }
  const record = options as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!(kOptionNames as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`Unknown registration option ${JSON.stringify(name)} (expected edge, oneshot or exclusive)`);
    }
  }
  const result: RegisterOptions = {};
  let flags = 0;
  for (const [name, bit] of [['edge', NATIVE_FLAG_EDGE], ['oneshot', NATIVE_FLAG_ONESHOT], ['exclusive', NATIVE_FLAG_EXCLUSIVE]] as const) {
    const value = record[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') {
      throw new InvalidArgumentError(`Option ${name} must be a boolean, got ${describeValue(value)}`);
    }
    if (!value) continue;
    if ((supported & bit) === 0) {
      throw new InvalidArgumentError(
        `The ${backend} backend has no ${name} registration` +
          (name === 'exclusive' ? ' (EPOLLEXCLUSIVE is epoll only)' : ' (epoll and kqueue have it)'),
      );
    }
    result[name] = true;
    flags |= bit;
  }
  if (result.oneshot && result.exclusive) {
    throw new InvalidArgumentError('oneshot and exclusive cannot be combined (epoll_ctl refuses EPOLLEXCLUSIVE | EPOLLONESHOT)');
  }
  return { flags, options: result };
}

function flagsOf(key: SelectorKey<unknown>): number {
  return (key.edge ? NATIVE_FLAG_EDGE : 0) | (key.oneshot ? NATIVE_FLAG_ONESHOT : 0) | (key.exclusive ? NATIVE_FLAG_EXCLUSIVE : 0);
}

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
  #supportedFlags: number;
  #waker: Waker | null = null;
  // Debug mode (IOREACTOR_DEBUG=1): a selector dropped without close() is reported with
  // where it was created. Its kernel object is released by the native wrapper's finalizer.
  static #unclosed = new FinalizationRegistry<{ backend: string; site: string }>((held) => {
    process.emitWarning(`A ${held.backend} selector was garbage-collected without close(); created here:\n${held.site}`, {
      type: 'IoreactorWarning',
      code: 'IOR_WARN_UNCLOSED',
    });
  });

  /** @internal */
  protected constructor(backend: BackendName) {
    this.backend = backend;
    this.#native = new native.Selector(backend);
    this.#native.setBuffer(this.#buffer);
    this.#supportedFlags = this.#native.supportedFlags();
    this.#map = new SelectorMapping(this.#keys, (fileobj) => this.#tryLookupFd(fileobj));
    if (process.env.IOREACTOR_DEBUG === '1') {
      const site = (new Error().stack ?? '').split('\n').slice(3, 9).join('\n');
      BaseSelector.#unclosed.register(this, { backend, site }, this);
    }
  }

  /**
   * Starts watching a file object.
   *
   * @param fileobj - an fd, an object with a numeric `fd`, or an object with `fileno()`.
   * @param events - {@link EVENT_READ}, {@link EVENT_WRITE} or both.
   * @param data - anything; returned with the key by `select()`.
   * @param options - opt-in {@link RegisterOptions} (`edge`, `oneshot`, `exclusive`);
   *   the default is level-triggered.
   * @returns the new, frozen key.
   * @throws {InvalidArgumentError} for a bad mask (checked before the file object), bad
   *   options (not an object, an unknown key, a non-boolean value, a flag this backend
   *   lacks, `oneshot` with `exclusive`), a bad file object, or (select backend) an fd not
   *   below `FD_SETSIZE`. Nothing is registered then.
   * @throws {AlreadyRegisteredError} if the fd is registered, through any object.
   * @throws {SystemError} if the kernel refuses (epoll: `EPERM` for a regular file,
   *   `EBADF` for a closed fd; kqueue: `EBADF`). No key is left behind.
   * @throws {ClosedError} after `close()`.
   */
  register(fileobj: FileObject, events: number, ...data: DataArgument<TData>): SelectorKey<TData>;
  register(fileobj: FileObject, events: number, data: TData, options: RegisterOptions): SelectorKey<TData>;
  register(fileobj: FileObject, events: number, data?: TData, options?: RegisterOptions): SelectorKey<TData> {
    const selector = this.#open();
    checkEvents(events);
    const checked = checkOptions(options, this.backend, this.#supportedFlags);
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
    selector.register(fd, events, checked.flags);
    const key = new SelectorKey<TData>(fileobj, fd, events, data as TData, checked.options);
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
  unregister(fileobj: FileObject | Waker): SelectorKey<TData> {
    const selector = this.#open();
    const key = this.#lookup(fileobj as FileObject);
    if (key.fd === kWakerFd) throw new InvalidArgumentError('The waker stays registered until the selector is closed');
    this.#forget(key);
    selector.unregister(key.fd);
    return key;
  }

  /**
   * Changes the events and/or data of a registration, like `unregister` then `register`
   * but cheaper. With the same events and new data no system call is made (except for a
   * one-shot registration: `modify` always re-arms it). Omitting `data` sets it to
   * `undefined`, as Python's `data=None` does. `options`, when given, replace the
   * registration's flags (`{}` makes it level-triggered); omitted, the flags stay.
   *
   * @returns the new key (armed).
   * @throws {InvalidArgumentError} for a bad mask or bad options (as `register`), and for
   *   an `exclusive` registration or `{ exclusive: true }`: the kernel cannot modify
   *   `EPOLLEXCLUSIVE` (unregister and register again). Nothing changes then.
   * @throws {NotRegisteredError} if it is not registered.
   * @throws {SystemError} if the kernel refuses; the registration is then removed
   *   (CPython bpo-30014), so the map and the kernel agree.
   * @throws {ClosedError} after `close()`.
   */
  modify(fileobj: FileObject, events: number, ...data: DataArgument<TData>): SelectorKey<TData>;
  modify(fileobj: FileObject, events: number, data: TData, options: RegisterOptions): SelectorKey<TData>;
  modify(fileobj: FileObject, events: number, data?: TData, options?: RegisterOptions): SelectorKey<TData> {
    const selector = this.#open();
    checkEvents(events);
    const checked = checkOptions(options, this.backend, this.#supportedFlags);
    const key = this.#lookup(fileobj);
    if (key.fd === kWakerFd) throw new InvalidArgumentError('The waker cannot be modified');
    if (key.exclusive || checked.options.exclusive) {
      throw new InvalidArgumentError(
        'An exclusive (EPOLLEXCLUSIVE) registration cannot be modified: the kernel refuses ' +
          'EPOLL_CTL_MOD of it; unregister and register again',
      );
    }
    const flags = options === undefined ? flagsOf(key) : checked.flags;
    const keyOptions = options === undefined ? { edge: key.edge, oneshot: key.oneshot } : checked.options;
    if (events !== key.events || flags !== flagsOf(key) || key.oneshot) {
      try {
        selector.modify(key.fd, events, flags);
      } catch (error) {
        // A kernel failure unregisters the fd natively (Selector::Modify); anything else
        // (a refused argument) changed nothing there, so nothing changes here either.
        if (error instanceof SystemError) this.#forget(key);
        throw error;
      }
    } else if (data === key.data) {
      return key;
    }
    const next = new SelectorKey<TData>(key.fileobj, key.fd, events, data as TData, keyOptions);
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
      let key = this.#keys.get(buffer[2 * i]!);
      if (key === undefined) continue;
      if (key.oneshot) {
        // The kernel disarmed it on reporting it; the key says so until modify().
        key = new SelectorKey<TData>(key.fileobj, key.fd, key.events, key.data, { edge: key.edge, oneshot: true }, false);
        this.#store(key);
      }
      ready.push([key, buffer[2 * i + 1]! & key.events]);
    }
    return ready;
  }

  /**
   * Creates this selector's {@link Waker} and registers it for reading with `data`: once
   * another thread (or this one) calls `waker.wake()`, `select()` returns
   * `[key, EVENT_READ]` with `key.fileobj === waker`, `key.fd === -1` and `key.data ===
   * data`, and resets the waker before returning. The waker's key is in `getMap()` (under
   * fd -1) and `getKey(waker)`; it cannot be unregistered or modified; `close()` closes it.
   *
   * @throws {InvalidStateError} if this selector has a waker already (one per selector,
   *   as in mio).
   * @throws {SystemError} if the kernel object cannot be created (e.g. `EMFILE`), or
   *   `EEXIST` if its fd number is still registered here under an fd that was closed
   *   without being unregistered (unregister it first).
   * @throws {ClosedError} after `close()`.
   */
  waker(...data: DataArgument<TData>): Waker {
    const selector = this.#open();
    if (this.#waker !== null) throw new InvalidStateError('This selector has a waker already (one per selector)');
    const waker = new Waker(selector.openWaker());
    this.#waker = waker;
    this.#store(new SelectorKey<TData>(waker, kWakerFd, EVENT_READ, data[0] as TData));
    if (this.#keys.size > this.#buffer.length / 2) this.#grow();
    return waker;
  }

  /**
   * The key of a registered file object.
   *
   * @throws {NotRegisteredError} if it is not registered.
   * @throws {ClosedError} after `close()`.
   */
  getKey(fileobj: FileObject | Waker): SelectorKey<TData> {
    this.#open();
    return this.#lookup(fileobj as FileObject);
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
    BaseSelector.#unclosed.unregister(this);
    this.#keys.clear();
    this.#byObject.clear();
    this.#waker = null;
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
    // The waker's key is listed by getMap().keys() under -1, so the mapping finds it by
    // -1 too (no valid file object resolves to -1).
    if (fileobj === kWakerFd) return this.#waker !== null ? kWakerFd : undefined;
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
