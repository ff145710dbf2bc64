/**
 * Threadsafe channels: another thread posts numbers that a callback receives on the
 * event loop's thread, in order (asyncio's `call_soon_threadsafe`, libuv's `uv_async_t`).
 *
 * The values travel through a bounded multi-producer ring in a `SharedArrayBuffer`
 * (Vyukov's bounded queue: one sequence number per slot, producers claim slots with a
 * compare-and-swap); the wake-up is a native waker (an `eventfd` on Linux) the loop
 * watches like any other fd. A producer writes the waker only when the loop thread has
 * not been woken since it last drained the ring, so a burst of posts costs one wake-up.
 */
import { constants } from 'node:os';
import { InvalidArgumentError, SystemError } from '../errors.js';
import { checkFunction, optionOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import { native } from '../internal/init.js';

/** Options for `loop.threadsafeChannel()`. */
export interface ThreadsafeChannelOptions {
  /**
   * How many values may wait in the ring; `post` returns `false` when it is full.
   * Rounded up to a power of two, at least 2 (a one-slot sequence ring cannot tell a full
   * slot from an empty one a lap later), at most 2**20.
   * @defaultValue 1024
   */
  capacity?: number;
}

/**
 * What a worker needs to post to a channel: structured-cloneable as it is (pass it in
 * `workerData` or `postMessage`), then `ThreadsafeSender.fromHandle(handle)` there.
 */
export interface ThreadsafeChannelHandle {
  /** The ring and its header. */
  readonly buffer: SharedArrayBuffer;
  /** The process-wide id of the loop's waker for this channel. */
  readonly waker: number;
}

/** What the channel needs from its loop (kept structural so this file does not import the loop class). */
export interface ChannelLoop {
  readonly closed: boolean;
  addReader(fd: number, callback: (fd: number) => void): void;
  removeReader(fd: number): boolean;
  trackPending(settle: (error: Error) => void): () => void;
  callExceptionHandler(context: { message: string; exception: unknown }): void;
  readonly io: { registeredFds(): number[] };
}

// Header (Int32 slots) before the ring, one 64-byte cache line per writer so a
// spinning producer and the draining loop thread do not bounce one line between cores.
const kClosed = 0; // read-mostly, with the capacity
const kCapacity = 1;
const kTail = 16; // next position producers claim (its own line)
const kWakePending = 32; // 1 while a wake-up is on its way and the ring not yet drained
const kHeaderBytes = 192;
const kMinCapacity = 2;
const kMaxCapacity = 1 << 20;

interface Ring {
  header: Int32Array;
  seqs: Int32Array;
  values: Float64Array;
  mask: number;
}

// `capacity` is passed in, not read back from the header: the header is shared memory
// any thread can write, so it is read once, validated, and that value is used.
function ringOf(buffer: SharedArrayBuffer, capacity: number): Ring {
  const header = new Int32Array(buffer, 0, kHeaderBytes / 4);
  return {
    header,
    seqs: new Int32Array(buffer, kHeaderBytes, capacity),
    values: new Float64Array(buffer, kHeaderBytes + 4 * capacity + ((4 * capacity) % 8), capacity),
    mask: capacity - 1,
  };
}

function bytesFor(capacity: number): number {
  return kHeaderBytes + 4 * capacity + ((4 * capacity) % 8) + 8 * capacity;
}

function checkValue(value: unknown): number {
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(`A threadsafe channel carries numbers, got ${describeValue(value)}`);
  }
  return value;
}

// Multi-producer enqueue. Returns false if the ring is full or the channel closed.
function enqueue(ring: Ring, wakerId: number, value: number): boolean {
  const { header, seqs, values, mask } = ring;
  if (Atomics.load(header, kClosed) !== 0) return false;
  let pos = Atomics.load(header, kTail);
  for (;;) {
    const slot = pos & mask;
    const dif = (Atomics.load(seqs, slot) - pos) | 0;
    if (dif === 0) {
      const seen = Atomics.compareExchange(header, kTail, pos, (pos + 1) | 0);
      if (seen === pos) break;
      pos = seen;
    } else if (dif < 0) {
      // Full: the slot still holds a value from one lap ago. The consumer may be gone
      // with a wake-up still pending (its thread exited before draining), in which case
      // no post would ever call wake() again to find out: ask the waker now, so a sender
      // retrying a full ring learns the channel is closed instead of spinning forever.
      if (!native.wake(wakerId)) Atomics.store(header, kClosed, 1);
      return false;
    } else {
      pos = Atomics.load(header, kTail);
    }
  }
  const slot = pos & mask;
  values[slot] = value;
  // Publishes the value: the consumer's Atomics.load of this sequence number
  // synchronizes with this store, so it sees the plain write above.
  Atomics.store(seqs, slot, (pos + 1) | 0);
  if (Atomics.exchange(header, kWakePending, 1) === 0 && !native.wake(wakerId)) {
    // The waker is gone: its thread exited without closing the channel (the ring, in
    // shared memory, outlives it). Nobody will read this value; say so, now and later.
    Atomics.store(header, kClosed, 1);
    return false;
  }
  return true;
}

