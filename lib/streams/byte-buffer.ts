/**
 * The reader's buffer: one contiguous region (a `bytearray`, as asyncio uses) so a
 * separator search is one `indexOf` from where the previous search stopped. A chunk fed
 * into an empty buffer is adopted, not copied, and taking everything hands the region
 * back without a copy: the common `read()` path copies nothing beyond the transport's
 * own receive copy.
 */
const kEmpty = Buffer.alloc(0);
const kMinCapacity = 4096;

/** @internal */
export class ByteBuffer {
  #data: Buffer = kEmpty;
  #start = 0;
  #end = 0;

  /** Bytes buffered. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Appends `chunk`; the buffer may keep it (it must not be modified afterwards). */
  push(chunk: Buffer): void {
    const size = chunk.length;
    if (size === 0) return;
    if (this.#end === this.#start) {
      this.#data = chunk;
      this.#start = 0;
      this.#end = size;
      return;
    }
    const length = this.length;
    if (this.#end + size > this.#data.length) {
      if (length + size <= this.#data.length && this.#start > 0) {
        this.#data.copy(this.#data, 0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(kMinCapacity, 2 * (length + size)));
        this.#data.copy(grown, 0, this.#start, this.#end);
        this.#data = grown;
      }
      this.#start = 0;
      this.#end = length;
    }
    chunk.copy(this.#data, this.#end);
    this.#end += size;
  }

  /** Index of `needle` at or after `from` (relative to the first buffered byte), or -1. */
  indexOf(needle: Buffer, from: number): number {
    return this.#data.subarray(this.#start, this.#end).indexOf(needle, from);
  }

  /** Whether `needle` is buffered at `at`. */
  startsWith(needle: Buffer, at: number): boolean {
    if (at + needle.length > this.length) return false;
    const begin = this.#start + at;
    return this.#data.subarray(begin, begin + needle.length).equals(needle);
  }

  /** Removes and returns the first `n` bytes (`n <= length`). */
  take(n: number): Buffer {
    if (n === 0) return kEmpty;
    if (n === this.length) {
      // Everything: hand the region over; the next push starts a new one.
      const data = this.#data;
      const all = this.#start === 0 && this.#end === data.length ? data : data.subarray(this.#start, this.#end);
      this.clear();
      return all;
    }
    const out = Buffer.allocUnsafe(n);
    this.#data.copy(out, 0, this.#start, this.#start + n);
    this.#start += n;
    return out;
  }

  /** Drops the first `n` bytes. */
  skip(n: number): void {
    if (n >= this.length) this.clear();
    else this.#start += n;
  }

  /** Drops everything. */
  clear(): void {
    this.#data = kEmpty;
    this.#start = 0;
    this.#end = 0;
  }
}
