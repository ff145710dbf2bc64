/**
 * The core of the event loop: readers, writers, callbacks and timers on Node's libuv loop.
 * `EventLoop` (event-loop.ts) adds the awaitable socket operations.
 */
import { performance } from 'node:perf_hooks';
import {
  BackendUnavailableError,
  BackendUnsupportedError,
  ClosedError,
  InvalidArgumentError,
  SystemError,
} from '../errors.js';
import { checkFunction, checkNumber, optionOf, type SignalOptions, signalOf } from '../internal/args.js';
import { checkFd, describeValue } from '../internal/fd.js';
import { native, type NativeLoop, type NativeSelector } from '../internal/init.js';
import type { BackendName } from '../selectors/base-selector.js';
import { availableBackends } from '../selectors/backends.js';
import { captureContext, type CallbackContext } from './context.js';
import { FdTable, type IoCallback, loopClosed } from './fd-table.js';
import { Handle, TimerHandle, type TimerOwner } from './handle.js';
import { ThreadsafeChannel, type ThreadsafeChannelOptions } from './threadsafe.js';
import { TimerHeap } from './timer-heap.js';

export type { IoCallback } from './fd-table.js';

/** Options for {@link EventLoop}. */
export interface EventLoopOptions {
  /**
   * The kernel mechanism. Only backends with a kernel object Node's loop can watch work:
   * epoll and kqueue.
   * @defaultValue the best available (kqueue, then epoll)
   */
  backend?: BackendName;
  /**
   * Debug mode: warn about slow callbacks and task steps, unobserved task failures with
   * where the task was created, unclosed sockets with where they were created, and fds
   * still registered at close. Also `loop.setDebug()`.
   * @defaultValue `true` when the `IOREACTOR_DEBUG` environment variable is `1`
   */
  debug?: boolean;
  /**
   * In debug mode, callbacks and task steps slower than this many milliseconds are reported.
   * @defaultValue 100
   */
  slowCallbackDuration?: number;
  /**
   * Run every callback (`callSoon`, `callLater`/`callAt`, readers and writers) in the
   * `AsyncLocalStorage` context that was active when it was scheduled or registered, as
   * asyncio and Node's own timers do. Costs nothing until an `AsyncLocalStorage` is used in
   * the process; after that, one `AsyncResource` per timer or registration (see the README,
   * "Context follows callbacks"). `false` captures nothing: timers and readers run in the
   * loop's own context, `callSoon` callbacks in that of the `setImmediate` that drains them.
   * @defaultValue true
   */
  context?: boolean;
}

/** What an exception handler receives (asyncio's context dict). */
export interface ExceptionContext {
  /** What was running, e.g. `'reader callback for fd 7'`. */
  message: string;
  /** The thrown value. */
  exception: unknown;
  /** The fd whose reader or writer threw, if any. */
  fd?: number;
  /** The handle whose callback threw, for callSoon/callLater/callAt. */
  handle?: Handle;
}

/** Receives errors thrown by loop callbacks. */
export type ExceptionHandler = (context: ExceptionContext, loop: BaseEventLoop) => void;

// At most this many (fd, events) pairs per native callback; the rest of a level-
// triggered ready set comes on the next libuv iteration (native/js/loop_wrap.cc).
const kBatchPairs = 1024;
// asyncio's thresholds for rebuilding the timer heap without cancelled entries.
const kMinTimersToCompact = 100;


/** Something pending on the loop that must settle when the loop closes. */
export type PendingSettle = (error: ClosedError) => void;

function describe(callback: unknown): string {
  const name = typeof callback === 'function' ? callback.name : '';
  return name ? `${name}()` : '<anonymous>()';
}

/**
 * An event loop in the style of asyncio's, running as a guest in Node's own loop: Node's
 * timers, `fs`, `node:net` and worker messages keep working beside it.
 *
 * One `uv_poll_t` watches the selector's kernel fd; when it fires, ready fds are fetched
 * in one native call and their callbacks run in one batch, after which Promise
 * continuations run. The loop keeps the process alive only while it has readers, writers
 * or pending timers (and is `ref()`ed).
 *
 * @example
 * ```ts
 * const loop = getEventLoop();
 * loop.addReader(fd, (fd) => {
 *   const n = recvInto(fd, buf, 0, buf.length);
 *   if (n <= 0 && n !== errno.EAGAIN) loop.removeReader(fd);
 * });
 * loop.callLater(1000, () => console.log('a second later'));
 * ```
 */