/**
 * The sending side of a {@link ThreadsafeChannel}, for any thread (a worker, or the
 * loop's own thread). Posting never blocks.
 *
 * @example
 * ```ts
 * // in a worker, with the handle from workerData:
 * const sender = ThreadsafeSender.fromHandle(workerData.channel);
 * sender.post(42);
 * ```
 */
export class ThreadsafeSender {
  #ring: Ring;
  #waker: number;

  /**
   * @internal Use {@link ThreadsafeSender.fromHandle} (which this validates like).
   * @throws {InvalidArgumentError} for anything but a channel's `handle`.
   */
  constructor(handle: ThreadsafeChannelHandle) {
    // Each property is read once: a getter or Proxy that answers differently on a
    // second read must not get an unvalidated buffer or waker past the checks.
    const h = handle as Partial<ThreadsafeChannelHandle> | null;
    const buffer = typeof h === 'object' && h !== null ? h.buffer : undefined;
    const waker = typeof h === 'object' && h !== null ? h.waker : undefined;
    if (!(buffer instanceof SharedArrayBuffer) || typeof waker !== 'number' || !Number.isSafeInteger(waker) || waker < 1) {
      throw new InvalidArgumentError(`Invalid threadsafe channel handle: ${describeValue(handle)}`);
    }
    let ring: Ring | null = null;
    try {
      // The typed-array constructors check the real length of the buffer (a Proxy or an
      // own `byteLength` property cannot fake it) and throw for anything too short.
      const capacity = new Int32Array(buffer, 0, kHeaderBytes / 4)[kCapacity]!;
      if (capacity >= kMinCapacity && capacity <= kMaxCapacity && (capacity & (capacity - 1)) === 0) {
        ring = ringOf(buffer, capacity);
      }
    } catch {
      ring = null;
    }
    if (ring === null) throw new InvalidArgumentError('Invalid threadsafe channel handle: not a channel buffer');
    this.#ring = ring;
    this.#waker = waker;
  }

  /**
   * A sender for a handle received from the loop's thread.
   *
   * @throws {InvalidArgumentError} for anything but a channel's `handle`.
   */
  static fromHandle(handle: ThreadsafeChannelHandle): ThreadsafeSender {
    return new ThreadsafeSender(handle);
  }

