/**
 * What a stream transport keeps of the data the kernel did not take: the chunks (by
 * reference), their byte count, and the watermarks around which the protocol is told to
 * pause and resume writing. Shared by the socket and pipe transports; each brings its own
 * system calls.
 */
import { InvalidArgumentError } from '../errors.js';
import { describeValue } from '../internal/fd.js';
import type { WriteBufferLimits } from './types.js';

/** asyncio's default high-water mark; the low one is a quarter of it. */
export const kDefaultHigh = 64 * 1024;
// The most buffers one sendmsg/writev takes (IOV_MAX on Linux and macOS).
const kIovMax = 1024;

/** Validates and completes write-buffer limits (asyncio's rules). */
export function checkLimits(limits: Partial<WriteBufferLimits> | undefined): WriteBufferLimits {
  if (limits !== undefined && (typeof limits !== 'object' || limits === null)) {
    throw new InvalidArgumentError(`limits must be an object, got ${describeValue(limits)}`);
  }
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  let { high, low } = limits ?? {};
  if (high !== undefined && !ok(high)) throw new InvalidArgumentError(`high must be an integer >= 0, got ${describeValue(high)}`);
  if (low !== undefined && !ok(low)) throw new InvalidArgumentError(`low must be an integer >= 0, got ${describeValue(low)}`);
  if (high === undefined) high = low === undefined ? kDefaultHigh : 4 * low;
  if (low === undefined) low = Math.floor(high / 4);
  if (!(high >= low)) throw new InvalidArgumentError(`high (${high}) must be >= low (${low})`);
  return { high, low };
}

/** Tells the protocol about the watermarks (and reports what its callbacks throw). */
export interface FlowTarget {
  pauseWriting(): void;
  resumeWriting(): void;
}

export class WriteBuffer {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #high = kDefaultHigh;
  #low = kDefaultHigh / 4;
  #paused = false;
  #target: FlowTarget;

  constructor(target: FlowTarget) {
    this.#target = target;
  }

  /** Bytes queued. */
  get size(): number {
    return this.#size;
  }

  /** The queued chunks for one vectored write (at most IOV_MAX of them). */
  batch(): Uint8Array[] {
    return this.#chunks.length > kIovMax ? this.#chunks.slice(0, kIovMax) : this.#chunks;
  }

  get limits(): WriteBufferLimits {
    return { high: this.#high, low: this.#low };
  }

  setLimits(limits: Partial<WriteBufferLimits> | undefined): void {
    ({ high: this.#high, low: this.#low } = checkLimits(limits));
    this.maybePause();
  }

  /**
   * Queues a chunk (by reference) and pauses the protocol past the high mark — unless
   * `check` is false, for a caller that tries to send the queue at once and checks the
   * mark afterwards (`writeLines`).
   */
  push(view: Uint8Array, check = true): void {
    if (view.byteLength === 0) return;
    this.#chunks.push(view);
    this.#size += view.byteLength;
    if (check) this.maybePause();
  }

  /** Drops the first `n` bytes (they were sent) and resumes the protocol at the low mark. */
  consume(n: number): void {
    const chunks = this.#chunks;
    this.#size -= n;
    let whole = 0;
    while (whole < chunks.length && n >= chunks[whole]!.byteLength) {
      n -= chunks[whole]!.byteLength;
      whole++;
    }
    if (whole > 0) chunks.splice(0, whole);
    if (n > 0) chunks[0] = chunks[0]!.subarray(n);
    this.#maybeResume();
  }

  /** Drops everything (abort, connection lost). */
  clear(): void {
    this.#chunks = [];
    this.#size = 0;
  }

  /** Pauses the protocol if the queue is past the high mark. */
  maybePause(): void {
    if (this.#paused || this.#size <= this.#high) return;
    this.#paused = true;
    this.#target.pauseWriting();
  }

  #maybeResume(): void {
    if (!this.#paused || this.#size > this.#low) return;
    this.#paused = false;
    this.#target.resumeWriting();
  }
}
