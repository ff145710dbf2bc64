/** Lock, Event, Condition, Semaphore and BoundedSemaphore with asyncio's semantics. */
import { InvalidArgumentError, InvalidStateError } from '../errors.js';
import { checkFunction, type SignalOptions, signalOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import { WaitQueue } from './waiters.js';

/** Options of the waits: a cancellation signal. */
export type WaitOptions = SignalOptions;

/**
 * A mutual-exclusion lock. Fair: waiters get it in FIFO order, handed over directly on
 * `release()`. Not owned (any task may release it) and not reentrant.
 *
 * @example
 * ```ts
 * await lock.acquire({ signal });
 * try { ... } finally { lock.release(); }
 * ```
 */
export class Lock {
  #locked = false;
  #waiters = new WaitQueue<void>();

  /** Whether it is held. */
  locked(): boolean {
    return this.#locked;
  }

  /** Acquires it, waiting if needed. Resolves with true. */
  async acquire(options?: WaitOptions): Promise<true> {
    const signal = signalOf(options, 'Lock.acquire');
    signal?.throwIfAborted();
    if (!this.#locked && this.#waiters.size === 0) {
      this.#locked = true;
      return true;
    }
    // On wake-up the lock has been handed over: #locked stayed true for us.
    await this.#waiters.wait(signal);
    return true;
  }

  /** Releases it, handing it to the oldest waiter. @throws {InvalidStateError} if not locked. */
  release(): void {
    if (!this.#locked) throw new InvalidStateError('Lock is not acquired');
    if (!this.#waiters.wakeOne()) this.#locked = false;
  }

  /** Runs `fn` holding the lock. */
  async withLock<T>(fn: () => Promise<T> | T, options?: WaitOptions): Promise<T> {
    checkFunction(fn, 'Lock.withLock: fn');
    await this.acquire(options);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/** A flag that tasks can wait for. */
export class Event {
  #set = false;
  #waiters = new WaitQueue<true>();

  /** Whether the flag is set. */
  isSet(): boolean {
    return this.#set;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    this.#waiters.wakeAll(true);
  }

  /** Clears the flag. */
  clear(): void {
    this.#set = false;
  }

  /** Resolves with true once the flag is set (at once if it is). */
  async wait(options?: WaitOptions): Promise<true> {
    const signal = signalOf(options, 'Event.wait');
    signal?.throwIfAborted();
    if (this.#set) return true;
    return this.#waiters.wait(signal);
  }
}

/**
 * A condition variable over a {@link Lock}. `wait()` releases the lock, waits for a
 * notification and re-acquires the lock before returning, even when cancelled.
 */
export class Condition {
  #lock: Lock;
  #waiters = new WaitQueue<void>();

  /** @throws {InvalidArgumentError} if `lock` is given and is not a {@link Lock}. */
  constructor(lock: Lock = new Lock()) {
    if (!(lock instanceof Lock)) throw new InvalidArgumentError(`Condition: lock must be a Lock, got ${describeValue(lock)}`);
    this.#lock = lock;
  }

  locked(): boolean {
    return this.#lock.locked();
  }

  acquire(options?: WaitOptions): Promise<true> {
    return this.#lock.acquire(options);
  }

  release(): void {
    this.#lock.release();
  }

  /**
   * Waits for a notification. Wake-ups can be spurious from the caller's point of view;
   * re-check the condition or use {@link Condition.waitFor}.
   *
   * @throws {InvalidStateError} if the lock is not held.
   */
  async wait(options?: WaitOptions): Promise<true> {
    const signal = signalOf(options, 'Condition.wait');
    if (!this.#lock.locked()) throw new InvalidStateError('Condition.wait() needs the lock');
    signal?.throwIfAborted();
    this.#lock.release();
    try {
      await this.#waiters.wait(signal);
      return true;
    } finally {
      // Re-acquired without the signal: the caller's finally/release must find it held.
      await this.#lock.acquire();
    }
  }

  /** Waits until `predicate()` is truthy; returns its value. */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    checkFunction(predicate, 'Condition.waitFor: predicate');
    let result = predicate();
    while (!result) {
      await this.wait(options);
      result = predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiters. @throws {InvalidStateError} if the lock is not held. */
  notify(n = 1): void {
    if (!this.#lock.locked()) throw new InvalidStateError('Condition.notify() needs the lock');
    for (let i = 0; i < n && this.#waiters.wakeOne(); i++);
  }

  /** Wakes every waiter. */
  notifyAll(): void {
    if (!this.#lock.locked()) throw new InvalidStateError('Condition.notifyAll() needs the lock');
    this.#waiters.wakeAll();
  }
}

/**
 * A counter of available slots. `acquire()` takes one, waiting (FIFO, fair) while none is
 * free; `release()` gives one back.
 */
export class Semaphore {
  #value: number;
  #waiters = new WaitQueue<void>();

  /** @throws {InvalidArgumentError} for a negative or non-integer value. */
  constructor(value = 1) {
    if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError(`Semaphore value must be an integer >= 0, got ${describeValue(value)}`);
    this.#value = value;
  }

  /** Free slots right now. */
  get value(): number {
    return this.#value;
  }

  /** Whether `acquire()` would wait. */
  locked(): boolean {
    return this.#value === 0 || this.#waiters.size > 0;
  }

  async acquire(options?: WaitOptions): Promise<true> {
    const signal = signalOf(options, 'Semaphore.acquire');
    signal?.throwIfAborted();
    if (!this.locked()) {
      this.#value--;
      return true;
    }
    // A slot released while we wait is handed straight to us (value untouched).
    await this.#waiters.wait(signal);
    return true;
  }

  release(): void {
    if (!this.#waiters.wakeOne()) this.#value++;
  }

  /** Runs `fn` holding a slot. */
  async withPermit<T>(fn: () => Promise<T> | T, options?: WaitOptions): Promise<T> {
    checkFunction(fn, 'Semaphore.withPermit: fn');
    await this.acquire(options);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/** A {@link Semaphore} that refuses to be released above its initial value. */
export class BoundedSemaphore extends Semaphore {
  #bound: number;
  #held = 0;

  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  override async acquire(options?: WaitOptions): Promise<true> {
    await super.acquire(options);
    this.#held++;
    return true;
  }

  /** @throws {InvalidStateError} if that would exceed the initial value. */
  override release(): void {
    if (this.#held === 0) throw new InvalidStateError(`BoundedSemaphore released too many times (bound ${this.#bound})`);
    this.#held--;
    super.release();
  }
}