  /**
   * Queues `value` for the channel's callback on the loop's thread and wakes that loop.
   * Values from one sender arrive in the order posted; posts from several threads are
   * ordered by when each claimed its slot.
   *
   * @returns `true` if queued; `false` if the ring is full (the loop has not caught up:
   *   retry later) or the channel is closed (see {@link ThreadsafeSender.closed}). A
   *   channel whose thread exited without closing it is noticed by the first post that
   *   must wake it (the loop had drained everything before), at the latest when the ring
   *   is full.
   * @throws {InvalidArgumentError} if `value` is not a number.
   */
  post(value: number): boolean {
    return enqueue(this.#ring, this.#waker, checkValue(value));
  }

  /**
   * Whether the channel was closed: by `close()`, by its loop closing, or (noticed by the
   * first `post` that has to wake it) by its thread exiting.
   */
  get closed(): boolean {
    return Atomics.load(this.#ring.header, kClosed) !== 0;
  }
}

/**
 * The receiving side, owned by an event loop: values posted from any thread are passed
 * to the callback on the loop's thread, in order, a batch per wake-up. Create it with
 * `loop.threadsafeChannel(callback)`, send {@link ThreadsafeChannel.handle} to workers.
 *
 * An open channel keeps its loop (and so the process) alive, as an open `MessagePort`
 * does; close it, or `loop.unref()`. Closing (the channel, or its loop) discards values
 * posted but not yet delivered, and every later `post` returns `false`.
 */
export class ThreadsafeChannel {
  /** Send this to other threads; `ThreadsafeSender.fromHandle(handle)` there. */
  readonly handle: ThreadsafeChannelHandle;
  #loop: ChannelLoop;
  #ring: Ring;
  #callback: ((value: number) => void) | null;
  #fd: number;
  #untrack: () => void;
  #sender: ThreadsafeSender;
  #head = 0; // next position to read; only this thread reads the ring

  /** @internal Use `loop.threadsafeChannel()`. */
  constructor(loop: ChannelLoop, callback: (value: number) => void, options?: ThreadsafeChannelOptions) {
    checkFunction(callback, 'callback');
    const requested = optionOf(options, 'capacity', 'threadsafeChannel') ?? 1024;
    if (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 1 || requested > kMaxCapacity) {
      throw new InvalidArgumentError(`threadsafeChannel: capacity must be an integer from 1 to ${kMaxCapacity}, got ${describeValue(requested)}`);
    }
    // At least two slots: with one, a published slot's sequence number (pos + 1) equals
    // the one the next producer waits for (its own pos), so it would overwrite the value.
    let capacity = kMinCapacity;
    while (capacity < requested) capacity *= 2;
    const buffer = new SharedArrayBuffer(bytesFor(capacity));
    new Int32Array(buffer, 0, kHeaderBytes / 4)[kCapacity] = capacity;
    this.#ring = ringOf(buffer, capacity);
    for (let i = 0; i < capacity; i++) this.#ring.seqs[i] = i;
    const [id, fd] = native.openWaker();
    try {
      // The waker's fd is brand new, so a registration the loop still holds under its
      // number belongs to an fd closed without removeReader/notifyClosing. addReader
      // would take that entry over without registering the new fd in the kernel, and
      // the channel would silently never deliver: refuse, as the selector's waker does.
      if (loop.io.registeredFds().includes(fd)) throw new SystemError(-constants.errno.EEXIST, 'register', 'threadsafeChannel');
      loop.addReader(fd, () => this.#drain());
    } catch (error) {
      native.closeWaker(id);
      throw error;
    }
    this.handle = Object.freeze({ buffer, waker: id });
    this.#loop = loop;
    this.#callback = callback;
    this.#fd = fd;
    this.#sender = new ThreadsafeSender(this.handle);
    this.#untrack = loop.trackPending(() => this.#shutDown());
  }

  /** Like {@link ThreadsafeSender.post}, from the loop's own thread. */
  post(value: number): boolean {
    return this.#sender.post(value);
  }

  /** Whether `close()` was called or the loop closed. */
  get closed(): boolean {
    return this.#callback === null;
  }

  /**
   * Stops delivery and releases the waker. Values still in the ring are discarded;
   * senders' `post` returns `false` from now on. Idempotent.
   */
  close(): void {
    if (this.#callback === null) return;
    this.#untrack();
    if (!this.#loop.closed) this.#loop.removeReader(this.#fd);
    this.#shutDown();
  }

  #shutDown(): void {
    if (this.#callback === null) return;
    this.#callback = null;
    Atomics.store(this.#ring.header, kClosed, 1);
    native.closeWaker(this.handle.waker);
  }

  #drain(): void {
    const { header, seqs, values, mask } = this.#ring;
    native.drainWaker(this.handle.waker);
    // Cleared before reading: a post after this point either is seen below or
    // finds the flag clear and wakes the loop again.
    Atomics.store(header, kWakePending, 0);
    let head = this.#head;
    // At most one lap per wake-up, so producers faster than the callback cannot hold
    // the loop thread forever; the rest comes on the next wake-up.
    for (let n = 0; n <= mask; n++) {
      const callback = this.#callback;
      if (callback === null) return;
      const slot = head & mask;
      if (Atomics.load(seqs, slot) !== ((head + 1) | 0)) break;
      const value = values[slot]!;
      Atomics.store(seqs, slot, (head + mask + 1) | 0);
      head = (head + 1) | 0;
      this.#head = head;
      try {
        callback(value);
      } catch (exception) {
        this.#loop.callExceptionHandler({ message: 'threadsafe channel callback', exception });
      }
    }
    if (this.#callback !== null && Atomics.load(seqs, head & mask) === ((head + 1) | 0)) {
      if (Atomics.exchange(header, kWakePending, 1) === 0) native.wake(this.handle.waker);
    }
  }
}
