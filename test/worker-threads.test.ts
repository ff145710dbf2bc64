// The addon in several worker_threads at once, and workers that exit with selectors open.
import { once } from 'node:events';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DefaultSelector, EVENT_WRITE } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { openFdCount } from './helpers.js';

// Workers load the compiled package (dist/, built by `npm test`'s pretest step).
const entry = path.resolve(__dirname, '..', 'dist', 'index.js');
const sysEntry = path.resolve(__dirname, '..', 'dist', 'sys.js');

function runWorker(body: string): Worker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const io = require(${JSON.stringify(entry)});
    const sys = require(${JSON.stringify(sysEntry)});
    ${body}
  `;
  return new Worker(source, { eval: true });
}

async function exitCode(worker: Worker): Promise<number> {
  const [code] = (await once(worker, 'exit')) as [number];
  return code;
}

describe('worker threads', () => {
  it('several workers and the main thread use selectors at the same time', async () => {
    const workers = Array.from({ length: 4 }, () =>
      runWorker(`
        const sel = new io.DefaultSelector();
        const results = [];
        for (let round = 0; round < 200; round++) {
          const [a, b] = sys.socketpair();
          sel.register(a, io.EVENT_WRITE, round);
          sel.register(b, io.EVENT_READ);
          sys.write(a, Buffer.from('ping'));
          const ready = sel.select(1000).map(([k, ev]) => [k.fd === a ? 'a' : 'b', ev]).sort();
          results.push(JSON.stringify(ready));
          sel.unregister(a); sel.unregister(b);
          sys.close(a); sys.close(b);
        }
        sel.close();
        parentPort.postMessage([...new Set(results)]);
      `),
    );
    const main = new DefaultSelector();
    const [a, b] = sys.socketpair();
    try {
      main.register(a, EVENT_WRITE);
      expect(main.select(0)).toHaveLength(1);
    } finally {
      main.close();
      sys.close(a);
      sys.close(b);
    }
    const exits = workers.map(exitCode);
    const messages = await Promise.all(workers.map((w) => once(w, 'message')));
    for (const [message] of messages) expect(message).toEqual([JSON.stringify([['a', 2], ['b', 1]])]);
    expect(await Promise.all(exits)).toEqual([0, 0, 0, 0]);
  });

  it('a worker that exits with selectors open leaks no fds', async () => {
    const before = openFdCount();
    const worker = runWorker(`
      const [a, b] = sys.socketpair();
      const selectors = [];
      for (const name of io.availableBackends()) {
        const sel = new (name === 'epoll' ? io.EpollSelector : name === 'poll' ? io.PollSelector : io.SelectSelector)();
        sel.register(a, io.EVENT_WRITE);
        selectors.push(sel);
      }
      // The socket pair is the caller's to close; the selectors are left open.
      sys.close(a); sys.close(b);
      parentPort.postMessage(selectors.length);
    `);
    const exited = exitCode(worker);
    const [count] = await once(worker, 'message');
    expect(count).toBeGreaterThan(0);
    expect(await exited).toBe(0);
    expect(openFdCount()).toBe(before);
  });

  it('a worker terminated while looping on select() exits cleanly', async () => {
    const before = openFdCount();
    const worker = runWorker(`
      const sel = new io.DefaultSelector();
      const [a, b] = sys.socketpair();
      sel.register(a, io.EVENT_READ);
      parentPort.postMessage('looping');
      for (;;) sel.select(20);
    `);
    await once(worker, 'message');
    await worker.terminate();
    // The socket pair leaks by design (the worker never closed it); the selector does not.
    expect(openFdCount()).toBeLessThanOrEqual(before + 2);
  });

  it('a worker calling process.exit() with a selector open exits cleanly', async () => {
    const before = openFdCount();
    const worker = runWorker(`
      const sel = new io.DefaultSelector();
      const [a, b] = sys.socketpair();
      sel.register(a, io.EVENT_WRITE);
      sys.close(a); sys.close(b);
      process.exit(7);
    `);
    expect(await exitCode(worker)).toBe(7);
    expect(openFdCount()).toBe(before);
  });

  it('each worker has its own default EventLoop, and one exiting with it busy leaks nothing', async () => {
    const before = openFdCount();
    const workers = Array.from({ length: 3 }, () =>
      runWorker(`
        const loop = io.getEventLoop();
        const [a, b] = sys.socketpair();
        let reads = 0;
        loop.addReader(a, (fd) => {
          sys.read(fd, Buffer.alloc(8));
          if (++reads < 100) sys.write(b, Buffer.from('x'));
          else parentPort.postMessage({ reads, same: io.getEventLoop() === loop });
        });
        loop.callLater(60000, () => {});
        sys.write(b, Buffer.from('x'));
      `),
    );
    const results = await Promise.all(workers.map((w) => once(w, 'message')));
    for (const [result] of results) expect(result).toEqual({ reads: 100, same: true });
    // The loops still hold a reader and a timer: terminate them mid-flight.
    const codes = await Promise.all(workers.map((w) => w.terminate()));
    expect(codes).toEqual([1, 1, 1]);
    // Each worker's socket pair is left open by design (2 fds each); its epoll fd is not.
    expect(openFdCount()).toBeLessThanOrEqual(before + 2 * workers.length);
  });

  it('a worker whose loop is idle exits on its own, and process.exit() with a busy loop is clean', async () => {
    const before = openFdCount();
    const idle = runWorker(`
      const loop = io.getEventLoop();
      loop.callLater(20, () => parentPort.postMessage('fired'));
    `);
    const idleExit = exitCode(idle);
    expect((await once(idle, 'message'))[0]).toBe('fired');
    expect(await idleExit).toBe(0);
    const busy = runWorker(`
      const loop = io.getEventLoop();
      const [a, b] = sys.socketpair();
      loop.addReader(a, () => {});
      loop.callLater(10, () => { sys.close(a); sys.close(b); process.exit(3); });
    `);
    expect(await exitCode(busy)).toBe(3);
    expect(openFdCount()).toBe(before);
  });
});
