// selector.waker(): a blocked select() woken from other threads, on every backend.
import { once } from 'node:events';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ClosedError, EVENT_READ, InvalidArgumentError, InvalidStateError, SystemError, Waker } from '../lib/index.js';
import { native } from '../lib/native.js';
import * as sys from '../lib/sys.js';
import { backends, fillBelow, useResources } from './helpers.js';

// Workers load the compiled package (dist/, built by `npm test`'s pretest step).
const entry = path.resolve(__dirname, '..', 'dist', 'index.js');
const sysEntry = path.resolve(__dirname, '..', 'dist', 'sys.js');

function runWorker(body: string, workerData?: unknown): Worker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const io = require(${JSON.stringify(entry)});
    const sys = require(${JSON.stringify(sysEntry)});
    ${body}
  `;
  return new Worker(source, { eval: true, workerData });
}

describe.each(backends)('%s waker', (backend) => {
  const res = useResources();

  it('a worker wakes this thread blocked in select() without a timeout, with the waker key ready', async () => {
    const sel = res.selector<string>(backend);
    const waker = sel.waker('woken');
    // A fallback so a broken waker fails the test instead of hanging it: the worker
    // writes to this pair if select() has not returned 10 s after it woke it.
    const [a, b] = res.socketpair();
    sel.register(a, EVENT_READ, 'fallback');
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const worker = runWorker(
      `
      const { flags, handle, fallback } = workerData;
      Atomics.wait(flags, 0, 0);              // until the main thread is about to select
      const delivered = io.Waker.fromHandle(handle).wake();
      if (Atomics.wait(flags, 1, 0, 10000) === 'timed-out') sys.write(fallback, Buffer.from('!'));
      parentPort.postMessage(delivered);
    `,
      { flags, handle: waker.handle, fallback: b },
    );
    // Listened for now: a worker that exits right after a message can emit both in one tick.
    const exited = once(worker, 'exit');
    const online = once(worker, 'online');
    await online;
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    const ready = sel.select(); // no timeout: blocks until something is ready
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    const [delivered] = await once(worker, 'message');
    await exited;
    expect(delivered).toBe(true);
    expect(ready).toHaveLength(1);
    const [key, events] = ready[0]!;
    expect(events).toBe(EVENT_READ);
    expect(key.fileobj).toBe(waker);
    expect(key.fd).toBe(-1);
    expect(key.data).toBe('woken');
    // Reset by the select that reported it.
    expect(sel.select(0)).toEqual([]);
  });

  it('many wakes before a select are reported once, then reset', () => {
    const sel = res.selector(backend);
    const waker = sel.waker();
    for (let i = 0; i < 10_000; i++) expect(waker.wake()).toBe(true);
    expect(sel.select(0).map(([key]) => key.fileobj)).toEqual([waker]);
    expect(sel.select(0)).toEqual([]);
    expect(Waker.fromHandle(waker.handle).wake()).toBe(true);
    expect(sel.select(0)).toHaveLength(1);
  });

  it('three workers waking at once while this thread selects: every wake succeeds, reports coalesce', async () => {
    const sel = res.selector(backend);
    const waker = sel.waker();
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const workers = Array.from({ length: 3 }, () =>
      runWorker(
        `
        const waker = io.Waker.fromHandle(workerData.handle);
        let ok = 0, count = 0;
        parentPort.postMessage('started');
        while (Atomics.load(workerData.stop, 0) === 0 || count < 1000) { if (waker.wake()) ok++; count++; }
        parentPort.postMessage({ ok, count });
      `,
        { handle: waker.handle, stop },
      ),
    );
    const exits = workers.map((w) => once(w, 'exit'));
    await Promise.all(workers.map((w) => once(w, 'message')));
    let reports = 0;
    for (let i = 0; i < 100; i++) {
      const ready = sel.select(5000);
      expect(ready.map(([key]) => key.fileobj)).toEqual([waker]);
      reports++;
    }
    Atomics.store(stop, 0, 1);
    const results = (await Promise.all(workers.map((w) => once(w, 'message')))).map(([r]) => r as { ok: number; count: number });
    await Promise.all(exits);
    expect(reports).toBe(100);
    for (const { ok, count } of results) expect(ok).toBe(count);
  });

  it('wake after close returns false and never throws; the registry forgets the waker', () => {
    const before = native.wakerCount();
    const sel = res.selector(backend);
    const waker = sel.waker();
    expect(native.wakerCount()).toBe(before + 1);
    sel.close();
    expect(native.wakerCount()).toBe(before);
    expect(waker.wake()).toBe(false);
    expect(Waker.fromHandle(waker.handle).wake()).toBe(false);
  });

  it('a worker that exits with its selector open: waking it from here returns false', async () => {
    const before = native.wakerCount();
    const worker = runWorker(`
      const sel = new (${JSON.stringify(backend)} === 'epoll' ? io.EpollSelector : ${JSON.stringify(backend)} === 'poll' ? io.PollSelector : ${JSON.stringify(backend)} === 'select' ? io.SelectSelector : io.KqueueSelector)();
      const waker = sel.waker();
      parentPort.postMessage(waker.handle);
      // exits without closing the selector
    `);
    const exited = once(worker, 'exit');
    const [handle] = (await once(worker, 'message')) as [number];
    expect(await exited).toEqual([0]);
    expect(native.wakerCount()).toBe(before);
    expect(Waker.fromHandle(handle).wake()).toBe(false);
  });

  it('the waker key is in getKey/getMap, cannot be unregistered or modified, one per selector', () => {
    const sel = res.selector<string>(backend);
    const waker = sel.waker('w');
    expect(sel.getKey(waker).data).toBe('w');
    expect(sel.getMap()!.get(waker as never)?.fileobj).toBe(waker);
    expect([...sel.getMap()!.keys()]).toContain(-1);
    // Every key the mapping lists is one it has and gets (a Mapping's contract): -1 was
    // listed by keys() but has(-1) answered false and get(-1) undefined.
    for (const fd of sel.getMap()!.keys()) {
      expect(sel.getMap()!.has(fd)).toBe(true);
      expect(sel.getMap()!.get(fd)).toBe(sel.getKey(waker));
    }
    expect(() => sel.unregister(waker)).toThrow(InvalidArgumentError);
    expect(() => sel.modify(waker as never, EVENT_READ, 'x')).toThrow(InvalidArgumentError);
    expect(() => sel.waker('again')).toThrow(InvalidStateError);
    expect(sel.getKey(waker).data).toBe('w');
    sel.close();
    expect(() => sel.waker('closed')).toThrow(ClosedError);
  });
});

describe.each(backends.filter((b) => b !== 'kqueue'))('%s waker fd', (backend) => {
  const res = useResources();

  it('landing on the number of an fd closed while registered: SystemError EEXIST, not "has a waker already"', () => {
    const sel = res.selector(backend);
    const [r, w] = sys.pipe();
    sel.register(r, EVENT_READ);
    sys.close(r); // behind the selector's back: the registration under r is stale
    // Fill every free number below r, so the waker's fd is the lowest free one: r.
    const fillers = fillBelow(r, w);
    try {
      let error: unknown;
      try {
        sel.waker();
      } catch (e) {
        error = e;
      }
      // Was InvalidArgumentError "this selector has a waker already" from a selector with none.
      expect(error).toBeInstanceOf(SystemError);
      expect((error as SystemError).code).toBe('EEXIST');
      expect(sel.getMap()!.size).toBe(1);
    } finally {
      for (const fd of fillers) sys.close(fd);
      sys.close(w);
      sel.unregister(r);
    }
    // With the stale registration gone, the selector gets its waker.
    expect(sel.waker().wake()).toBe(true);
  });
});

describe('Waker.fromHandle', () => {
  it.each([0, -1, 1.5, NaN, '1', null, undefined, 2 ** 53])('rejects %p with InvalidArgumentError', (handle) => {
    expect(() => Waker.fromHandle(handle as number)).toThrow(InvalidArgumentError);
  });

  it('a handle never handed out wakes nothing', () => {
    expect(Waker.fromHandle(2 ** 52).wake()).toBe(false);
  });
});
