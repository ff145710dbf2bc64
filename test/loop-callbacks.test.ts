// EventLoop callSoon / callLater / callAt: ordering, cancellation, bad input.
import { afterEach, describe, expect, it } from 'vitest';
import { availableBackends, ClosedError, EventLoop, getEventLoop, InvalidArgumentError, TimerHandle } from '../lib/index.js';

const loops: EventLoop[] = [];
function newLoop(): EventLoop {
  const loop = new EventLoop();
  loops.push(loop);
  return loop;
}
afterEach(() => {
  for (const loop of loops.splice(0)) loop.close();
});

/** Resolves after the loop has run a timer scheduled `ms` from now. */
function after(loop: EventLoop, ms: number): Promise<void> {
  return new Promise((resolve) => loop.callLater(ms, resolve));
}

describe('EventLoop callbacks', () => {
  it('callSoon runs callbacks once each, in FIFO order, after the current code', async () => {
    const loop = newLoop();
    const order: number[] = [];
    for (let i = 0; i < 5; i++) loop.callSoon(() => order.push(i));
    expect(order).toEqual([]);
    await after(loop, 5);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('callbacks scheduled by a callSoon callback run in a later round', async () => {
    const loop = newLoop();
    const order: string[] = [];
    loop.callSoon(() => {
      order.push('a');
      loop.callSoon(() => order.push('c'));
    });
    loop.callSoon(() => order.push('b'));
    await after(loop, 5);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('Handle.cancel is idempotent and prevents the call; after the call it is a no-op', async () => {
    const loop = newLoop();
    const calls: string[] = [];
    const h1 = loop.callSoon(() => calls.push('h1'));
    const h2 = loop.callSoon(() => calls.push('h2'));
    h1.cancel();
    h1.cancel();
    expect(h1.cancelled()).toBe(true);
    await after(loop, 5);
    expect(calls).toEqual(['h2']);
    h2.cancel();
    expect(h2.cancelled()).toBe(false);
  });

  it('timers fire in deadline order, equal deadlines in scheduling order', async () => {
    const loop = newLoop();
    const order: string[] = [];
    const when = loop.time() + 20;
    loop.callAt(when, () => order.push('at-1'));
    loop.callLater(30, () => order.push('later-30'));
    loop.callAt(when, () => order.push('at-2'));
    loop.callLater(5, () => order.push('later-5'));
    loop.callAt(when, () => order.push('at-3'));
    await after(loop, 60);
    expect(order).toEqual(['later-5', 'at-1', 'at-2', 'at-3', 'later-30']);
  });

  it('a timer fires no earlier than its deadline', async () => {
    const loop = newLoop();
    const start = loop.time();
    const fired = await new Promise<number>((resolve) => loop.callLater(30, () => resolve(loop.time())));
    expect(fired - start).toBeGreaterThanOrEqual(30);
  });

  it('a negative or zero delay means due now, and when() reports the deadline', async () => {
    const loop = newLoop();
    const order: string[] = [];
    const t = loop.callLater(-100, () => order.push('negative'));
    loop.callLater(0, () => order.push('zero'));
    expect(t).toBeInstanceOf(TimerHandle);
    expect(t.when()).toBeLessThanOrEqual(loop.time());
    await after(loop, 10);
    expect(order).toEqual(['negative', 'zero']);
  });

  it('a cancelled timer does not fire, before or after others; cancel after firing is a no-op', async () => {
    const loop = newLoop();
    const fired: number[] = [];
    const timers = [10, 5, 15].map((ms) => loop.callLater(ms, () => fired.push(ms)));
    timers[1]!.cancel();
    await after(loop, 30);
    expect(fired).toEqual([10, 15]);
    timers[0]!.cancel();
    expect(timers[0]!.cancelled()).toBe(false);
  });

  it('cancelling many timers compacts the heap without losing live ones', async () => {
    const loop = newLoop();
    const fired: number[] = [];
    const timers = Array.from({ length: 1000 }, (_, i) => loop.callLater(5 + (i % 10), () => fired.push(i)));
    timers.forEach((t, i) => {
      if (i % 7 !== 0) t.cancel();
    });
    await after(loop, 40);
    expect(fired.sort((a, b) => a - b)).toEqual(timers.map((_, i) => i).filter((i) => i % 7 === 0));
  });

  it('time() is monotonic milliseconds', () => {
    const loop = newLoop();
    const a = loop.time();
    const b = loop.time();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(a - performance.now())).toBeLessThan(1000);
  });

  it('rejects bad input on every scheduling method', () => {
    const loop = newLoop();
    const noop = () => undefined;
    const invalid = expect.objectContaining({ code: 'IOR_ERR_INVALID_ARG' });
    expect(() => loop.callSoon(undefined as never)).toThrow(invalid);
    expect(() => loop.callSoon('x' as never)).toThrow(InvalidArgumentError);
    expect(() => loop.callLater(NaN, noop)).toThrow(invalid);
    expect(() => loop.callLater('5' as never, noop)).toThrow(invalid);
    expect(() => loop.callLater(5, null as never)).toThrow(invalid);
    expect(() => loop.callAt(NaN, noop)).toThrow(invalid);
    expect(() => loop.callAt(undefined as never, noop)).toThrow(invalid);
    expect(() => loop.setExceptionHandler(5 as never)).toThrow(invalid);
    expect(() => new EventLoop({ slowCallbackDuration: NaN })).toThrow(invalid);
    for (const bad of [-1, 1.5, NaN, 2 ** 31, '3', null]) {
      expect(() => loop.addReader(bad as never, noop)).toThrow(invalid);
      expect(() => loop.addWriter(bad as never, noop)).toThrow(invalid);
      expect(() => loop.removeReader(bad as never)).toThrow(invalid);
      expect(() => loop.removeWriter(bad as never)).toThrow(invalid);
    }
    expect(() => loop.addReader(0, 'cb' as never)).toThrow(invalid);
    expect(loop.registeredFds).toBe(0);
  });

  it('a closed loop throws IOR_ERR_CLOSED; close is idempotent and drops pending work', async () => {
    const loop = newLoop();
    let ran = false;
    loop.callSoon(() => (ran = true));
    loop.callLater(1, () => (ran = true));
    loop.close();
    loop.close();
    expect(loop.closed).toBe(true);
    const noop = () => undefined;
    expect(() => loop.callSoon(noop)).toThrow(ClosedError);
    expect(() => loop.callLater(1, noop)).toThrow(ClosedError);
    expect(() => loop.callAt(1, noop)).toThrow(ClosedError);
    expect(() => loop.addReader(0, noop)).toThrow(ClosedError);
    expect(() => loop.removeReader(0)).toThrow(ClosedError);
    // Past the dropped timer's deadline, and after a callSoon turn, on a loop still open.
    const witness = newLoop();
    await new Promise<void>((r) => witness.callLater(5, () => witness.callSoon(r)));
    expect(ran).toBe(false);
  });

  it('getEventLoop returns one loop per thread, and a new one after close', () => {
    const a = getEventLoop();
    expect(getEventLoop()).toBe(a);
    a.close();
    const b = getEventLoop();
    expect(b).not.toBe(a);
    expect(b.closed).toBe(false);
    b.close();
  });

  it('poll and select cannot drive an EventLoop', () => {
    for (const backend of ['poll', 'select'] as const) {
      expect(() => new EventLoop({ backend })).toThrow(expect.objectContaining({ code: 'IOR_ERR_BACKEND_UNSUPPORTED' }));
    }
    const names = availableBackends();
    for (const backend of ['kqueue', 'epoll'] as const) {
      if (!names.includes(backend)) {
        expect(() => new EventLoop({ backend })).toThrow(expect.objectContaining({ code: 'IOR_ERR_BACKEND_UNAVAILABLE' }));
      }
    }
    const loop = newLoop();
    expect(loop.backend).toBe(names.find((b) => b === 'kqueue' || b === 'epoll'));
  });
});
