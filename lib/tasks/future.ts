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
  // The Promise behind then/catch/finally is made on first need: a future nobody awaits
  // (a connection's task) never pays for one. A failure with no Promise yet still
  // surfaces as an unhandled rejection unless the future was observed (see #fail).
  #promise: Promise<T> | undefined = undefined;
  #resolve: ((value: T) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;
  // One callback is held as is (the usual case), more in an array.
  #callbacks: DoneCallback<T> | DoneCallback<T>[] | null = null;
  #observed = false;
  #caught = false;

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
    this.#resolve?.(value);
    this.#settled();
    this.#runCallbacks();
  }

  /** Fails the future. @throws {InvalidStateError} if already done. */
  setException(error: unknown): void {
    this.#checkPending();
    this.#state = 'rejected';
    this.#error = error;
    this.#fail();
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
    this.#fail();
    this.#runCallbacks();
    return true;
  }

  /** Runs `callback(future)` once done (in a microtask if already done). */
  addDoneCallback(callback: DoneCallback<T>): void {
    checkFunction(callback, 'addDoneCallback: callback');
    this.#observe();
    if (this.#state === 'pending') this.#addCallback(callback);
    else queueMicrotask(() => callback(this));
  }

  /** @internal Like addDoneCallback, without counting as observing a failure. */
  protected whenDone(callback: DoneCallback<T>): void {
    if (this.#state === 'pending') this.#addCallback(callback);
    else queueMicrotask(() => callback(this));
  }

  /** Removes every registration of `callback`. @returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<T>): number {
    const callbacks = this.#callbacks;
    if (callbacks === null) return 0;
    if (typeof callbacks === 'function') {
      if (callbacks !== callback) return 0;
      this.#callbacks = null;
      return 1;
    }
    const kept = callbacks.filter((c) => c !== callback);
    this.#callbacks = kept;
    return callbacks.length - kept.length;
  }

  then<TResult1 = T, TResult2 = never>(
    onfulfilled?: ((value: T) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    this.#observed = true;
    return this.#getPromise().then(onfulfilled, onrejected);
  }

  catch<TResult = never>(onrejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null): Promise<T | TResult> {
    this.#observed = true;
    return this.#getPromise().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    this.#observed = true;
    return this.#getPromise().finally(onfinally);
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
    if (this.#promise !== undefined && !this.#caught) {
      this.#caught = true;
      this.#promise.catch(noop);
    }
  }

  /** The Promise behind then/catch/finally, made on first need. */
  #getPromise(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    switch (this.#state) {
      case 'pending':
        this.#promise = new Promise<T>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
        break;
      case 'fulfilled':
        this.#promise = Promise.resolve(this.#value as T);
        break;
      default:
        this.#promise = Promise.reject(this.#error);
    }
    if (this.#observed) {
      this.#caught = true;
      this.#promise.catch(noop);
    }
    return this.#promise;
  }

  /**
   * Rejects the Promise with the stored error. With no Promise made yet, one is made
   * rejected unless the future was observed, so an unobserved failure is reported as an
   * unhandled rejection exactly as before.
   */
  #fail(): void {
    if (this.#reject !== undefined) this.#reject(this.#error);
    else if (this.#promise === undefined && !this.#observed) this.#getPromise();
    this.#settled();
  }

  /** Drops the resolvers once settled. */
  #settled(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
  }

  #addCallback(callback: DoneCallback<T>): void {
    const callbacks = this.#callbacks;
    if (callbacks === null) this.#callbacks = callback;
    else if (typeof callbacks === 'function') this.#callbacks = [callbacks, callback];
    else callbacks.push(callback);
  }

  #checkPending(): void {
    if (this.#state !== 'pending') throw new InvalidStateError(`Future is already ${this.#state}`);
  }

  #runCallbacks(): void {
    const callbacks = this.#callbacks;
    this.#callbacks = null;
    if (callbacks === null) return;
    if (typeof callbacks === 'function') queueMicrotask(() => callbacks(this));
    else for (const callback of callbacks) queueMicrotask(() => callback(this));
  }
}
