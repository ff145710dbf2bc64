/** Tasks: an async function run with its own cancellation signal, as a Future. */
import { setMaxListeners } from 'node:events';
import { CancelledError } from '../errors.js';
import { Future } from './future.js';

/** Options for {@link createTask}. */
export interface TaskOptions {
  /** A name for errors and debugging. @defaultValue `'task-<n>'` */
  name?: string;
  /** A parent signal: when it aborts, the task is cancelled with its reason. */
  signal?: AbortSignal;
}

/** The function a task runs; it receives the task's signal and should pass it on. */
export type TaskFunction<T> = (signal: AbortSignal) => Promise<T> | T;

let counter = 0;

/**
 * A running async function. `cancel()` aborts the signal the function received, so the
 * reactor operation it is awaiting rejects at once (in the same loop turn); the task then
 * ends cancelled unless the function catches the cancellation and returns normally.
 *
 * A task that fails and is never awaited or inspected is reported like an unhandled
 * Promise rejection.
 */
export class Task<T> extends Future<T> {
  /** The task's name. */
  readonly name: string;
  #controller = new AbortController();
  #started = false;
  #parent: AbortSignal | undefined;
  #onParentAbort: (() => void) | undefined;

  /** @internal Use {@link createTask}. */
  constructor(fn: TaskFunction<T>, options: TaskOptions = {}) {
    super();
    // Every child (or operation) listens on this signal; many is normal, not a leak.
    setMaxListeners(0, this.#controller.signal);
    this.name = options.name ?? `task-${++counter}`;
    const parent = options.signal;
    if (parent !== undefined) {
      if (parent.aborted) {
        this.cancel(parent.reason);
        return;
      }
      this.#parent = parent;
      this.#onParentAbort = () => this.cancel(parent.reason);
      parent.addEventListener('abort', this.#onParentAbort, { once: true });
    }
    // Like asyncio's create_task, the function starts soon, not inside this call.
    queueMicrotask(() => this.#start(fn));
  }

  /** The signal the function received; aborted once the task is cancelled. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether cancellation was requested and the task has not finished yet. */
  cancelling(): boolean {
    return this.#controller.signal.aborted && !this.done();
  }

  /**
   * Requests cancellation with `reason` (a {@link CancelledError} by default).
   *
   * @returns false if the task is already done.
   */
  override cancel(reason?: unknown): boolean {
    if (this.done()) return false;
    const why = reason ?? new CancelledError(`Task '${this.name}' was cancelled`);
    if (!this.#controller.signal.aborted) this.#controller.abort(why);
    if (!this.#started) this.#finishCancelled(why);
    return true;
  }

  async #start(fn: TaskFunction<T>): Promise<void> {
    if (this.done()) return;
    this.#started = true;
    try {
      const value = await fn(this.#controller.signal);
      this.#detach();
      if (!this.done()) this.setResult(value);
    } catch (error) {
      this.#detach();
      if (this.done()) return;
      const signal = this.#controller.signal;
      if (signal.aborted && (error === signal.reason || error instanceof CancelledError)) {
        this.#finishCancelled(error);
      } else {
        this.setException(error);
      }
    }
  }

  #finishCancelled(reason: unknown): void {
    this.#detach();
    super.cancel(reason);
  }

  #detach(): void {
    if (this.#parent !== undefined && this.#onParentAbort !== undefined) {
      this.#parent.removeEventListener('abort', this.#onParentAbort);
    }
    this.#parent = undefined;
    this.#onParentAbort = undefined;
  }
}

/**
 * Runs `fn(signal)` as a task.
 *
 * @example
 * ```ts
 * const task = createTask(async (signal) => loop.sockRecv(fd, 1024, { signal }), { name: 'reader' });
 * task.cancel();
 * await task; // throws CancelledError
 * ```
 */
export function createTask<T>(fn: TaskFunction<T>, options?: TaskOptions): Task<T> {
  if (typeof fn !== 'function') {
    throw new TypeError('createTask expects a function (signal) => Promise');
  }
  return new Task(fn, options);
}
