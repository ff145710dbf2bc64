// EventLoop readers and writers: replacement, level triggering, removal during a batch,
// kernel refusals, Promise continuations between batches, the exception policy.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLoop, type ExceptionContext, SystemError } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { useResources, waitFor } from './helpers.js';

describe('EventLoop readers and writers', () => {
  const res = useResources();
  const newLoop = (): EventLoop => res.loop();

  it('a reader is called with its fd, again while the fd stays readable', async () => {
    const loop = newLoop();
    const [a, b] = res.socketpair();
    const seen: number[] = [];
    loop.addReader(a, (fd) => seen.push(fd));
    sys.write(b, Buffer.from('x'));
    await waitFor(() => seen.length >= 3);
    expect(new Set(seen)).toEqual(new Set([a]));
    expect(loop.removeReader(a)).toBe(true);
    expect(loop.removeReader(a)).toBe(false);
    expect(loop.registeredFds).toBe(0);
  });

  it('a second addReader replaces the first; reader and writer share one registration', async () => {
    const loop = newLoop();
    const [a, b] = res.socketpair();
    const calls: string[] = [];
    loop.addReader(a, () => calls.push('first'));
    loop.addReader(a, (fd) => {
      calls.push('second');
      sys.read(fd, Buffer.alloc(16));
    });
    loop.addWriter(a, () => {
      calls.push('writer');
      loop.removeWriter(a);
    });
    expect(loop.registeredFds).toBe(1);
    sys.write(b, Buffer.from('x'));
    await waitFor(() => calls.includes('second') && calls.includes('writer'));
    expect(calls).not.toContain('first');
    expect(loop.registeredFds).toBe(1);
    expect(loop.removeWriter(a)).toBe(false);
    expect(loop.removeReader(a)).toBe(true);
    expect(loop.registeredFds).toBe(0);
  });

  it('a reader removed during a batch is not called later in that batch', async () => {
    const loop = newLoop();
    const [a1, b1] = res.socketpair();
    const [a2, b2] = res.socketpair();
    const calls: number[] = [];
    // Whichever runs first removes the other; both are ready in the same batch.
    loop.addReader(a1, (fd) => {
      calls.push(fd);
      loop.removeReader(a2);
      loop.removeReader(a1);
    });
    loop.addReader(a2, (fd) => {
      calls.push(fd);
      loop.removeReader(a1);
      loop.removeReader(a2);
    });
    sys.write(b1, Buffer.from('x'));
    sys.write(b2, Buffer.from('x'));
    await new Promise<void>((resolve) => loop.callLater(50, resolve));
    expect(calls).toHaveLength(1);
  });

  it('a writer removed by the reader of the same fd in the same batch is not called', async () => {
    const loop = newLoop();
    const [a, b] = res.socketpair();
    const calls: string[] = [];
    loop.addWriter(a, () => calls.push('writer'));
    loop.addReader(a, () => {
      calls.push('reader');
      loop.removeWriter(a);
      loop.removeReader(a);
    });
    sys.write(b, Buffer.from('x'));
    await new Promise<void>((resolve) => loop.callLater(50, resolve));
    // Both directions were ready in the first batch; the reader runs first.
    expect(calls).toEqual(['reader']);
  });

  it('a reader added during a batch waits for the next batch', async () => {
    const loop = newLoop();
    const [a1, b1] = res.socketpair();
    const [a2, b2] = res.socketpair();
    const scratch = Buffer.alloc(16);
    let first = true;
    let batchEnded = false;
    const seen: boolean[] = [];
    // Both fds are ready in the same batch. Whichever reader runs first replaces the
    // other's reader; the replacement must not run until a later batch (after the
    // microtask checkpoint that ends this one).
    const replaceOther = (self: number, other: number) => (fd: number) => {
      sys.read(fd, scratch);
      if (!first) return;
      first = false;
      queueMicrotask(() => (batchEnded = true));
      loop.removeReader(self);
      loop.addReader(other, (fd2) => {
        seen.push(batchEnded);
        sys.read(fd2, scratch);
        loop.removeReader(other);
      });
    };
    loop.addReader(a1, replaceOther(a1, a2));
    loop.addReader(a2, replaceOther(a2, a1));
    sys.write(b1, Buffer.from('x'));
    sys.write(b2, Buffer.from('x'));
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual([true]);
  });

  it('Promise continuations run before the next batch', async () => {
    const loop = newLoop();
    const [a, b] = res.socketpair();
    const order: string[] = [];
    let n = 0;
    loop.addReader(a, (fd) => {
      sys.read(fd, Buffer.alloc(1));
      const i = n++;
      order.push(`cb${i}`);
      void Promise.resolve().then(() => order.push(`then${i}`));
      if (i < 2) sys.write(b, Buffer.from('x'));
      else loop.removeReader(a);
    });
    sys.write(b, Buffer.from('x'));
    await waitFor(() => order.length === 6);
    expect(order).toEqual(['cb0', 'then0', 'cb1', 'then1', 'cb2', 'then2']);
  });

  it('a thrown error goes to the exception handler and the rest of the batch still runs', async () => {
    const loop = newLoop();
    const [a1, b1] = res.socketpair();
    const [a2, b2] = res.socketpair();
    const contexts: ExceptionContext[] = [];
    loop.setExceptionHandler((context, l) => {
      expect(l).toBe(loop);
      contexts.push(context);
    });
    expect(loop.getExceptionHandler()).not.toBeNull();
    const ran: number[] = [];
    const boom = (fd: number): void => {
      ran.push(fd);
      loop.removeReader(fd);
      throw new Error(`boom ${fd}`);
    };
    loop.addReader(a1, boom);
    loop.addReader(a2, boom);
    sys.write(b1, Buffer.from('x'));
    sys.write(b2, Buffer.from('x'));
    const handle = loop.callSoon(() => {
      throw new TypeError('soon');
    });
    await waitFor(() => contexts.length === 3);
    expect(ran.sort()).toEqual([a1, a2].sort());
    const io = contexts.filter((c) => c.fd !== undefined);
    expect(io.map((c) => (c.exception as Error).message).sort()).toEqual([`boom ${a1}`, `boom ${a2}`].sort());
    expect(io[0]!.message).toMatch(/reader callback for fd \d+/);
    const soon = contexts.find((c) => c.handle !== undefined)!;
    expect(soon.handle).toBe(handle);
    expect(soon.exception).toBeInstanceOf(TypeError);
    loop.setExceptionHandler(null);
    expect(loop.getExceptionHandler()).toBeNull();
  });

  it('refuses a regular file (EPERM, epoll) and a closed fd (EBADF), leaving nothing registered', () => {
    const loop = newLoop();
    // epoll_ctl(2) refuses regular files with EPERM; kqueue accepts them (always ready).
    if (loop.backend === 'epoll') {
      const dir = mkdtempSync(path.join(tmpdir(), 'ioreactor-'));
      const fd = openSync(path.join(dir, 'f'), 'w');
      try {
        expect(() => loop.addReader(fd, () => undefined)).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'epoll_ctl' }));
        expect(loop.registeredFds).toBe(0);
      } finally {
        closeSync(fd);
        rmSync(dir, { recursive: true });
      }
    }
    const [a] = res.socketpair();
    res.close(a);
    expect(() => loop.addWriter(a, () => undefined)).toThrow(SystemError);
    expect(loop.registeredFds).toBe(0);
    // Numbers far past any open fd (the fd table keeps those outside its array) and the
    // largest valid fd: refused by the kernel, nothing left behind, the loop still works.
    for (const far of [2_000_000, 0x7fffffff]) {
      expect(() => loop.addReader(far, () => undefined)).toThrow(expect.objectContaining({ code: 'EBADF' }));
      expect(loop.removeReader(far)).toBe(false);
    }
    expect(loop.registeredFds).toBe(0);
    const [b, c] = res.socketpair();
    loop.addReader(b, () => undefined);
    expect(loop.registeredFds).toBe(1);
    expect(loop.removeReader(b)).toBe(true);
    expect(loop.registeredFds).toBe(0);
    void c;
  });

  it('removing the reader of an fd closed behind its back does not throw', () => {
    const loop = newLoop();
    const [a] = res.socketpair();
    loop.addReader(a, () => undefined);
    loop.addWriter(a, () => undefined);
    res.close(a);
    expect(loop.removeReader(a)).toBe(true);
    expect(loop.removeWriter(a)).toBe(false);
    expect(loop.registeredFds).toBe(0);
  });

  it('close() from inside a callback drops the rest of the batch', async () => {
    const loop = newLoop();
    const [a1, b1] = res.socketpair();
    const [a2, b2] = res.socketpair();
    const calls: number[] = [];
    const cb = (fd: number): void => {
      calls.push(fd);
      loop.close();
    };
    loop.addReader(a1, cb);
    loop.addReader(a2, cb);
    sys.write(b1, Buffer.from('x'));
    sys.write(b2, Buffer.from('x'));
    // Both fds are ready in one batch: once the first callback ran, the batch is over.
    await waitFor(() => calls.length > 0, { what: 'a reader callback' });
    await new Promise((r) => setImmediate(r)); // one more turn: a closed loop dispatches nothing
    expect(calls).toHaveLength(1);
    expect(loop.closed).toBe(true);
  });

  it('works beside node:net and Node timers in the same process', async () => {
    const loop = newLoop();
    const server = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const [a, b] = res.socketpair();
    let ioreactorReads = 0;
    loop.addReader(a, (fd) => {
      sys.read(fd, Buffer.alloc(64));
      ioreactorReads++;
      sys.write(b, Buffer.from('again'));
    });
    sys.write(b, Buffer.from('go'));
    let timerFired = false;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        timerFired = true;
        resolve();
      }, 20),
    );
    const client = netConnect(port, '127.0.0.1');
    const echoed = await new Promise<string>((resolve) => {
      client.once('data', (d) => resolve(d.toString()));
      client.write('ping');
    });
    await timer;
    await waitFor(() => ioreactorReads > 10, { what: 'more than 10 ioreactor reads' });
    loop.removeReader(a);
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(echoed).toBe('ping');
    expect(timerFired).toBe(true);
    expect(ioreactorReads).toBeGreaterThan(10);
  });
});
