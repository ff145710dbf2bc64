/**
 * The loop's one record per fd (DESIGN.md decisions 13–15): the reader and writer
 * callbacks of `addReader`/`addWriter`, the pending awaitable operations, the mask
 * registered in the kernel, and the cooperative budget. A direction has one owner at a
 * time: a callback or a waiter, never both.
 *
 * A registration armed for a waiter stays armed after the waiter is served, because the
 * next operation on a busy socket usually waits again at once (this saves two
 * `epoll_ctl` calls per message); it is disarmed when it fires with nobody waiting. Such
 * an idle registration does not keep the process alive: only callbacks and pending
 * waiters do.
 */
import { BusyResourceError, ClosedError } from '../errors.js';
import type { NativeLoop, NativeSelector } from '../native.js';
import { EVENT_READ, EVENT_WRITE } from '../selectors/selector-key.js';
import { captureContext, type CallbackContext } from './context.js';

/** A reader or writer callback; it receives the fd. */
export type IoCallback = (fd: number) => void;

/**
 * Settles a pending operation from inside the readiness batch: calls `resolve` or
 * `reject` and returns true, or returns false to keep waiting. It gets the entry and the
 * `arg` given to {@link FdTable.wait}, so a module-level function serves every call (no
 * closure per operation: a waiting connection's state is what young-generation GC copies).
 */
export type Attempt<T> = (
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
  entry: FdEntry,
  arg: unknown,
  table: FdTable,
) => boolean;

/** Starts the work a guarded wait stands for; returns how to stop it. */
export type GuardStart<T> = (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void;

/**
 * Budget units per fd per loop turn (Tokio's coop budget is 128 per task): an operation
 * that completes at once costs one unit plus one per 4 KiB it moved. Past the budget an
 * operation that could complete at once waits for readiness instead, which lets timers,
 * Node's own I/O and other connections run first.
 */
export const kCoopBudget = 64;
/** One budget unit per 4 KiB moved (see {@link FdTable.charge}). */
const kBytesPerUnitShift = 12;

class IoWatcher {
  constructor(
    readonly callback: IoCallback,
    readonly batch: number,
    /** The context `addReader`/`addWriter` ran in, captured once per registration. */
    readonly context: CallbackContext,
  ) {}
}

/** Runs a reader or writer callback (in `context`) and reports what it throws. */
export type IoRunner = (callback: IoCallback, fd: number, role: string, context: CallbackContext) => void;

/** A pending operation on one direction of an fd. */
class Waiter {
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly resolve: (value: never) => void,
    readonly reject: (reason: unknown) => void,
    readonly signal: AbortSignal | undefined,
    /**
     * Runs when the fd is ready, inside the batch: settles the waiter itself and returns
     * true, or returns false to keep waiting (a spurious wake-up). Lets an operation
     * complete with one Promise instead of a wait followed by a retry.
     */
    readonly attempt: Attempt<never> | undefined,
    /** What `attempt` works on (a buffer, a size). */
    readonly arg: unknown,
    /** For a guarded wait: stops the work it stands for (a timer, a DNS lookup). */
    public cancel: (() => void) | undefined,
  ) {}
}

