/** Tasks: an async function run with its own cancellation signal, as a Future. */
import { setMaxListeners } from 'node:events';
import { CancelledError, InvalidArgumentError } from '../errors.js';
import { checkFunction, optionOf, signalOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import type { BaseEventLoop } from '../loop/base-event-loop.js';
import { currentLoop } from '../loop/default-loop.js';
import { creationSite, type DebugInfo, releaseDebug, runTracked } from './debug.js';
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

// The unfinished tasks of each loop, for allTasks() and run()'s shutdown.
const tasksOf = new WeakMap<BaseEventLoop, Set<Task<unknown>>>();

/** Done callback of every task (one function, not a closure per task). */
function forget(task: Future<unknown>): void {
  const loop = (task as Task<unknown>).loop;
  tasksOf.get(loop)?.delete(task as Task<unknown>);
}

/**
 * The unfinished tasks of `loop` (the thread's default loop by default), as asyncio's
 * `all_tasks()`.
 */
export function allTasks(loop: BaseEventLoop = currentLoop()): Task<unknown>[] {
  return [...(tasksOf.get(loop) ?? [])];
}

/**
 * A running async function. `cancel()` aborts the signal the function received, so the
 * reactor operation it is awaiting rejects at once (in the same loop turn); the task then
 * ends cancelled unless the function catches the cancellation and returns normally.
 *
 * A task that fails and is never awaited or inspected is reported like an unhandled
 * Promise rejection (by default Node ends the process), preceded by an
 * `IOR_WARN_UNOBSERVED_TASK` warning naming the task — and, in debug mode, where it was
 * created.
 *
 * In debug mode (`IOREACTOR_DEBUG=1`, the loop's `debug` option or `loop.setDebug(true)`
 * when the task is created), each step of the task — the synchronous run between two
 * awaits — is timed, and one slower than the loop's `slowCallbackDuration` is reported
 * with an `IOR_WARN_SLOW_TASK_STEP` warning naming the task and where it was created.
 */
export class Task<T> extends Future<T> {
  /** The task's name. */
  readonly name: string;
  #controller = new AbortController();
  #started = false;
  #parent: AbortSignal | undefined;
  #onParentAbort: (() => void) | undefined;
  #loop: BaseEventLoop;
  #debug: DebugInfo | undefined;
  #onCancel: ((reason: unknown) => void) | undefined = undefined;

  /**
   * @internal Use {@link createTask}.
   * @throws {InvalidArgumentError} for a non-function `fn` or bad options.
   */
  constructor(fn: TaskFunction<T>, options?: TaskOptions) {
    checkFunction(fn, 'createTask: fn');
    const name = optionOf(options, 'name', 'createTask');
    if (name !== undefined && typeof name !== 'string') {
      throw new InvalidArgumentError(`createTask: name must be a string, got ${describeValue(name)}`);
    }
    const parent = signalOf(options, 'createTask');
    super();
    // Every child (or operation) listens on this signal; many is normal, not a leak.
    setMaxListeners(0, this.#controller.signal);
    this.name = name ?? `task-${++counter}`;
    this.#loop = currentLoop();
    if (this.#loop.debug) {
      this.#debug = { name: this.name, site: creationSite(), loop: this.#loop };
    }
    let set = tasksOf.get(this.#loop);
    if (set === undefined) tasksOf.set(this.#loop, (set = new Set()));
    set.add(this as Task<unknown>);
    this.whenDone(forget as (task: Future<T>) => void);
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

  /** @internal The loop the task belongs to. */
  get loop(): BaseEventLoop {
    return this.#loop;
  }

  /**
   * Where the task was created (stack frames), if debug mode was on then; `undefined`
   * otherwise.
   */
  get creationSite(): string | undefined {
    return this.#debug?.site;
  }

  /**
   * @internal Runs `hook(reason)` when the task is cancelled, before its signal aborts (what an
   * 'abort' listener added first would do, without an EventTarget listener map on every
   * task's signal: a server keeps one task per connection).
   */
  onCancel(hook: (reason: unknown) => void): void {
    this.#onCancel = hook;
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
    if (!this.#controller.signal.aborted) {
      const hook = this.#onCancel;
      this.#onCancel = undefined;
      try {
        hook?.(why);
      } finally {
        this.#controller.abort(why);
      }
    }
    if (!this.#started) this.#finishCancelled(why);
    return true;
  }

  async #start(fn: TaskFunction<T>): Promise<void> {
    if (this.done()) return;
    this.#started = true;
    const debug = this.#debug;
    try {
      const value = await (debug === undefined ? fn(this.#controller.signal) : this.#runDebug(debug, fn));
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
        // Like Node's unhandled-rejection check: once the current ticks and microtasks
        // have run, nobody has awaited or inspected the task.
        process.nextTick(() => this.#checkObserved(error));
      }
    }
  }

  async #runDebug(debug: DebugInfo, fn: TaskFunction<T>): Promise<T> {
    try {
      return await runTracked(debug, fn, this.#controller.signal);
    } finally {
      releaseDebug();
    }
  }

  #checkObserved(error: unknown): void {
    if (this.observed) return;
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const where = this.#debug === undefined
      ? ' (with IOREACTOR_DEBUG=1 this report says where the task was created)'
      : `; the task was created at:\n${this.#debug.site}`;
    process.emitWarning(`Task '${this.name}' failed and nothing awaited it or asked for its result: ${what}${where}`, {
      type: 'IoreactorWarning',
      code: 'IOR_WARN_UNOBSERVED_TASK',
    });
  }

  #finishCancelled(reason: unknown): void {
    this.#detach();
    super.cancel(reason);
  }

  #detach(): void {
    this.#onCancel = undefined;
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
  return new Task(fn, options);
}
