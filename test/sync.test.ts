// Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier and the queues.
import { describe, expect, it } from 'vitest';
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  CancelledError,
  Condition,
  createTask,
  Event,
  InvalidArgumentError,
  InvalidStateError,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  Semaphore,
  sleep,
} from '../lib/index.js';
import { waitFor } from './helpers.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Lock', () => {
  it('is fair: waiters get it in FIFO order', async () => {
    const lock = new Lock();
    const order: number[] = [];
    await lock.acquire();
    const waiters = [1, 2, 3].map((i) =>
      lock.acquire().then(() => {
        order.push(i);
        lock.release();
      }),
    );
    expect(lock.locked()).toBe(true);
    lock.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(lock.locked()).toBe(false);
    expect(() => lock.release()).toThrow(InvalidStateError);
  });

  it('a cancelled waiter leaves the queue; the next one gets the lock', async () => {
    const lock = new Lock();
    await lock.acquire();
    const controller = new AbortController();
    const cancelled = lock.acquire({ signal: controller.signal });
    const next = lock.acquire();
    controller.abort(new CancelledError());
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    lock.release();
    await next;
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(await lock.withLock(async () => 'inside')).toBe('inside');
    expect(lock.locked()).toBe(false);
  });

  it('a waiter cancelled after being handed the lock keeps it (the wake-up is not lost)', async () => {
    const lock = new Lock();
    await lock.acquire();
    const controller = new AbortController();
    const waiter = lock.acquire({ signal: controller.signal });
    lock.release(); // handed over synchronously
    controller.abort(); // too late: it already owns the lock
    expect(await waiter).toBe(true);
    expect(lock.locked()).toBe(true);
    lock.release();
  });
});

describe('Event and Condition', () => {
  it('Event wakes every waiter; wait returns at once when set', async () => {
    const event = new Event();
    const waits = [event.wait(), event.wait()];
    await tick();
    expect(event.isSet()).toBe(false);
    event.set();
    expect(await Promise.all(waits)).toEqual([true, true]);
    expect(await event.wait()).toBe(true);
    event.clear();
    const controller = new AbortController();
    const w = event.wait({ signal: controller.signal });
    controller.abort('no');
    await expect(w).rejects.toBe('no');
  });

  it('Condition: wait needs the lock, releases it, and re-acquires it even when cancelled', async () => {
    const cond = new Condition();
    await expect(cond.wait()).rejects.toBeInstanceOf(InvalidStateError);
    expect(() => cond.notify()).toThrow(InvalidStateError);
    let value = 0;
    const consumer = (async () => {
      await cond.acquire();
      try {
        return await cond.waitFor(() => value >= 2 && value);
      } finally {
        cond.release();
      }
    })();
    for (let i = 1; i <= 2; i++) {
      await tick();
      await cond.acquire();
      value = i;
      cond.notifyAll();
      cond.release();
    }
    expect(await consumer).toBe(2);

    const controller = new AbortController();
    await cond.acquire();
    const waiting = cond.wait({ signal: controller.signal });
    await tick();
    expect(cond.locked()).toBe(false); // released while waiting
    controller.abort(new CancelledError());
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(cond.locked()).toBe(true); // re-acquired before the rejection
    cond.release();
  });

  it('Condition.notify(n) wakes n waiters in order', async () => {
    const cond = new Condition();
    const woken: number[] = [];
    const waiters = [1, 2, 3].map(async (i) => {
      await cond.acquire();
      await cond.wait();
      woken.push(i);
      cond.release();
    });
    await tick();
    await cond.acquire();
    cond.notify(2);
    cond.release();
    await waitFor(() => woken.length >= 2, { what: 'two waiters woken' });
    await tick(); // a third, wrongly woken waiter would have run by now
    expect(woken).toEqual([1, 2]);
    await cond.acquire();
    cond.notify();
    cond.release();
    await Promise.all(waiters);
    expect(woken).toEqual([1, 2, 3]);
  });
});

describe('Semaphore and BoundedSemaphore', () => {
  it('limits concurrency to its value, FIFO', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        sem.withPermit(async () => {
          peak = Math.max(peak, ++running);
          await sleep(2);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(sem.value).toBe(2);
    expect(() => new Semaphore(-1)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(1.5)).toThrow(InvalidArgumentError);
    const unbounded = new Semaphore(0);
    expect(unbounded.locked()).toBe(true);
    unbounded.release();
    unbounded.release();
    expect(unbounded.value).toBe(2);
  });

  it('a cancelled acquire takes no slot', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const controller = new AbortController();
    const cancelled = sem.acquire({ signal: controller.signal });
    controller.abort('x');
    await expect(cancelled).rejects.toBe('x');
    sem.release();
    expect(sem.value).toBe(1);
  });

  it('BoundedSemaphore refuses a release above its initial value', async () => {
    const sem = new BoundedSemaphore(1);
    expect(() => sem.release()).toThrow(InvalidStateError);
    await sem.acquire();
    sem.release();
    expect(() => sem.release()).toThrow(InvalidStateError);
  });
});

