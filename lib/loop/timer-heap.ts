/**
 * The loop's timers, ordered by (deadline, sequence) so equal deadlines fire in scheduling
 * order (libuv's order).
 *
 * Most timers arrive in deadline order: the same delay scheduled again and again (idle
 * timeouts, retries, sleeps) gives non-decreasing deadlines, which is why Node keeps one
 * list per duration. A timer whose deadline is not earlier than the last one appended goes
 * on a FIFO linked through the handles (O(1), no array slot, no sift); any other goes on a
 * binary min-heap. The earliest timer is the earlier of the FIFO's head and the heap's top.
 *
 * Cancelled timers are removed lazily: they stay until they reach the front or a
 * compaction drops them (the loop compacts when more than half are cancelled).
 */
import type { TimerHandle } from './handle.js';

function before(a: TimerHandle, b: TimerHandle): boolean {
  return a.whenMs < b.whenMs || (a.whenMs === b.whenMs && a.seq < b.seq);
}

export class TimerHeap {
  #items: TimerHandle[] = [];
  #head: TimerHandle | null = null;
  #tail: TimerHandle | null = null;
  #fifoSize = 0;

  get size(): number {
    return this.#items.length + this.#fifoSize;
  }

  push(timer: TimerHandle): void {
    const tail = this.#tail;
    // Sequence numbers only grow, so appending keeps (deadline, sequence) order.
    if (tail === null || timer.whenMs >= tail.whenMs) {
      if (tail === null) this.#head = timer;
      else tail.next = timer;
      this.#tail = timer;
      this.#fifoSize++;
      return;
    }
    const items = this.#items;
    let i = items.length;
    items.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(timer, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = timer;
  }

  peek(): TimerHandle | undefined {
    const head = this.#head;
    const top = this.#items[0];
    if (head === null) return top;
    if (top === undefined || before(head, top)) return head;
    return top;
  }

  pop(): TimerHandle | undefined {
    const head = this.#head;
    const items = this.#items;
    const top = items[0];
    if (head !== null && (top === undefined || before(head, top))) {
      this.#head = head.next;
      if (this.#head === null) this.#tail = null;
      // A handle the user keeps must not keep the timers after it alive.
      head.next = null;
      this.#fifoSize--;
      return head;
    }
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    this.#siftDown(0, last);
    return top;
  }

  /** Drops every cancelled timer and restores the heap order in O(n). */
  compact(): void {
    const items = this.#items.filter((t) => !t.cancelled());
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i, items[i]!);
    let kept: TimerHandle | null = null;
    let size = 0;
    for (let t = this.#head; t !== null; ) {
      const next: TimerHandle | null = t.next;
      if (t.cancelled()) {
        t.next = null;
      } else {
        if (kept === null) this.#head = t;
        else kept.next = t;
        kept = t;
        size++;
      }
      t = next;
    }
    if (kept === null) this.#head = null;
    else kept.next = null;
    this.#tail = kept;
    this.#fifoSize = size;
  }

  clear(): void {
    this.#items = [];
    for (let t = this.#head; t !== null; ) {
      const next: TimerHandle | null = t.next;
      t.next = null;
      t = next;
    }
    this.#head = null;
    this.#tail = null;
    this.#fifoSize = 0;
  }

  #siftDown(start: number, timer: TimerHandle): void {
    const items = this.#items;
    const n = items.length;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(items[right]!, items[child]!)) child = right;
      const c = items[child]!;
      if (!before(c, timer)) break;
      items[i] = c;
      i = child;
    }
    items[i] = timer;
  }
}
