/**
 * Binary min-heap of timers ordered by (deadline, sequence), so equal deadlines fire in
 * scheduling order (libuv's order). Cancelled timers are removed lazily: they stay in the
 * array until they reach the top or a compaction drops them.
 */
import type { TimerHandle } from './handle.js';

function before(a: TimerHandle, b: TimerHandle): boolean {
  return a.whenMs < b.whenMs || (a.whenMs === b.whenMs && a.seq < b.seq);
}

export class TimerHeap {
  #items: TimerHandle[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(timer: TimerHandle): void {
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
    return this.#items[0];
  }

  pop(): TimerHandle | undefined {
    const items = this.#items;
    const top = items[0];
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
  }

  clear(): void {
    this.#items = [];
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
