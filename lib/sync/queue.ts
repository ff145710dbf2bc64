/** Queue, PriorityQueue and LifoQueue with asyncio's semantics, including shutdown(). */
import {
  InvalidArgumentError,
  InvalidStateError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
} from '../errors.js';
import type { WaitOptions } from './lock.js';
import { signalOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import { WaitQueue } from './waiters.js';

/**
 * A FIFO queue for producers and consumers. `maxsize <= 0` means unbounded. `put` waits
 * while full, `get` while empty; `taskDone()`/`join()` track processing; `shutdown()` stops
 * it. A `get` cancelled while waiting takes nothing; one woken with an item always
 * returns it.
 */
export class Queue<T> {
  readonly maxsize: number;
  #getters = new WaitQueue<T>();
  #putters = new WaitQueue<void>();
  #joiners = new WaitQueue<void>();
  #unfinished = 0;
  #shutdown = false;

  constructor(maxsize = 0) {
    if (!Number.isInteger(maxsize)) throw new InvalidArgumentError(`maxsize must be an integer, got ${describeValue(maxsize)}`);
    this.maxsize = maxsize;
  }

  /** Items in the queue. */
  qsize(): number {
    return this.size();
  }

  empty(): boolean {
    return this.size() === 0;
  }

  full(): boolean {
    return this.maxsize > 0 && this.size() >= this.maxsize;
  }

  /** Puts an item, waiting while the queue is full. @throws QueueShutDownError */
  async put(item: T, options?: WaitOptions): Promise<void> {
    const signal = signalOf(options, 'Queue.put');
    signal?.throwIfAborted();
    while (this.full() && !this.#shutdown) await this.#putters.wait(signal);
    this.putNowait(item);
  }

  /** Puts an item now. @throws QueueFullError, QueueShutDownError */
  putNowait(item: T): void {
    if (this.#shutdown) throw new QueueShutDownError('Queue is shut down');
    if (this.full()) throw new QueueFullError(`Queue is full (maxsize ${this.maxsize})`);
    this.#unfinished++;
    // A waiting getter takes the item directly, so it cannot be lost between the two.
    if (!this.#getters.wakeOne(item)) this.push(item);
  }

  /** Takes an item, waiting while the queue is empty. @throws QueueShutDownError once shut down and drained */
  async get(options?: WaitOptions): Promise<T> {
    const signal = signalOf(options, 'Queue.get');
    signal?.throwIfAborted();
    if (this.size() > 0) return this.#take();
    if (this.#shutdown) throw new QueueShutDownError('Queue is shut down');
    return this.#getters.wait(signal);
  }

  /** Takes an item now. @throws QueueEmptyError, QueueShutDownError */
  getNowait(): T {
    if (this.size() > 0) return this.#take();
    if (this.#shutdown) throw new QueueShutDownError('Queue is shut down');
    throw new QueueEmptyError('Queue is empty');
  }

  /** Marks one item from `get` as processed. @throws {InvalidStateError} if called too often. */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new InvalidStateError('taskDone() called more times than there were items');
    if (--this.#unfinished === 0) this.#joiners.wakeAll();
  }

  /** Waits until every item put has been marked done. */
  async join(options?: WaitOptions): Promise<void> {
    const signal = signalOf(options, 'Queue.join');
    signal?.throwIfAborted();
    if (this.#unfinished > 0) await this.#joiners.wait(signal);
  }

  /**
   * Shuts the queue down: `put` throws from now on and blocked putters wake with
   * QueueShutDownError; `get` drains what is left, then throws. With `immediate`, the
   * queue is emptied at once (counting those items done) and blocked getters throw.
   */
  shutdown(immediate = false): void {
    this.#shutdown = true;
    if (immediate) {
      while (this.size() > 0) {
        this.pop();
        if (this.#unfinished > 0) this.#unfinished--;
      }
      if (this.#unfinished === 0) this.#joiners.wakeAll();
    }
    // Getters wait only while the queue is empty, so they can never get an item now.
    this.#getters.rejectAll(new QueueShutDownError('Queue is shut down'));
    this.#putters.rejectAll(new QueueShutDownError('Queue is shut down'));
  }

  #take(): T {
    const item = this.pop();
    this.#putters.wakeOne();
    return item;
  }

  /** @internal Storage: number of stored items. */
  protected size(): number {
    return this.#items.length - this.#head;
  }

  #items: T[] = [];
  #head = 0;

  /** @internal Storage: adds an item. */
  protected push(item: T): void {
    this.#items.push(item);
  }

  /** @internal Storage: removes the next item (FIFO). */
  protected pop(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

/** A queue that returns the newest item first. */
export class LifoQueue<T> extends Queue<T> {
  #stack: T[] = [];
  protected override size(): number {
    return this.#stack.length;
  }
  protected override push(item: T): void {
    this.#stack.push(item);
  }
  protected override pop(): T {
    return this.#stack.pop()!;
  }
}

/** Orders a {@link PriorityQueue}: negative if `a` comes first. */
export type Compare<T> = (a: T, b: T) => number;

function defaultCompare<T>(a: T, b: T): number {
  const x = Array.isArray(a) ? a[0] : a;
  const y = Array.isArray(b) ? b[0] : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A queue that returns the lowest item first: by `compare`, or by default by value (or
 * by the first element of `[priority, data]` tuples). Equal items come out in the order
 * they were put.
 */
export class PriorityQueue<T> extends Queue<T> {
  #heap: { item: T; seq: number }[] = [];
  #seq = 0;
  #compare: Compare<T>;

  constructor(maxsize = 0, compare: Compare<T> = defaultCompare) {
    super(maxsize);
    this.#compare = compare;
  }

  protected override size(): number {
    return this.#heap.length;
  }

  protected override push(item: T): void {
    const heap = this.#heap;
    const node = { item, seq: this.#seq++ };
    let i = heap.length;
    heap.push(node);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(node, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = node;
  }

  protected override pop(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= heap.length) break;
        if (child + 1 < heap.length && this.#before(heap[child + 1]!, heap[child]!)) child++;
        if (!this.#before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top.item;
  }

  #before(a: { item: T; seq: number }, b: { item: T; seq: number }): boolean {
    const c = this.#compare(a.item, b.item);
    return c < 0 || (c === 0 && a.seq < b.seq);
  }
}
