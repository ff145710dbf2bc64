/** An awaitable result that is set once, in the style of asyncio's Future. */
import { CancelledError, InvalidStateError } from '../errors.js';
import { checkFunction } from '../internal/args.js';

type State = 'pending' | 'fulfilled' | 'rejected' | 'cancelled';

/** A callback run once the future is done, with the future. */
export type DoneCallback<T> = (future: Future<T>) => void;

const noop = (): void => undefined;

/**
 * A value that becomes available later, settled exactly once: with a result, an error, or
 * by cancellation. Awaiting it gives the result or throws.
 *
 * A future that fails (not by cancellation) and is never awaited, nor inspected with
 * `result()`/`exception()`, is reported like an unhandled Promise rejection.
 *
 * @example
 * ```ts
 * const f = new Future<number>();
 * loop.callLater(10, () => f.setResult(42));
 * console.log(await f); // 42
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  #state: State = 'pending';
  #value: T | undefined;
  #error: unknown;
  #promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #callbacks: DoneCallback<T>[] = [];
  #observed = false;

  constructor() {
    this.#promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Whether it has a result, an error, or was cancelled. */
  done(): boolean {
    return this.#state !== 'pending';
  }

  /** Whether it was cancelled. */
  cancelled(): boolean {
    return this.#state === 'cancelled';
  }

  /**
   * The result.
   *
   * @throws {InvalidStateError} if not done yet.
   * @throws the error it failed with, or {@link CancelledError} if cancelled.
   */
  result(): T {
    switch (this.#state) {
      case 'fulfilled':
        return this.#value as T;
      case 'pending':
        throw new InvalidStateError('Result is not set yet');
      default:
        this.#observe();
        throw this.#error;
    }
  }

  /**
   * The error it failed with, or `undefined` if it succeeded.
   *
   * @throws {InvalidStateError} if not done yet; the cancellation error if cancelled.
   */
  exception(): unknown {
    if (this.#state === 'pending') throw new InvalidStateError('Exception is not set yet');
    if (this.#state === 'cancelled') throw this.#error;
    this.#observe();
    return this.#state === 'rejected' ? this.#error : undefined;
  }

  /** Sets the result. @throws {InvalidStateError} if already done. */
  setResult(value: T): void {
    this.#checkPending();
    this.#state = 'fulfilled';
    this.#value = value;
    this.#resolve(value);
    this.#runCallbacks();
  }

  /** Fails the future. @throws {InvalidStateError} if already done. */
  setException(error: unknown): void {
    this.#checkPending();
    this.#state = 'rejected';
    this.#error = error;
    this.#reject(error);
    this.#runCallbacks();
  }

  /**
   * Cancels the future: awaiters get `reason` (a {@link CancelledError} by default).
   *
   * @returns false if it was already done.
   */
  cancel(reason?: unknown): boolean {
    if (this.#state !== 'pending') return false;
    this.#state = 'cancelled';
    this.#error = reason ?? new CancelledError('The future was cancelled');
    this.#observe(); // a cancellation is not an unhandled error
    this.#reject(this.#error);
    this.#runCallbacks();
    return true;
  }

  /** Runs `callback(future)` once done (in a microtask if already done). */
  addDoneCallback(callback: DoneCallback<T>): void {
    checkFunction(callback, 'addDoneCallback: callback');
    this.#observe();
    if (this.#state === 'pending') this.#callbacks.push(callback);
    else queueMicrotask(() => callback(this));
  }

  /** @internal Like addDoneCallback, without counting as observing a failure. */
  protected whenDone(callback: DoneCallback<T>): void {
    if (this.#state === 'pending') this.#callbacks.push(callback);
    else queueMicrotask(() => callback(this));
  }

  /** Removes every registration of `callback`. @returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<T>): number {
    const before = this.#callbacks.length;
    this.#callbacks = this.#callbacks.filter((c) => c !== callback);
    return before - this.#callbacks.length;
  }

  then<TResult1 = T, TResult2 = never>(
    onfulfilled?: ((value: T) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    this.#observed = true;
    return this.#promise.then(onfulfilled, onrejected);
  }

  catch<TResult = never>(onrejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null): Promise<T | TResult> {
    this.#observed = true;
    return this.#promise.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    this.#observed = true;
    return this.#promise.finally(onfinally);
  }

  get [Symbol.toStringTag](): string {
    return `Future<${this.#state}>`;
  }

  /** @internal The state, for subclasses. */
  protected get state(): State {
    return this.#state;
  }

  /**
   * @internal Whether anything awaited it, attached a handler or a done callback, or
   * looked at its outcome (`result()`/`exception()`).
   */
  protected get observed(): boolean {
    return this.#observed;
  }

  #observe(): void {
    this.#observed = true;
    this.#promise.catch(noop);
  }

  #checkPending(): void {
    if (this.#state !== 'pending') throw new InvalidStateError(`Future is already ${this.#state}`);
  }

  #runCallbacks(): void {
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const callback of callbacks) queueMicrotask(() => callback(this));
  }
}
