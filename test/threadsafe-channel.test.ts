// loop.threadsafeChannel(): workers post numbers that arrive on the loop's thread in order.
import { once } from 'node:events';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ClosedError, type ExceptionContext, InvalidArgumentError, SystemError, ThreadsafeSender } from '../lib/index.js';
import { native } from '../lib/native.js';
import * as sys from '../lib/sys.js';
import { fillBelow, runScript, useResources, waitFor } from './helpers.js';

const entry = path.resolve(__dirname, '..', 'dist', 'index.js');

function runWorker(body: string, workerData?: unknown): Worker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const io = require(${JSON.stringify(entry)});
    ${body}
  `;
  return new Worker(source, { eval: true, workerData });
}

describe('threadsafe channel', () => {
  const res = useResources();

  it('values posted by several workers arrive on the loop thread, each worker in order', async () => {
    const loop = res.loop();
    const received: number[] = [];
    const channel = loop.threadsafeChannel((value) => received.push(value), { capacity: 256 });
    const perWorker = 5000;
    const workers = [0, 1, 2].map((w) =>
      runWorker(
        `
        const sender = io.ThreadsafeSender.fromHandle(workerData.handle);
        const pause = new Int32Array(new SharedArrayBuffer(4));
        let full = 0;
        for (let i = 0; i < ${perWorker}; i++) {
          // A full ring is back-pressure: back off briefly (on 2 cores a spinning
          // sender would take the CPU the loop thread needs to drain it).
          while (!sender.post(workerData.w * 1e6 + i)) { full++; Atomics.wait(pause, 0, 0, 0.05); }
        }
        parentPort.postMessage(full);
      `,
        { handle: channel.handle, w },
      ),
    );
    await Promise.all(workers.map((w) => once(w, 'exit')));
    await waitFor(() => received.length === 3 * perWorker);
    for (const w of [0, 1, 2]) {
      const mine = received.filter((v) => Math.floor(v / 1e6) === w).map((v) => v % 1e6);
      expect(mine).toEqual(Array.from({ length: perWorker }, (_, i) => i));
    }
    channel.close();
  });

  it('post from the loop thread: a full ring returns false, nothing is lost, order kept', async () => {
    const loop = res.loop();
    const received: number[] = [];
    const channel = loop.threadsafeChannel((value) => received.push(value), { capacity: 4 });
    expect([1, 2, 3, 4].map((v) => channel.post(v))).toEqual([true, true, true, true]);
    expect(channel.post(5)).toBe(false);
    await waitFor(() => received.length === 4);
    expect(channel.post(5)).toBe(true);
    await waitFor(() => received.length === 5);
    expect(received).toEqual([1, 2, 3, 4, 5]);
    channel.close();
  });

  it('capacity 1 is rounded up to two slots: nothing is overwritten, lost or stuck', async () => {
    // A one-slot sequence ring cannot tell "full" from "empty one lap later" (both read
    // as pos + 1): posts were all accepted, overwrote each other and wedged the ring.
    const loop = res.loop();
    const received: number[] = [];
    const channel = loop.threadsafeChannel((value) => received.push(value), { capacity: 1 });
    expect([1, 2, 3].map((v) => channel.post(v))).toEqual([true, true, false]);
    await waitFor(() => received.length === 2);
    expect(channel.post(4)).toBe(true);
    await waitFor(() => received.length === 3);
    expect(received).toEqual([1, 2, 4]);
    channel.close();
  });

  it('a waker fd landing on the number of a reader closed behind the loop: EEXIST, not a channel that never delivers', async () => {
    const before = native.wakerCount();
    const loop = res.loop();
    const [r, w] = sys.pipe();
    loop.addReader(r, () => {});
    sys.close(r); // without removeReader: the loop's entry under r is stale
    const fillers = fillBelow(r, w);
    try {
      // Was: created, took over the stale entry, never registered the waker's fd in
      // the kernel, and silently delivered nothing.
      let error: unknown;
      try {
        loop.threadsafeChannel(() => {});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SystemError);
      expect((error as SystemError).code).toBe('EEXIST');
      expect(native.wakerCount()).toBe(before);
    } finally {
      for (const fd of fillers) sys.close(fd);
      sys.close(w);
      loop.removeReader(r);
    }
    const received: number[] = [];
    const channel = loop.threadsafeChannel((v) => received.push(v));
    channel.post(1);
    await waitFor(() => received.length === 1);
    channel.close();
  });

  it('a throwing callback goes to the exception handler; later values are still delivered', async () => {
    const loop = res.loop();
    const errors: ExceptionContext[] = [];
    loop.setExceptionHandler((context) => errors.push(context));
    const received: number[] = [];
    const channel = loop.threadsafeChannel((value) => {
      if (value === 2) throw new Error('boom');
      received.push(value);
    });
    for (const v of [1, 2, 3]) channel.post(v);
    await waitFor(() => received.length === 2);
    expect(received).toEqual([1, 3]);
    expect(errors.map((e) => (e.exception as Error).message)).toEqual(['boom']);
    channel.close();
  });

  it('close() and loop.close(): posts return false, the waker is released, nothing more is delivered', async () => {
    const before = native.wakerCount();
    const loop = res.loop();
    const received: number[] = [];
    const a = loop.threadsafeChannel((v) => received.push(v));
    const b = loop.threadsafeChannel((v) => received.push(v));
    expect(native.wakerCount()).toBe(before + 2);
    const senderA = ThreadsafeSender.fromHandle(a.handle);
    a.close();
    a.close();
    expect(a.closed).toBe(true);
    expect(senderA.closed).toBe(true);
    expect(senderA.post(1)).toBe(false);
    b.post(2); // queued, then discarded by the close below
    loop.close();
    expect(b.closed).toBe(true);
    expect(ThreadsafeSender.fromHandle(b.handle).post(3)).toBe(false);
    expect(native.wakerCount()).toBe(before);
    expect(() => loop.threadsafeChannel(() => {})).toThrow(ClosedError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual([]);
  });

  it('a worker exiting with a channel on its own loop releases the waker; posting to it returns false', async () => {
    const before = native.wakerCount();
    const worker = runWorker(`
      const loop = io.getEventLoop();
      const channel = loop.threadsafeChannel(() => {});
      parentPort.postMessage(channel.handle);
      process.exit(0);
    `);
    const exited = once(worker, 'exit');
    const [handle] = await once(worker, 'message');
    await exited;
    expect(native.wakerCount()).toBe(before);
    const sender = ThreadsafeSender.fromHandle(handle);
    // The ring survives (shared memory), the waker does not: the post that has to wake
    // it finds it gone, and the channel reports itself closed.
    expect(sender.post(1)).toBe(false);
    expect(sender.closed).toBe(true);
    expect(sender.post(2)).toBe(false);
  });

  it('a worker exiting with a wake-up still pending: a sender finding the ring full learns it is closed', async () => {
    // The loop thread exits before it drains: the wake-pending flag stays set, so no
    // later post wakes (and so no post noticed the dead waker). A sender retrying a
    // full ring got false forever with closed === false.
    const worker = runWorker(`
      const loop = io.getEventLoop();
      const channel = loop.threadsafeChannel(() => {}, { capacity: 4 });
      channel.post(0); // wakes the loop, which never gets to drain it
      parentPort.postMessage(channel.handle);
      process.exit(0);
    `);
    const exited = once(worker, 'exit');
    const [handle] = await once(worker, 'message');
    await exited;
    const sender = ThreadsafeSender.fromHandle(handle);
    expect([1, 2, 3].map((v) => sender.post(v))).toEqual([true, true, true]);
    expect(sender.post(4)).toBe(false); // full
    expect(sender.closed).toBe(true);
  });

  it('an open channel keeps the process alive; closing it (or loop.unref()) lets it exit', async () => {
    const closed = await runScript(`
      const loop = io.getEventLoop();
      const channel = loop.threadsafeChannel((v) => { console.log('got', v); channel.close(); });
      channel.post(7);
    `);
    expect([closed.status, closed.stdout.trim()]).toEqual([0, 'got 7']);
    const unrefed = await runScript(`
      const loop = io.getEventLoop();
      loop.threadsafeChannel(() => {});
      loop.unref();
    `);
    expect(unrefed.status).toBe(0);
    const open = await runScript(
      `
      const loop = io.getEventLoop();
      loop.threadsafeChannel(() => {});
      setTimeout(() => { console.log('still alive'); process.exit(3); }, 300).unref();
    `,
    );
    expect([open.status, open.stdout.trim()]).toEqual([3, 'still alive']);
  });

  it('rejects bad arguments before creating anything', () => {
    const before = native.wakerCount();
    const loop = res.loop();
    expect(() => loop.threadsafeChannel(42 as never)).toThrow(InvalidArgumentError);
    for (const capacity of [0, -1, 1.5, 2 ** 21, '8', NaN]) {
      expect(() => loop.threadsafeChannel(() => {}, { capacity: capacity as never })).toThrow(InvalidArgumentError);
    }
    expect(native.wakerCount()).toBe(before);
    expect(loop.registeredFds).toBe(0);
    const channel = loop.threadsafeChannel(() => {});
    expect(() => channel.post('1' as never)).toThrow(InvalidArgumentError);
    for (const handle of [null, {}, { buffer: new ArrayBuffer(64), waker: 1 }, { buffer: new SharedArrayBuffer(8), waker: 1 }, { buffer: channel.handle.buffer, waker: 0 }]) {
      expect(() => ThreadsafeSender.fromHandle(handle as never)).toThrow(InvalidArgumentError);
    }
    channel.close();
  });

  it('a handle is read once and validated: flipping getters, Proxies and forged headers are refused', () => {
    const loop = res.loop();
    const channel = loop.threadsafeChannel(() => {}, { capacity: 8 });
    const { buffer, waker } = channel.handle;
    // Valid on the first read, a tiny buffer on later ones: a RangeError came from a
    // later read, past the checks. Now the value checked is the value used.
    let reads = 0;
    const flipping = { get buffer() { return reads++ === 0 ? buffer : new SharedArrayBuffer(8); }, waker };
    const sender = ThreadsafeSender.fromHandle(flipping as never);
    expect(reads).toBe(1);
    expect(sender.post(1)).toBe(true);
    const forged = (capacity: number, bytes: number): SharedArrayBuffer => {
      const sab = new SharedArrayBuffer(bytes);
      new Int32Array(sab)[1] = capacity;
      return sab;
    };
    const lying = new SharedArrayBuffer(8);
    Object.defineProperty(lying, 'byteLength', { value: buffer.byteLength });
    for (const handle of [
      { buffer: new Proxy(buffer, {}), waker },
      { buffer: forged(1, 4096), waker }, // one slot: the ring would overwrite values
      { buffer: forged(2 ** 21, 4096), waker },
      { buffer: forged(64, 512), waker }, // header says more slots than the buffer holds
      { buffer: lying, waker },
    ]) {
      expect(() => ThreadsafeSender.fromHandle(handle as never)).toThrow(InvalidArgumentError);
      expect(() => new ThreadsafeSender(handle as never)).toThrow(InvalidArgumentError);
    }
    channel.close();
  });
});
