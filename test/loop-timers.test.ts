// The timer queue (lib/loop/timer-heap.ts): in-order timers on a FIFO, the rest on a heap;
// deadline order across both, scheduling order at equal deadlines, lazy cancellation with
// compaction, and nothing pending after close.
import { afterEach, describe, expect, it } from 'vitest';
import { EventLoop } from '../lib/index.js';
import { waitFor } from './helpers.js';

const loops: EventLoop[] = [];
function newLoop(): EventLoop {
  const loop = new EventLoop();
  loops.push(loop);
  return loop;
}
afterEach(() => {
  for (const loop of loops.splice(0)) loop.close();
});

// A small deterministic generator, so a failure reproduces.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('timer queue', () => {
  it('runs timers in (deadline, scheduling order) whatever order they arrive in, skipping cancelled ones, across compactions', async () => {
    const loop = newLoop();
    const next = random(7);
    const base = loop.time() + 15;
    const expected: { when: number; seq: number }[] = [];
    const fired: number[] = [];
    const handles: { cancel(): void }[] = [];
    let seq = 0;
    const schedule = (count: number): void => {
      for (let i = 0; i < count; i++) {
        // Few distinct deadlines, so many are equal; arrival order is random, so both
        // the FIFO (in-order arrivals) and the heap (the others) are used.
        const when = base + Math.floor(next() * 8);
        const id = seq++;
        handles[id] = loop.callAt(when, () => fired.push(id));
        expected[id] = { when, seq: id };
      }
    };
    schedule(600);
    // Cancel 70 %: more than half, so the next schedule compacts.
    const cancelled = new Set<number>();
    for (let id = 0; id < 600; id++) {
      if (next() < 0.7) {
        handles[id]!.cancel();
        cancelled.add(id);
      }
    }
    schedule(300);
    const want = expected
      .filter((e) => !cancelled.has(e.seq))
      .sort((a, b) => a.when - b.when || a.seq - b.seq)
      .map((e) => e.seq);
    await waitFor(() => fired.length === want.length, { what: 'every live timer fired' });
    expect(fired).toEqual(want);
  });

  it('equal deadlines run in scheduling order whether they went to the FIFO or the heap', async () => {
    const loop = newLoop();
    const order: string[] = [];
    const when = loop.time() + 10;
    loop.callAt(when + 5, () => order.push('late')); // FIFO tail, later than what follows
    for (let i = 0; i < 5; i++) loop.callAt(when, () => order.push(`eq-${i}`)); // heap
    loop.callAt(when + 5, () => order.push('late-2')); // FIFO again
    await waitFor(() => order.length === 7);
    expect(order).toEqual(['eq-0', 'eq-1', 'eq-2', 'eq-3', 'eq-4', 'late', 'late-2']);
  });

  it('fractional deadlines keep their order; when() is exactly the deadline asked for', async () => {
    const loop = newLoop();
    const base = Math.floor(loop.time()) + 10;
    const order: string[] = [];
    const asked = [0.3, 0.1, 0.2001, 0.2].map((f) => base + f);
    const handles = asked.map((when) => loop.callAt(when, () => order.push((when - base).toFixed(4))));
    handles.forEach((h, i) => expect(h.when()).toBe(asked[i]));
    const past = loop.callAt(-5.5, () => order.push('past'));
    expect(past.when()).toBe(-5.5);
    const never = loop.callAt(Infinity, () => order.push('never'));
    expect(never.when()).toBe(Infinity);
    await waitFor(() => order.length === 5);
    never.cancel();
    expect(order).toEqual(['past', '0.1000', '0.2000', '0.2001', '0.3000']);
  });

  it('a cancelled handle that is kept does not keep later timers or their callbacks', () => {
    const loop = newLoop();
    const kept = loop.callLater(10_000, () => undefined);
    const other = loop.callLater(20_000, () => undefined);
    kept.cancel();
    other.cancel();
    // Every timer cancelled: the queue is cleared and the links between handles dropped.
    expect((kept as unknown as { next: unknown }).next).toBeNull();
    expect(other.cancelled()).toBe(true);
  });

  it('a burst of 100,000 timers cancelled in order leaves the queue empty and later timers working', async () => {
    const loop = newLoop();
    const handles = [];
    for (let i = 0; i < 100_000; i++) handles.push(loop.callLater(10_000 + (i % 3), () => undefined));
    for (const h of handles) h.cancel();
    // Nothing live: the process could exit; a new timer still works.
    let ran = false;
    loop.callLater(1, () => (ran = true));
    await waitFor(() => ran);
  });
});
