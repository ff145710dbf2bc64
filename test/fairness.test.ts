// The cooperative budget: operations that complete at once still yield now and then, so
// one busy connection cannot starve timers, Node's own callbacks or other connections.
// These count events during a bounded amount of work; they assert no timing.
import { describe, expect, it } from 'vitest';
import { getEventLoop } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { useResources } from './helpers.js';

getEventLoop();

describe('cooperative budget', () => {
  const res = useResources();

  it('a ping-pong whose every operation completes at once still lets timers and immediates run', async () => {
    const loop = res.loop();
    const [a, b] = res.socketpair();
    let immediates = 0;
    let loopTimers = 0;
    let stop = false;
    const tickImmediate = (): void => {
      immediates++;
      if (!stop) setImmediate(tickImmediate);
    };
    setImmediate(tickImmediate);
    const tickLoop = (): void => {
      loopTimers++;
      if (!stop) loop.callLater(0, tickLoop);
    };
    loop.callLater(0, tickLoop);
    const ping = Buffer.from('ping');
    const buf = Buffer.alloc(4);
    // Each side's data is already there when it reads, so every call can complete at once.
    await loop.sockSendAll(a, ping);
    for (let i = 0; i < 20_000; i++) {
      await loop.sockRecvInto(b, buf);
      await loop.sockSendAll(b, buf);
      await loop.sockRecvInto(a, buf);
      await loop.sockSendAll(a, buf);
    }
    stop = true;
    // Without a budget both counters stay at 1 (the first scheduled run never comes).
    expect(immediates).toBeGreaterThan(20);
    expect(loopTimers).toBeGreaterThan(20);
  });

  it('a flood on one connection does not starve a second one', async () => {
    const loop = res.loop();
    const [a, b] = res.socketpair();
    const [c, d] = res.socketpair();
    const chunk = Buffer.alloc(4096, 1);
    // Exactly one chunk per read: every read is full, so none marks the socket drained and
    // every operation of the flooder could complete at once.
    const buf = Buffer.alloc(4096);
    let other = 0;
    let stop = false;
    // The flooder reads data that is always there.
    const flood = (async () => {
      let rounds = 0;
      while (!stop && rounds < 50_000) {
        await loop.sockSendAll(a, chunk);
        await loop.sockRecvInto(b, buf);
        rounds++;
      }
      return rounds;
    })();
    const small = Buffer.alloc(16);
    // The other connection's data comes from a macrotask (setImmediate): it can only
    // progress if the flooder's chain of immediate completions yields now and then.
    const pinger = (async () => {
      while (other < 200) {
        setImmediate(() => sys.write(d, small));
        await loop.sockRecvInto(c, small);
        other++;
      }
      stop = true;
    })();
    const rounds = await flood;
    await pinger;
    expect(other).toBe(200);
    // The small connection finished while the flood was still going.
    expect(rounds).toBeLessThan(50_000);
  });
});

describe('timers that re-schedule themselves', () => {
  const res = useResources();

  it('a callLater(0) chain does not starve readiness', async () => {
    const loop = res.loop();
    const [a, b] = res.socketpair();
    let ticks = 0;
    let stop = false;
    const tick = (): void => {
      ticks++;
      if (!stop) loop.callLater(0, tick);
    };
    loop.callLater(0, tick);
    sys.write(b, Buffer.from('x'));
    await loop.waitReadable(a);
    stop = true;
    // The wait completed while the chain was running (it used to spin in libuv's timer
    // phase forever).
    expect(ticks).toBeGreaterThan(0);
  });
});