export class BaseEventLoop {
  /** The backend in use ('epoll' or 'kqueue'). */
  readonly backend: BackendName;

  #selector: NativeSelector;
  #native: NativeLoop;
  #buffer = new Int32Array(2 * kBatchPairs);
  #io: FdTable;
  #ready: Handle[] = [];
  #timers = new TimerHeap();
  #liveTimers = 0;
  #cancelledTimers = 0;
  #seq = 0;
  #armedWhen = Infinity;
  #dispatching = false;
  #inTimerCallback = false;
  #closed = false;
  #refed = true;
  #immediate: NodeJS.Immediate | null = null;
  #exceptionHandler: ExceptionHandler | null = null;
  #debug: boolean;
  #slowCallbackDuration: number;
  // Whether callbacks capture the context they were scheduled in (options.context).
  #context = true;
  // Sleeps, timeouts and other waits that are not about an fd: settled by close().
  #pending = new Set<PendingSettle>();
  // Timers call back through this object rather than holding a closure each.
  #timerOwner: TimerOwner = { timerCancelled: (timer) => this.#timerCancelled(timer) };

  /**
   * @throws {InvalidArgumentError} for options that are not an object or hold bad values.
   * @throws {BackendUnsupportedError} for `poll` or `select`.
   * @throws {BackendUnavailableError} for a backend this platform lacks.
   * @throws {SystemError} if the kernel object cannot be created (e.g. `EMFILE`).
   */
  constructor(options?: EventLoopOptions) {
    const requested = optionOf(options, 'backend', 'EventLoop');
    const debug = optionOf(options, 'debug', 'EventLoop');
    const slow = optionOf(options, 'slowCallbackDuration', 'EventLoop');
    const context = optionOf(options, 'context', 'EventLoop');
    if (context !== undefined && typeof context !== 'boolean') {
      throw new InvalidArgumentError(`EventLoop: context must be a boolean, got ${describeValue(context)}`);
    }
    if (requested !== undefined && !['epoll', 'kqueue', 'poll', 'select'].includes(requested as string)) {
      throw new InvalidArgumentError(`EventLoop: unknown backend ${describeValue(requested)}`);
    }
    if (debug !== undefined && typeof debug !== 'boolean') {
      throw new InvalidArgumentError(`EventLoop: debug must be a boolean, got ${describeValue(debug)}`);
    }
    if (slow !== undefined && !(typeof slow === 'number' && slow >= 0)) {
      throw new InvalidArgumentError(
        `EventLoop: slowCallbackDuration must be a number >= 0, got ${describeValue(slow)}`,
      );
    }
    const available = availableBackends();
    const backend = (requested as BackendName | undefined) ?? available.find((b) => b === 'kqueue' || b === 'epoll');
    if (backend === 'poll' || backend === 'select') {
      throw new BackendUnsupportedError(
        `An EventLoop cannot run on ${backend}: it keeps its interest set in user space and has ` +
          'no kernel fd that Node\'s loop could watch, so readiness could only be found by ' +
          'blocking the thread or by a helper thread. Use epoll (Linux) or kqueue (macOS/BSD).',
      );
    }
    if (backend === undefined || !available.includes(backend)) {
      throw new BackendUnavailableError(
        `The ${backend ?? 'epoll/kqueue'} backend is not available on ${process.platform}`,
      );
    }
    this.backend = backend;
    this.#debug = (debug as boolean | undefined) ?? process.env.IOREACTOR_DEBUG === '1';
    this.#slowCallbackDuration = (slow as number | undefined) ?? 100;
    this.#selector = new native.Selector(backend);
    this.#selector.setBuffer(this.#buffer);
    try {
      this.#native = new native.Loop(
        this.#selector,
        (count) => this.#onReady(count),
        () => this.#onTimer(),
      );
    } catch (error) {
      this.#selector.close();
      throw error;
    }
    this.#context = context !== false;
    this.#io = new FdTable(this.#selector, this.#native, this.#context);
  }

  /** Whether debug mode is on. */
  get debug(): boolean {
    return this.#debug;
  }

  /**
   * Turns debug mode on or off while the program runs (asyncio's `set_debug`). Reports
   * that depend on it (slow callbacks and task steps, creation sites of tasks and
   * sockets) follow from the next callback, task or socket on.
   *
   * @throws {InvalidArgumentError} unless `enabled` is a boolean.
   */
  setDebug(enabled: boolean): void {
    if (typeof enabled !== 'boolean') {
      throw new InvalidArgumentError(`setDebug: enabled must be a boolean, got ${describeValue(enabled)}`);
    }
    this.#debug = enabled;
  }

  /** Whether debug mode is on (asyncio's `get_debug`). */
  getDebug(): boolean {
    return this.#debug;
  }

  /** In debug mode, callbacks and task steps slower than this many milliseconds are reported. */
  get slowCallbackDuration(): number {
    return this.#slowCallbackDuration;
  }

  set slowCallbackDuration(ms: number) {
    if (!(typeof ms === 'number' && ms >= 0)) {
      throw new InvalidArgumentError(`slowCallbackDuration must be a number >= 0, got ${describeValue(ms)}`);
    }
    this.#slowCallbackDuration = ms;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The loop's clock: monotonic milliseconds (the clock of {@link BaseEventLoop.callAt}). */
  time(): number {
    return performance.now();
  }

  /**
   * Calls `callback(fd)` whenever `fd` is readable (level-triggered: again and again
   * while it stays readable). A second `addReader` for the same fd replaces the first.
   *
   * @throws {InvalidArgumentError} for a bad fd or a non-function callback.
   * @throws {BusyResourceError} if an awaitable operation (`waitReadable`, `sockRecv`, …)
   *   is waiting for the fd to become readable: one owner per fd and direction.
   * @throws {SystemError} if the kernel refuses the fd (epoll: `EPERM` for a regular
   *   file, `EBADF` for a closed fd); nothing is left registered.
   * @throws {ClosedError} after `close()`.
   */
  addReader(fd: number, callback: IoCallback): void {
    this.checkOpen();
    this.#io.addWatcher(checkFd(fd), checkFunction(callback, 'callback'), true);
  }

  /** Like {@link BaseEventLoop.addReader}, for writability. */
  addWriter(fd: number, callback: IoCallback): void {
    this.checkOpen();
    this.#io.addWatcher(checkFd(fd), checkFunction(callback, 'callback'), false);
  }

  /**
   * Stops calling the reader of `fd`. A reader removed while a batch is being dispatched
   * is not called later in that batch. Never throws for an fd closed (or closed and its
   * number reused) behind the loop's back.
   *
   * @returns whether a reader was registered.
   */
  removeReader(fd: number): boolean {
    this.checkOpen();
    return this.#io.removeWatcher(checkFd(fd), true);
  }

  /** Stops calling the writer of `fd`. @returns whether a writer was registered. */
  removeWriter(fd: number): boolean {
    this.checkOpen();
    return this.#io.removeWatcher(checkFd(fd), false);
  }

  /**
   * Resolves when `fd` is readable. One owner per fd and direction: a second wait, or a
   * wait on an fd that has a reader callback, rejects with `BusyResourceError`.
   *
   * Rejects with the signal's reason if aborted (the registration is removed), and with
   * {@link ClosedError} if `notifyClosing(fd)` or `close()` happens meanwhile.
   */
  waitReadable(fd: number, options?: SignalOptions): Promise<void> {
    try {
      this.checkOpen();
      return this.#io.wait(checkFd(fd), true, signalOf(options, 'waitReadable'));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Resolves when `fd` is writable; see {@link BaseEventLoop.waitReadable}. */
  waitWritable(fd: number, options?: SignalOptions): Promise<void> {
    try {
      this.checkOpen();
      return this.#io.wait(checkFd(fd), false, signalOf(options, 'waitWritable'));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The close protocol for a raw fd (Trio's `notify_closing`): wakes every operation
   * waiting on it with {@link ClosedError}, drops its reader and writer callbacks and
   * unregisters it. Call it before closing an fd the loop watches (`Socket.close()`
   * does). Never throws for an fd already closed behind the loop's back; a no-op after
   * `close()`.
   */
  notifyClosing(fd: number): void {
    checkFd(fd);
    if (this.#closed) return;
    this.#io.notifyClosing(fd, null);
  }

  /**
   * Runs `callback` soon, after the current batch of callbacks. Callbacks run in the
   * order they were scheduled.
   */
  callSoon(callback: () => void): Handle {
    this.checkOpen();
    checkFunction(callback, 'callback');
    const handle = new Handle(callback, this.#context ? captureContext('ioreactor.Callback') : null);
    this.#ready.push(handle);
    if (!this.#dispatching) this.#scheduleDrain();
    return handle;
  }

  /**
   * Runs `callback` once `delayMs` milliseconds have passed (a negative delay means now).
   * Equal deadlines run in the order they were scheduled.
   *
   * @throws {InvalidArgumentError} for a NaN delay or a non-function callback.
   */
  callLater(delayMs: number, callback: () => void): TimerHandle {
    if (typeof delayMs !== 'number' || delayMs !== delayMs) checkNumber(delayMs, 'delayMs');
    this.checkOpen();
    if (typeof callback !== 'function') checkFunction(callback, 'callback');
    return this.#schedule(performance.now() + (delayMs > 0 ? delayMs : 0), callback);
  }

  /** Runs `callback` at `whenMs` on the {@link BaseEventLoop.time} clock. */
  callAt(whenMs: number, callback: () => void): TimerHandle {
    this.checkOpen();
    if (typeof whenMs !== 'number' || whenMs !== whenMs) checkNumber(whenMs, 'whenMs');
    if (typeof callback !== 'function') checkFunction(callback, 'callback');
    return this.#schedule(whenMs, callback);
  }

  #schedule(whenMs: number, callback: () => void): TimerHandle {
    const timers = this.#timers;
    // Cancelled timers are dropped here rather than in cancel(), so a burst of cancels
    // costs O(1) each and the heap never holds more than about twice the live timers.
    if (this.#cancelledTimers * 2 > timers.size && timers.size > kMinTimersToCompact) {
      timers.compact();
      this.#cancelledTimers = 0;
    }
    const timer = new TimerHandle(whenMs, this.#seq++, callback, this.#timerOwner, this.#context ? captureContext('ioreactor.Timer') : null);
    timers.push(timer);
    this.#liveTimers++;
    if (whenMs < this.#armedWhen) this.#arm(whenMs);
    return timer;
  }

  /**
   * Sets the function that receives errors thrown by callbacks; `null` restores the
   * default, which reports them as uncaught exceptions, as Node's own callbacks do.
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null) checkFunction(handler, 'handler');
    this.#exceptionHandler = handler;
  }

  /** The current exception handler, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /**
   * Reports an error the way a failing callback is reported (asyncio's
   * `call_exception_handler`): to the exception handler if one is set, otherwise as an
   * uncaught exception right after the current callback, as Node reports an error thrown
   * by one of its own callbacks. Transports use it for errors thrown by protocols.
   */
  callExceptionHandler(context: ExceptionContext): void {
    let error = context.exception;
    const handler = this.#exceptionHandler;
    if (handler !== null) {
      try {
        handler(context, this);
        return;
      } catch (handlerError) {
        error = handlerError;
      }
    }
    // The rest of the batch still runs; the error surfaces as an uncaught exception
    // right after, exactly like one thrown by a Node callback.
    process.nextTick(() => {
      throw error;
    });
  }

  /** Lets the process exit even while the loop has readers, writers or timers. */
  unref(): this {
    this.#refed = false;
    if (!this.#closed) this.#native.unref();
    this.#immediate?.unref();
    return this;
  }

  /** Undoes {@link BaseEventLoop.unref}. */
  ref(): this {
    this.#refed = true;
    if (!this.#closed) this.#native.ref();
    this.#immediate?.ref();
    return this;
  }

  /** Whether the loop keeps the process alive while it has work. */
  hasRef(): boolean {
    return this.#refed;
  }

  /**
   * Opens a channel through which other threads post numbers that `callback` receives
   * on this loop's thread, in order (asyncio's `call_soon_threadsafe`). Send
   * `channel.handle` to a worker; there, `ThreadsafeSender.fromHandle(handle).post(n)`.
   * See {@link ThreadsafeChannel}; it closes with the loop.
   *
   * @throws {InvalidArgumentError} for a non-function callback or a bad capacity.
   * @throws {SystemError} if the waker cannot be created (`EMFILE`, …), or `EEXIST` if
   *   its fd number is still registered here under an fd closed without
   *   `removeReader`/`notifyClosing` (nothing would ever be delivered).
   * @throws {ClosedError} after `close()`.
   */
  threadsafeChannel(callback: (value: number) => void, options?: ThreadsafeChannelOptions): ThreadsafeChannel {
    this.checkOpen();
    return new ThreadsafeChannel(this, callback, options);
  }

  /** Number of fds registered in the kernel (for a callback, a waiter, or kept armed). */
  get registeredFds(): number {
    return this.#io.registered;
  }

  /** Number of awaitable operations waiting on an fd. */
  get waitingFds(): number {
    return this.#io.waiting;
  }

  /**
   * Releases everything: registrations (the fds themselves stay open), timers, pending
   * callbacks, the kernel object and the libuv handles. Every operation still waiting on
   * the loop — on an fd, in `sleep()`, `timeout()`, an accept back-off — rejects with
   * {@link ClosedError} ("the event loop was closed"). Idempotent. May be called from a
   * callback; the rest of that batch is dropped.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#debug && this.#io.registered > 0) {
      const fds = this.#io.registeredFds();
      process.emitWarning(`EventLoop closed with ${fds.length} fd(s) still registered: ${fds.join(', ')}`, {
        type: 'IoreactorWarning',
        code: 'IOR_WARN_FDS_AT_CLOSE',
      });
    }
    this.#closed = true;
    const error = loopClosed();
    this.#io.closeAll(error);
    const pending = [...this.#pending];
    this.#pending.clear();
    this.#ready = [];
    this.#timers.clear();
    this.#liveTimers = 0;
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#immediate = null;
    this.#native.close();
    this.#selector.close();
    for (const settle of pending) settle(error);
  }

  /** @internal The per-fd table the awaitable operations work on. */
  get io(): FdTable {
    return this.#io;
  }

  /**
   * @internal Registers something pending that is not about an fd (a sleep, a timeout):
   * `close()` calls `settle` with a `ClosedError`. Returns the function that unregisters
   * it once it has settled on its own.
   */
  trackPending(settle: PendingSettle): () => void {
    this.#pending.add(settle);
    return () => this.#pending.delete(settle);
  }

  /**
   * @internal Unregisters what {@link trackPending} registered, for a caller that keeps
   * `settle` itself (no closure per registration: one per connection adds up).
   */
  untrackPending(settle: PendingSettle): void {
    this.#pending.delete(settle);
  }

  /** @internal Throws ClosedError once closed. */
  protected checkOpen(): void {
    if (this.#closed) throw new ClosedError('EventLoop is closed');
  }

  #onReady(count: number): void {
    if (this.#closed) return;
    if (count < 0) {
      this.#report(new SystemError(count, this.backend === 'epoll' ? 'epoll_wait' : 'kevent'), 'polling the selector');
      return;
    }
    const io = this.#io;
    io.batch++;
    io.turn++;
    this.#dispatching = true;
    try {
      io.dispatch(this.#buffer, count, this.#runIo);
    } finally {
      this.#dispatching = false;
    }
    this.#runReady();
  }

  #runIo = (callback: IoCallback, fd: number, role: string, context: CallbackContext): void => {
    if (this.#debug) {
      const start = performance.now();
      try {
        if (context === null) callback(fd);
        else context.runInAsyncScope(callback, null, fd);
      } catch (error) {
        this.#report(error, `${role} callback for fd ${fd}`, fd);
      }
      this.#checkSlow(start, `${role} ${describe(callback)} for fd ${fd}`);
      return;
    }
    try {
      if (context === null) callback(fd);
      else context.runInAsyncScope(callback, null, fd);
    } catch (error) {
      this.#report(error, `${role} callback for fd ${fd}`, fd);
    }
  };

  #runHandle(handle: Handle, kind: string): void {
    const callback = handle.take();
    if (callback === null) return;
    const start = this.#debug ? performance.now() : 0;
    const context = handle.context;
    try {
      if (context === null) callback();
      else context.runInAsyncScope(callback);
    } catch (error) {
      this.#report(error, `${kind} callback ${describe(callback)}`, undefined, handle);
    }
    if (this.#debug) this.#checkSlow(start, `${kind} ${describe(callback)}`);
  }

  #checkSlow(start: number, what: string): void {
    const elapsed = performance.now() - start;
    if (elapsed > this.#slowCallbackDuration) {
      process.emitWarning(`Executing ${what} took ${elapsed.toFixed(1)} ms`, {
        type: 'IoreactorWarning',
        code: 'IOR_WARN_SLOW_CALLBACK',
      });
    }
  }

  #report(error: unknown, message: string, fd?: number, handle?: Handle): void {
    const context: ExceptionContext = { message, exception: error };
    if (fd !== undefined) context.fd = fd;
    if (handle !== undefined) context.handle = handle;
    this.callExceptionHandler(context);
  }

  #scheduleDrain(): void {
    if (this.#immediate !== null || this.#closed) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = null;
      this.#runReady();
    });
    if (!this.#refed) this.#immediate.unref();
  }

  /** Runs the callbacks scheduled so far; ones they schedule wait for the next round. */
  #runReady(): void {
    if (this.#ready.length === 0 || this.#closed) return;
    this.#io.turn++;
    const ready = this.#ready;
    this.#ready = [];
    this.#dispatching = true;
    try {
      for (let i = 0; i < ready.length && !this.#closed; i++) this.#runHandle(ready[i]!, 'callSoon');
    } finally {
      this.#dispatching = false;
    }
    if (this.#ready.length > 0) this.#scheduleDrain();
  }

  #onTimer(): void {
    if (this.#closed) return;
    this.#inTimerCallback = true;
    try {
      this.#runTimers();
    } finally {
      this.#inTimerCallback = false;
    }
  }

  #runTimers(): void {
    this.#io.turn++;
    this.#armedWhen = Infinity;
    const now = this.time();
    const due: TimerHandle[] = [];
    const timers = this.#timers;
    for (let top = timers.peek(); top !== undefined && top.whenMs <= now; top = timers.peek()) {
      timers.pop();
      if (top.cancelled()) {
        this.#cancelledTimers--;
        continue;
      }
      top.owner = null;
      this.#liveTimers--;
      due.push(top);
    }
    this.#dispatching = true;
    try {
      for (let i = 0; i < due.length && !this.#closed; i++) this.#runHandle(due[i]!, 'timer');
    } finally {
      this.#dispatching = false;
    }
    this.#runReady();
    if (!this.#closed) this.#rearm();
  }

  #timerCancelled(_timer: TimerHandle): void {
    if (this.#closed) return;
    this.#liveTimers--;
    this.#cancelledTimers++;
    if (this.#liveTimers === 0) {
      // Nothing left to wait for: a cancelled timer must not keep the process alive.
      this.#timers.clear();
      this.#cancelledTimers = 0;
      this.#native.disarmTimer();
      this.#armedWhen = Infinity;
    }
    // The native timer stays armed for the cancelled deadline: later timers keep the
    // process alive anyway, and one early wake-up that re-arms is cheaper than a native
    // call on every cancel.
  }

  #rearm(): void {
    const timers = this.#timers;
    let top = timers.peek();
    while (top !== undefined && top.cancelled()) {
      timers.pop();
      this.#cancelledTimers--;
      top = timers.peek();
    }
    if (top === undefined) {
      this.#native.disarmTimer();
      this.#armedWhen = Infinity;
      return;
    }
    if (top.whenMs !== this.#armedWhen) this.#arm(top.whenMs);
  }

  #arm(whenMs: number): void {
    this.#armedWhen = whenMs;
    let delay = whenMs - this.time();
    // Re-armed from inside the timer callback at 0 ms, the libuv timer would run again in
    // the same pass of libuv's timer phase (libuv before 1.47 re-checks the heap after each
    // callback), so a timer that keeps re-scheduling itself at 0 ms would starve all I/O
    // forever. Node clamps setTimeout(0) to 1 ms for the same reason.
    if (this.#inTimerCallback && delay < 1) delay = 1;
    this.#native.armTimer(delay);
  }
}
