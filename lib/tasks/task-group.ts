/** Structured concurrency: a group that owns its child tasks (asyncio TaskGroup, Trio nursery). */
import { setMaxListeners } from 'node:events';
import { CancelledError, InvalidArgumentError, InvalidStateError, type TaskFailure, TaskGroupError } from '../errors.js';
import { checkFunction, optionOf, signalOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import { Future } from './future.js';
import { Task, type TaskFunction } from './task.js';

/** Options for {@link TaskGroup}. */
export interface TaskGroupOptions {
  /** A parent signal: aborting it cancels every child. */
  signal?: AbortSignal;
}

/**
 * Runs child tasks and waits for all of them. The first child that fails (with anything
 * but a cancellation) cancels the others; the failures then come out together as one
 * {@link TaskGroupError} naming each child. No child outlives the group.
 *
 * @example
 * ```ts
 * await using group = new TaskGroup();
 * group.createTask((signal) => fetchOne(a, signal), { name: 'a' });
 * group.createTask((signal) => fetchOne(b, signal), { name: 'b' });
 * // leaving the block waits for both (and throws TaskGroupError if any failed)
 * ```
 *
 * @remarks
 * With `await using`, an error thrown by the block body itself cannot be seen by the
 * group, so the children are not cancelled by it; use {@link TaskGroup.run} when the body
 * can fail.
 */
export class TaskGroup implements AsyncDisposable {
  #controller = new AbortController();
  #tasks = new Set<Task<unknown>>();
  #failures: TaskFailure[] = [];
  #closed = false;
  #idle: Future<void> | null = null;
  #parent: AbortSignal | undefined;
  #onParentAbort = (): void => this.#cancelChildren(this.#parent?.reason);

  /** @throws {InvalidArgumentError} if `options.signal` is not an AbortSignal. */
  constructor(options?: TaskGroupOptions) {
    const parent = signalOf(options, 'TaskGroup');
    // Every child (or operation) listens on this signal; many is normal, not a leak.
    setMaxListeners(0, this.#controller.signal);
    this.#parent = parent;
    if (this.#parent?.aborted) this.#cancelChildren(this.#parent.reason);
    else this.#parent?.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  /**
   * Runs `body(group)` in a new group and waits for every child. An error thrown by the
   * body counts as a failure, except a cancellation: when the group is cancelled (through
   * `options.signal`, or because a child failed) and the body stops with that reason, the
   * group ends with the cancellation reason itself, not a `TaskGroupError`.
   */
  static async run<T>(body: (group: TaskGroup) => Promise<T> | T, options?: TaskGroupOptions): Promise<T> {
    checkFunction(body, 'TaskGroup.run: body');
    const group = new TaskGroup(options);
    let result: T | undefined;
    try {
      result = await body(group);
    } catch (error) {
      if (!group.#cancelledBy(error)) group.#fail('<body>', error);
    }
    await group.wait();
    return result as T;
  }

  /** The signal children receive; aborted when the group cancels them. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Number of children still running. */
  get size(): number {
    return this.#tasks.size;
  }

  /**
   * Starts a child task.
   *
   * @throws {InvalidStateError} once the group has finished, or is cancelling its children
   *   after a failure.
   */
  createTask<T>(fn: TaskFunction<T>, options?: { name?: string }): Task<T> {
    checkFunction(fn, 'createTask: fn');
    const name = optionOf(options, 'name', 'createTask');
    if (name !== undefined && typeof name !== 'string') {
      throw new InvalidArgumentError(`createTask: name must be a string, got ${describeValue(name)}`);
    }
    if (this.#closed) throw new InvalidStateError('TaskGroup has finished');
    if (this.#failures.length > 0) throw new InvalidStateError('TaskGroup is shutting down after a failure');
    const task = new Task(fn, { name, signal: this.#controller.signal });
    this.#tasks.add(task as Task<unknown>);
    task.addDoneCallback(() => this.#childDone(task as Task<unknown>));
    return task;
  }

  /**
   * Waits until every child (including ones started while waiting) has finished.
   *
   * @throws {TaskGroupError} if any child failed.
   * @throws the parent signal's reason if the group was cancelled from outside.
   */
  async wait(): Promise<void> {
    while (this.#tasks.size > 0) {
      this.#idle ??= new Future<void>();
      await this.#idle;
    }
    this.#closed = true;
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
    if (this.#failures.length > 0) throw new TaskGroupError(this.#failures);
    if (this.#parent?.aborted) throw this.#parent.reason;
  }

  /** Same as {@link TaskGroup.wait}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.wait();
  }

  #childDone(task: Task<unknown>): void {
    this.#tasks.delete(task);
    if (!task.cancelled()) {
      try {
        task.result();
      } catch (error) {
        this.#fail(task.name, error);
      }
    }
    if (this.#tasks.size === 0 && this.#idle !== null) {
      const idle = this.#idle;
      this.#idle = null;
      idle.setResult();
    }
  }

  /** Whether `error` is this group's own cancellation reaching the body. */
  #cancelledBy(error: unknown): boolean {
    for (const signal of [this.#controller.signal, this.#parent]) {
      if (signal?.aborted && (error === signal.reason || error instanceof CancelledError)) return true;
    }
    return false;
  }

  #fail(name: string, error: unknown): void {
    this.#failures.push({ name, error });
    this.#cancelChildren(new CancelledError(`Cancelled because '${name}' failed in the same TaskGroup`));
  }

  #cancelChildren(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }
}