describe('Barrier', () => {
  it('releases all parties together with distinct indices, cyclically', async () => {
    const barrier = new Barrier(3);
    for (let round = 0; round < 2; round++) {
      const indices = await Promise.all([barrier.wait(), barrier.wait(), barrier.wait()]);
      expect([...indices].sort()).toEqual([0, 1, 2]);
      expect(barrier.nWaiting).toBe(0);
    }
    expect(() => new Barrier(0)).toThrow(InvalidArgumentError);
  });

  it('a cancelled party leaves the round; reset and abort break waiters', async () => {
    const barrier = new Barrier(2);
    const controller = new AbortController();
    const leaving = barrier.wait({ signal: controller.signal });
    expect(barrier.nWaiting).toBe(1);
    controller.abort('left');
    await expect(leaving).rejects.toBe('left');
    expect(barrier.nWaiting).toBe(0);
    const w = barrier.wait();
    barrier.reset();
    await expect(w).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(barrier.broken).toBe(false);
    const w2 = barrier.wait();
    barrier.abort();
    await expect(w2).rejects.toBeInstanceOf(BrokenBarrierError);
    await expect(barrier.wait()).rejects.toMatchObject({ code: 'IOR_ERR_BROKEN_BARRIER' });
  });
});

describe('Queues', () => {
  it('Queue: FIFO, blocking put/get, nowait errors, join/taskDone', async () => {
    const q = new Queue<number>(2);
    await q.put(1);
    q.putNowait(2);
    expect(q.full()).toBe(true);
    expect(() => q.putNowait(3)).toThrow(QueueFullError);
    const blockedPut = q.put(3);
    expect(await q.get()).toBe(1);
    await blockedPut;
    expect([q.getNowait(), await q.get()]).toEqual([2, 3]);
    expect(() => q.getNowait()).toThrow(QueueEmptyError);
    const getter = q.get();
    q.putNowait(4);
    expect(await getter).toBe(4);
    let joined = false;
    const join = q.join().then(() => (joined = true));
    for (let i = 0; i < 3; i++) q.taskDone();
    await tick();
    expect(joined).toBe(false);
    q.taskDone();
    await join;
    expect(() => q.taskDone()).toThrow(InvalidStateError);
  });

  it('a cancelled get takes nothing, and the item goes to the next getter', async () => {
    const q = new Queue<string>();
    const controller = new AbortController();
    const cancelled = q.get({ signal: controller.signal });
    const next = q.get();
    controller.abort('gone');
    await expect(cancelled).rejects.toBe('gone');
    q.putNowait('item');
    expect(await next).toBe('item');
    expect(q.empty()).toBe(true);
  });

  it('shutdown: put fails, get drains then fails; immediate empties and unblocks join', async () => {
    const q = new Queue<number>(1);
    q.putNowait(1);
    const blockedPut = q.put(2);
    q.shutdown();
    await expect(blockedPut).rejects.toBeInstanceOf(QueueShutDownError);
    expect(() => q.putNowait(3)).toThrow(QueueShutDownError);
    expect(await q.get()).toBe(1);
    await expect(q.get()).rejects.toMatchObject({ code: 'IOR_ERR_QUEUE_SHUTDOWN' });

    const q2 = new Queue<number>();
    q2.putNowait(1);
    q2.putNowait(2);
    const join = q2.join();
    const empty = new Queue<number>();
    const blockedGet = empty.get();
    empty.shutdown(true);
    await expect(blockedGet).rejects.toBeInstanceOf(QueueShutDownError);
    q2.shutdown(true);
    await join;
    expect(q2.qsize()).toBe(0);
  });

  it('PriorityQueue returns the lowest first, stable for ties; LifoQueue the newest', async () => {
    const pq = new PriorityQueue<[number, string]>();
    for (const entry of [[3, 'c'], [1, 'a'], [2, 'b'], [1, 'a2']] as [number, string][]) pq.putNowait(entry);
    const out: string[] = [];
    while (!pq.empty()) out.push((await pq.get())[1]);
    expect(out).toEqual(['a', 'a2', 'b', 'c']);
    const custom = new PriorityQueue<string>(0, (a, b) => b.length - a.length);
    ['x', 'xxx', 'xx'].forEach((s) => custom.putNowait(s));
    expect([custom.getNowait(), custom.getNowait(), custom.getNowait()]).toEqual(['xxx', 'xx', 'x']);
    const lifo = new LifoQueue<number>();
    [1, 2, 3].forEach((n) => lifo.putNowait(n));
    expect([await lifo.get(), await lifo.get(), await lifo.get()]).toEqual([3, 2, 1]);
  });

  it('producers and consumers over a bounded queue lose nothing', async () => {
    const q = new Queue<number>(4);
    const received: number[] = [];
    const consumers = [0, 1].map(() =>
      createTask(async () => {
        for (;;) {
          const item = await q.get().catch(() => null);
          if (item === null) return;
          received.push(item);
          q.taskDone();
        }
      }),
    );
    for (let i = 0; i < 100; i++) await q.put(i);
    await q.join();
    q.shutdown();
    await Promise.all(consumers);
    expect(received.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
