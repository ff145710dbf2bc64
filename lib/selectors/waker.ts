/** A thread-safe wake-up for a selector blocked in `select()` (mio's `Waker`). */
import { InvalidArgumentError } from '../errors.js';
import { describeValue } from '../internal/fd.js';
import { native } from '../internal/init.js';

/**
 * What identifies a {@link Waker} across threads: a plain number, so it passes through
 * `postMessage`, `workerData` or a `SharedArrayBuffer` as it is. Ids are process-wide
 * and never reused, so a stale handle can never wake another selector.
 */
export type WakerHandle = number;

function checkHandle(handle: unknown): WakerHandle {
  if (typeof handle !== 'number' || !Number.isSafeInteger(handle) || handle < 1) {
    throw new InvalidArgumentError(`Invalid waker handle: ${describeValue(handle)} (expected waker.handle)`);
  }
  return handle;
}

/**
 * Makes a selector's blocked `select()` return, from any thread. Created by
 * `selector.waker(data?)`, which registers it in that selector for reading: `select()`
 * then reports `[key, EVENT_READ]` with `key.fileobj === waker` (and `key.fd === -1`)
 * whenever `wake()` was called since the waker was last reported.
 *
 * **Reset.** The selector resets the waker inside the `select()` call that reports it,
 * before that call returns. So any number of wakes before a `select()` returns are
 * reported once (they coalesce), and a wake after it returns is reported by a later
 * `select()`. Nothing is lost and nothing stays ready forever.
 *
 * **Other threads.** Send `waker.handle` (a number) to a worker; there,
 * `Waker.fromHandle(handle).wake()`. Any number of threads may wake at once.
 *
 * **After close.** Closing the selector closes its waker, also when the owning worker
 * exits. `wake()` then returns `false` instead of throwing: another thread cannot know
 * the selector is about to close, so a wake racing the close is a normal event of
 * shutdown, not a bug to crash on; the return value still tells it the wake went nowhere.
 * A closed waker's fd is never written to (a lock orders wakes against the close).
 *
 * Kernel objects: an `eventfd` on Linux (for every backend), an `EVFILT_USER` event on
 * kqueue, a non-blocking pipe elsewhere.
 *
 * @example
 * ```ts
 * const sel = new DefaultSelector<string>();
 * const waker = sel.waker('wake-up');
 * new Worker(code, { eval: true, workerData: waker.handle });
 * // in the worker: Waker.fromHandle(workerData).wake();
 * for (const [key] of sel.select()) if (key.fileobj === waker) console.log(key.data);
 * ```
 */
export class Waker {
  /** Send this to another thread and pass it to {@link Waker.fromHandle} there. */
  readonly handle: WakerHandle;

  /** @internal Use `selector.waker()` or {@link Waker.fromHandle}. */
  constructor(handle: WakerHandle) {
    this.handle = checkHandle(handle);
    Object.freeze(this);
  }

  /**
   * A waker for a handle received from another thread (or this one).
   *
   * @throws {InvalidArgumentError} if `handle` is not a positive safe integer.
   */
  static fromHandle(handle: WakerHandle): Waker {
    return new Waker(checkHandle(handle));
  }

  /**
   * Makes the owning selector's current or next `select()` report this waker.
   * Thread-safe; never blocks.
   *
   * @returns `true` if the selector is open (the wake is pending), `false` if the waker
   *   was closed (its selector closed or its thread exited) and the wake went nowhere.
   */
  wake(): boolean {
    return native.wake(this.handle);
  }
}