// `new Promise(capture)` hands its resolving functions over without an executor closure
// per call (one object fewer for every wait).
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((reason: unknown) => void) | undefined;
function capture(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** The state of one fd. */
export class FdEntry {
  /** The mask registered in the kernel (0: not registered). */
  events = 0;
  reader: IoWatcher | null = null;
  writer: IoWatcher | null = null;
  readWaiter: Waiter | null = null;
  writeWaiter: Waiter | null = null;
  /** A short read showed the socket drained: wait for readiness before the next recv. */
  drained = false;
  /** The loop turn the budget belongs to, and what is left of it. */
  turn = -1;
  budget = 0;

  constructor(readonly fd: number) {}
}

const noop = (): void => undefined;
/** Fds below this are kept in an array slot; larger ones in a Map. */
const kDenseFds = 1 << 20;
// The shared receive buffer grows up to this; larger receives get a buffer of their own.
const kMaxScratch = 1 << 20;

/** The error every pending operation gets when its loop closes. */
export function loopClosed(): ClosedError {
  return new ClosedError('the event loop was closed');
}

function busy(fd: number, read: boolean, what: string): BusyResourceError {
  return new BusyResourceError(
    `fd ${fd} already has ${what} for ${read ? 'reading' : 'writing'}; one owner per fd and direction`,
  );
}

export class FdTable {
  // Indexed by fd: fd numbers are small and dense (the lowest free number is reused), so
  // an array slot is the cheapest lookup there is, and up to three happen per message.
  // An fd past kDenseFds (dup2 to a high number) goes in a Map instead, so the array
  // stays dense and iterating it stays bounded.
  #entries: (FdEntry | undefined)[] = [];
  #far = new Map<number, FdEntry>();
  #selector: NativeSelector;
  #native: NativeLoop;
  /** Callbacks plus pending waiters: while non-zero the loop keeps the process alive. */
  #holders = 0;
  #registered = 0;
  #waiting = 0;
  #closed = false;
  #scratch = Buffer.allocUnsafeSlow(65536);
  /** Whether reader/writer callbacks run in the context they were registered in. */
  #context: boolean;
  /** The dispatch batch in progress; a callback added during a batch waits for the next. */
  batch = 0;
  /** Advances at every loop callback (a batch, timers, a callSoon drain): the budget's clock. */
  turn = 0;

  constructor(selector: NativeSelector, native: NativeLoop, context = true) {
    this.#selector = selector;
    this.#native = native;
    this.#context = context;
  }

  /**
   * A receive buffer of at least `size` bytes shared by every operation of this loop.
   * Data received into it is copied out before anything else can run.
   */
  scratch(size: number): Buffer {
    if (size <= this.#scratch.length) return this.#scratch;
    if (size > kMaxScratch) return Buffer.allocUnsafeSlow(size);
    let length = this.#scratch.length;
    while (length < size) length *= 2;
    this.#scratch = Buffer.allocUnsafeSlow(length);
    return this.#scratch;
  }

  /** Number of fds registered in the kernel. */
  get registered(): number {
    return this.#registered;
  }

  /** Number of pending waiters. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Fds registered in the kernel (for debug reports). */
  registeredFds(): number[] {
    const fds: number[] = [];
    for (const entry of this.#all()) if (entry.events !== 0) fds.push(entry.fd);
    return fds;
  }

  /** The state of fd, created on first use. */
  entry(fd: number): FdEntry {
    let entry = this.#get(fd);
    if (entry === undefined) {
      entry = new FdEntry(fd);
      if (fd >= 0 && fd < kDenseFds) this.#entries[fd] = entry;
      else this.#far.set(fd, entry);
    }
    return entry;
  }

  /**
   * Spends one immediate completion of the fd's budget for this turn.
   *
   * @returns false once the budget is used up: the caller must wait for readiness.
   */
  spend(entry: FdEntry): boolean {
    if (entry.turn !== this.turn) {
      entry.turn = this.turn;
      entry.budget = kCoopBudget;
    }
    return entry.budget-- > 0;
  }

  /**
   * Charges the budget for the bytes an operation moved: one unit per 4 KiB on top of the
   * unit `spend` took, so a connection moving 64 KiB per call yields after a few calls
   * while one exchanging small messages keeps its 64. (Counting calls alone let a
   * flooding connection move 2 MiB per turn while every other one moved one message.)
   */
  charge(entry: FdEntry, bytes: number): void {
    if (entry.turn !== this.turn) {
      entry.turn = this.turn;
      entry.budget = kCoopBudget;
    }
    entry.budget -= bytes >> kBytesPerUnitShift;
  }

  /**
   * Sets the reader (or writer) callback of fd, replacing an earlier callback.
   *
   * @throws {BusyResourceError} if an awaitable operation waits on that direction.
   * @throws {SystemError} if the kernel refuses the fd.
   */
  addWatcher(fd: number, callback: IoCallback, read: boolean): void {
    const entry = this.entry(fd);
    if ((read ? entry.readWaiter : entry.writeWaiter) !== null) {
      throw busy(fd, read, 'an awaitable operation waiting');
    }
    this.#arm(entry, read ? EVENT_READ : EVENT_WRITE);
    const watcher = new IoWatcher(
      callback,
      this.batch,
      this.#context ? captureContext(read ? 'ioreactor.Reader' : 'ioreactor.Writer') : null,
    );
    if ((read ? entry.reader : entry.writer) === null) this.#hold(1);
    if (read) entry.reader = watcher;
    else entry.writer = watcher;
  }

  /** Removes the reader (or writer) callback of fd. @returns whether there was one. */
  removeWatcher(fd: number, read: boolean): boolean {
    const entry = this.#get(fd);
    if (entry === undefined || (read ? entry.reader : entry.writer) === null) return false;
    if (read) entry.reader = null;
    else entry.writer = null;
    this.#hold(-1);
    this.#disarm(entry, read ? EVENT_READ : EVENT_WRITE);
    this.#forgetIfIdle(entry);
    return true;
  }

  /**
   * Resolves when fd is readable (`read`) or writable. With `attempt`, the operation
   * completes inside the readiness batch: `attempt` settles the promise and returns true,
   * or returns false to keep waiting.
   *
   * Rejects with {@link BusyResourceError} if the direction has another owner, with the
   * signal's reason when aborted (the registration is then removed), with
   * {@link ClosedError} on `notifyClosing(fd)` or when the loop closes.
   */
  wait<T>(fd: number, read: boolean, signal: AbortSignal | undefined, attempt?: Attempt<T>, arg?: unknown): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(loopClosed());
    const entry = this.entry(fd);
    const owner = this.#ownerError(entry, read);
    if (owner !== null) return Promise.reject(owner);
    try {
      this.#arm(entry, read ? EVENT_READ : EVENT_WRITE);
    } catch (error) {
      this.#forgetIfIdle(entry);
      return Promise.reject(error);
    }
    const promise = new Promise<T>(capture);
    const resolve = capturedResolve!;
    const reject = capturedReject!;
    capturedResolve = capturedReject = undefined;
    this.#install(entry, read, resolve, reject, signal, attempt as Attempt<never> | undefined, arg, undefined);
    return promise;
  }

  /**
   * Holds fd's direction for work that is not readiness (a back-off timer, a DNS lookup)
   * so that the close protocol reaches it: `notifyClosing(fd)` and `close()` reject it
   * with {@link ClosedError}, the signal aborts it, and either way its `cancel` runs.
   */
  guard<T>(fd: number, read: boolean, signal: AbortSignal | undefined, start: GuardStart<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(loopClosed());
    const entry = this.entry(fd);
    const owner = this.#ownerError(entry, read);
    if (owner !== null) return Promise.reject(owner);
    // Readiness means nothing while the guard holds the direction (an accept backing
    // off at EMFILE would otherwise spin on its still-readable listener).
    this.#disarm(entry, read ? EVENT_READ : EVENT_WRITE);
    return new Promise<T>((resolve, reject) => {
      const waiter = this.#install(entry, read, resolve as (value: never) => void, reject, signal, undefined, undefined, noop);
      const settle = (ok: boolean, value: unknown): void => {
        if ((read ? entry.readWaiter : entry.writeWaiter) !== waiter) return; // already rejected
        this.#take(entry, read, waiter);
        this.#forgetIfIdle(entry);
        if (ok) resolve(value as T);
        else reject(value);
      };
      try {
        waiter.cancel = start(
          (value) => settle(true, value),
          (error) => settle(false, error),
        );
      } catch (error) {
        settle(false, error);
      }
    });
  }

  /**
   * The close protocol for fd (Trio's notify_closing): rejects its waiters with
   * `error`, drops its callbacks and unregisters it. Never throws, even for an fd closed
   * (or closed and reused) behind the loop's back.
   */
  notifyClosing(fd: number, error: unknown): void {
    const entry = this.#get(fd);
    if (entry === undefined) return;
    this.#delete(fd);
    if (entry.events !== 0) {
      entry.events = 0;
      this.#registered--;
      try {
        this.#selector.unregister(fd);
      } catch {
        // The registration is forgotten natively whatever the kernel said.
      }
    }
    this.#killAll(entry, error);
  }

  /** Stops watching fd if nothing owns it any more (an idle registration armed for speed). */
  release(fd: number): void {
    const entry = this.#get(fd);
    if (entry === undefined || entry.reader !== null || entry.writer !== null) return;
    if (entry.readWaiter !== null || entry.writeWaiter !== null) return;
    this.notifyClosing(fd, null);
  }

  /** The loop is closing: reject every waiter with `error`. No system call is made. */
  closeAll(error: unknown): void {
    this.#closed = true;
    const entries = this.#all();
    this.#entries = [];
    this.#far.clear();
    this.#registered = 0;
    for (const entry of entries) this.#killAll(entry, error);
    this.#holders = 0;
  }

  /**
   * Dispatches one batch of (fd, mask) pairs. `run(callback, fd, role, context)` runs a
   * user callback in the context it was registered in and reports what it throws.
   */
  dispatch(buffer: Int32Array, count: number, run: IoRunner): void {
    const batch = this.batch;
    for (let i = 0; i < count && !this.#closed; i++) {
      const fd = buffer[2 * i]!;
      const mask = buffer[2 * i + 1]!;
      if (mask & EVENT_READ) {
        // Looked up afresh: an earlier callback may have removed or replaced it, and a
        // watcher added during this batch waits for the next one.
        const entry = this.#get(fd);
        if (entry !== undefined && (entry.events & EVENT_READ) !== 0) {
          const watcher = entry.reader;
          if (watcher === null) this.#fire(entry, true);
          else if (watcher.batch !== batch) run(watcher.callback, fd, 'reader', watcher.context);
        }
      }
      if (mask & EVENT_WRITE) {
        const entry = this.#get(fd);
        if (entry !== undefined && (entry.events & EVENT_WRITE) !== 0) {
          const watcher = entry.writer;
          if (watcher === null) this.#fire(entry, false);
          else if (watcher.batch !== batch) run(watcher.callback, fd, 'writer', watcher.context);
        }
      }
    }
  }

  #get(fd: number): FdEntry | undefined {
    return fd >= 0 && fd < kDenseFds ? this.#entries[fd] : this.#far.get(fd);
  }

  #delete(fd: number): void {
    if (fd >= 0 && fd < kDenseFds) this.#entries[fd] = undefined;
    else this.#far.delete(fd);
  }

  /** Every entry (for closing and debug reports, not the hot path). */
  #all(): FdEntry[] {
    const all: FdEntry[] = [];
    for (const entry of this.#entries) if (entry !== undefined) all.push(entry);
    for (const entry of this.#far.values()) all.push(entry);
    return all;
  }

  #ownerError(entry: FdEntry, read: boolean): BusyResourceError | null {
    if ((read ? entry.reader : entry.writer) !== null) return busy(entry.fd, read, 'a callback (addReader/addWriter)');
    if ((read ? entry.readWaiter : entry.writeWaiter) !== null) {
      return busy(entry.fd, read, 'another awaitable operation waiting');
    }
    return null;
  }

  #install(
    entry: FdEntry,
    read: boolean,
    resolve: (value: never) => void,
    reject: (reason: unknown) => void,
    signal: AbortSignal | undefined,
    attempt: Attempt<never> | undefined,
    arg: unknown,
    cancel: (() => void) | undefined,
  ): Waiter {
    const waiter = new Waiter(resolve, reject, signal, attempt, arg, cancel);
    if (read) entry.readWaiter = waiter;
    else entry.writeWaiter = waiter;
    this.#waiting++;
    this.#hold(1);
    if (signal !== undefined) {
      waiter.onAbort = () => this.#abort(entry, read, waiter);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    return waiter;
  }

  /** Clears a waiter from its slot (it is settled by the caller). */
  #take(entry: FdEntry, read: boolean, waiter: Waiter): void {
    if (read) entry.readWaiter = null;
    else entry.writeWaiter = null;
    this.#waiting--;
    this.#hold(-1);
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    waiter.onAbort = undefined;
  }

  #fire(entry: FdEntry, read: boolean): void {
    if (read) entry.drained = false;
    const waiter = read ? entry.readWaiter : entry.writeWaiter;
    if (waiter === null) {
      // Armed but nobody waits: disarm, so a busy fd does not spin the loop.
      this.#disarm(entry, read ? EVENT_READ : EVENT_WRITE);
      this.#forgetIfIdle(entry);
      return;
    }
    if (waiter.cancel !== undefined) return; // a guarded wait is not about readiness (and is disarmed)
    if (waiter.attempt !== undefined) {
      // attempt() settles the promise itself; clear the slot first so that a
      // continuation can never find it occupied.
      if (!waiter.attempt(waiter.resolve, waiter.reject, entry, waiter.arg, this)) return;
      if ((read ? entry.readWaiter : entry.writeWaiter) === waiter) this.#take(entry, read, waiter);
      return;
    }
    this.#take(entry, read, waiter);
    waiter.resolve(undefined as never);
  }

  #abort(entry: FdEntry, read: boolean, waiter: Waiter): void {
    if ((read ? entry.readWaiter : entry.writeWaiter) !== waiter) return;
    this.#take(entry, read, waiter);
    waiter.cancel?.();
    // A cancelled wait disarms at once: nobody is expected to wait again soon.
    if (!this.#closed) this.#disarm(entry, read ? EVENT_READ : EVENT_WRITE);
    this.#forgetIfIdle(entry);
    waiter.reject(waiter.signal!.reason);
  }

  /** Adds `direction` to the kernel registration of entry. @throws what the kernel says. */
  #arm(entry: FdEntry, direction: number): void {
    if ((entry.events & direction) !== 0) return;
    if (entry.events === 0) {
      this.#selector.register(entry.fd, direction);
      entry.events = direction;
      this.#registered++;
      return;
    }
    try {
      this.#selector.modify(entry.fd, entry.events | direction);
    } catch (error) {
      // A failed modify leaves the fd unregistered (Selector::Modify), so whatever
      // watched the other direction can never fire: settle it with the same error.
      this.#lost(entry, error);
      throw error;
    }
    entry.events |= direction;
  }

  /**
   * Removes `direction` from the kernel registration unless a callback or waiter still
   * needs it. Never throws: a kernel failure here means the fd was closed behind our
   * back, and whatever watched the other direction is settled with that error.
   */
  #disarm(entry: FdEntry, direction: number): void {
    if ((entry.events & direction) === 0) return;
    const read = direction === EVENT_READ;
    if ((read ? entry.reader ?? entry.readWaiter : entry.writer ?? entry.writeWaiter) !== null) return;
    const rest = entry.events & ~direction;
    if (rest === 0) {
      entry.events = 0;
      this.#registered--;
      try {
        this.#selector.unregister(entry.fd);
      } catch {
        // Forgotten natively whatever the kernel said (Selector::Unregister).
      }
      return;
    }
    try {
      this.#selector.modify(entry.fd, rest);
      entry.events = rest;
    } catch (error) {
      this.#lost(entry, error);
    }
  }

  /** The kernel dropped fd: forget its registration and settle what watched it. */
  #lost(entry: FdEntry, error: unknown): void {
    if (entry.events !== 0) this.#registered--;
    entry.events = 0;
    if (this.#get(entry.fd) === entry) this.#delete(entry.fd);
    this.#killAll(entry, error);
  }

  /** Rejects the waiters of entry with `error` (none when null) and drops its callbacks. */
  #killAll(entry: FdEntry, error: unknown): void {
    if (entry.reader !== null) this.#hold(-1);
    if (entry.writer !== null) this.#hold(-1);
    entry.reader = null;
    entry.writer = null;
    for (const read of [true, false]) {
      const waiter = read ? entry.readWaiter : entry.writeWaiter;
      if (waiter === null) continue;
      this.#take(entry, read, waiter);
      waiter.cancel?.();
      waiter.reject(error ?? new ClosedError(`fd ${entry.fd} was closed while an operation waited on it`));
    }
  }

  #forgetIfIdle(entry: FdEntry): void {
    if (
      entry.events === 0 &&
      entry.reader === null &&
      entry.writer === null &&
      entry.readWaiter === null &&
      entry.writeWaiter === null &&
      this.#get(entry.fd) === entry
    ) {
      this.#delete(entry.fd);
    }
  }

  #hold(delta: number): void {
    const before = this.#holders;
    this.#holders += delta;
    if (this.#closed) return;
    if (before === 0 && this.#holders > 0) this.#native.setIoActive(true);
    else if (before > 0 && this.#holders === 0) this.#native.setIoActive(false);
  }
}
