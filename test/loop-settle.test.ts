// Everything pending settles: closing a loop settles sleeps, timeouts and waits; closing
// a socket ends an operation that was not waiting on readiness (a DNS lookup); an fd
// number closed and reused never makes cleanup throw; one owner per fd and direction.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BusyResourceError,
  ClosedError,
  getEventLoop,
  Socket,
  sleep,
  SystemError,
  timeout,
  TimeoutError,
} from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { runScript, useResources, waitFor } from './helpers.js';

getEventLoop();

/** Opens a regular file on the lowest free fd number (the one just closed, if any). */
function openRegularFile(dir: string): number {
  return openSync(path.join(dir, `f-${Math.random()}`), 'w+');
}

describe('closing a loop settles everything pending on it', () => {
  const res = useResources();

  it('sleep(), timeout() and fd waits reject with "the event loop was closed"', async () => {
    const loop = getEventLoop();
    const [a, b] = res.socketpair();
    const slept = sleep(60_000);
    const timed = timeout(60_000, () => new Promise(() => {}));
    const waited = loop.waitReadable(a);
    const recv = loop.sockRecv(b, 10);
    loop.close();
    for (const outcome of await Promise.allSettled([slept, timed, waited, recv])) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(ClosedError);
      expect(reason.message).toBe('the event loop was closed');
    }
    expect(getEventLoop().closed).toBe(false); // a fresh default loop
  });

  it('a timeout whose function ignores its signal still rejects at the deadline', async () => {
    let late = false;
    let lateTimer: NodeJS.Timeout | undefined;
    const ignoring = (): Promise<string> =>
      new Promise((resolve) => {
        lateTimer = setTimeout(() => {
          late = true;
          resolve('too late');
        }, 10_000);
      });
    const start = performance.now();
    try {
      await expect(timeout(20, ignoring)).rejects.toThrow(TimeoutError);
      // Far below the function's own 10 s: the deadline, not the function, ended the wait.
      expect(performance.now() - start).toBeLessThan(5000);
      expect(late).toBe(false);
    } finally {
      clearTimeout(lateTimer);
    }
  });

  it('closing a socket during its DNS lookup rejects the connect and never touches the reused number', async () => {
    const loop = res.loop();
    const server = new Socket({ loop });
    server.bind({ address: '127.0.0.1', port: 0 });
    server.listen();
    const port = (server.localAddress as sys.InetAddress).port;
    const client = new Socket({ loop });
    const fd = client.fileno();
    // Its outcome is taken at once: close() rejects it now, and the check below may come
    // a macrotask later (an unobserved rejection meanwhile would be reported).
    const outcome = client.connect({ host: 'localhost', port }).then(
      () => null,
      (error: unknown) => error,
    );
    client.close();
    // The number is handed out again at once, while the lookup still runs; the finished
    // lookup must not connect it. That lookup runs on libuv's thread pool and may hold
    // the lowest free number itself for a moment (reading /etc/hosts): then try again.
    let other = new Socket({ loop });
    try {
      await waitFor(
        () => {
          if (other.fileno() === fd) return true;
          other.close();
          other = new Socket({ loop });
          return other.fileno() === fd;
        },
        { what: `fd ${fd} free again` },
      );
      expect(await outcome).toBeInstanceOf(ClosedError);
      await lookup('localhost');
      // A window for the bug this guards against (the lookup finishing and connecting the
      // reused number); there is no event for "did not happen", so this one sleep stays.
      await sleep(20);
      expect(() => other.remoteAddress).toThrow(/ENOTCONN/);
    } finally {
      other.close();
      server.close();
    }
  });

  it('closing a listening socket during its EMFILE back-off rejects the accept; so does closing the loop', async () => {
    const result = await runScript(`
      (async () => {
        const loop = io.getEventLoop();
        const server = new io.Socket();
        server.bind({ address: '127.0.0.1', port: 0 });
        server.listen();
        const port = server.localAddress.port;
        const client = sys.socket(sys.AF_INET, sys.SOCK_STREAM);
        sys.connect(client, { family: 'IPv4', address: '127.0.0.1', port });
        const { soft } = sys.getrlimitNofile();
        sys.setrlimitNofile(64);
        const fillers = [];
        try { for (;;) fillers.push(sys.dup(0)); } catch {}
        const outcome = (p) => p.then(() => 'accepted', (e) => e.code + ': ' + e.message);
        const first = outcome(server.accept());
        // accept() met EMFILE at once (the connection is in the backlog) and backs off;
        // let it retry a few times (1, 2, 4, … ms) so the close lands mid-back-off. The
        // outcome is the same whenever the close comes.
        await new Promise((r) => setTimeout(r, 50));
        const listenFd = server.fileno();
        server.close();
        // A new socket takes the listener's number; the accept must not touch it.
        for (const f of fillers.splice(0, 4)) sys.close(f);
        const reuse = new io.Socket();
        console.log('first', await first, reuse.fileno() === listenFd);
        const server2 = new io.Socket();
        server2.bind({ address: '127.0.0.1', port: 0 });
        server2.listen();
        const client2 = sys.socket(sys.AF_INET, sys.SOCK_STREAM);
        sys.connect(client2, { family: 'IPv4', address: '127.0.0.1', port: server2.localAddress.port });
        try { for (;;) fillers.push(sys.dup(0)); } catch {}
        const second = outcome(server2.accept());
        await new Promise((r) => setTimeout(r, 50)); // as above: a few back-off rounds
        loop.close();
        console.log('second', await second);
        for (const f of fillers) sys.close(f);
        sys.setrlimitNofile(soft);
      })();
    `);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/first IOR_ERR_CLOSED: fd \d+ was closed while an operation waited on it true/);
    expect(result.stdout).toContain('second IOR_ERR_CLOSED: the event loop was closed');
    expect(result.status).toBe(0);
  });
});

describe('reused fd numbers never make cleanup throw', () => {
  const res = useResources();

  it('removeReader, notifyClosing and close() work after the number was reused by a regular file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ior-reuse-'));
    try {
      const loop = res.loop();
      const [a, b] = sys.socketpair();
      res.adopt(b);
      loop.addReader(a, () => {});
      const [c, d] = res.socketpair();
      loop.addWriter(c, () => {});
      const waiting = loop.waitReadable(d);
      sys.close(a);
      const file = openRegularFile(dir);
      expect(file).toBe(a);
      try {
        expect(loop.removeReader(a)).toBe(true);
        loop.addReader(c, () => {});
        sys.close(c);
        const file2 = openRegularFile(dir);
        try {
          expect(file2).toBe(c);
          expect(() => loop.notifyClosing(c)).not.toThrow();
          expect(loop.registeredFds).toBe(1);
          expect(() => loop.close()).not.toThrow();
          expect(loop.closed).toBe(true);
          await expect(waiting).rejects.toThrow('the event loop was closed');
        } finally {
          closeSync(file2);
          res.forget(c);
        }
      } finally {
        closeSync(file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('selector.unregister() and modify() after reuse by a regular file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ior-reuse-'));
    try {
      const sel = res.selector('epoll');
      const [a, b] = sys.socketpair();
      res.adopt(b);
      sel.register(a, 1);
      sys.close(a);
      const file = openRegularFile(dir);
      try {
        expect(file).toBe(a);
        expect(() => sel.unregister(a)).not.toThrow();
        expect(sel.getMap()!.size).toBe(0);
      } finally {
        closeSync(file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('arguments are checked before anything changes', () => {
  const res = useResources();

  it.each([2 ** 32, 2 ** 32 + 1, 2 ** 53, 1.5, -1, NaN, '1', 0])('modify() with events %s leaves the registration intact', (events) => {
    const sel = res.selector('epoll');
    const [a] = res.socketpair();
    sel.register(a, 1, 'data');
    expect(() => sel.modify(a, events as number)).toThrow(expect.objectContaining({ code: 'IOR_ERR_INVALID_ARG' }));
    expect(sel.getKey(a).events).toBe(1);
    sel.unregister(a);
    expect(sel.getMap()!.size).toBe(0);
  });

  it.each([{}, null, 'x', { signal: {} }, { signal: null }, { signal: 1 }])(
    'sockRecv with options %j rejects at the call and leaves no waiter; the next bytes are not lost',
    async (options) => {
      const loop = res.loop();
      const [a, b] = res.socketpair();
      const call = loop.sockRecv(a, 10, options as { signal?: AbortSignal });
      if (options !== null && typeof options === 'object' && !('signal' in options)) {
        // {} is a valid options bag: this one really waits; finish it.
        sys.write(b, Buffer.from('x'));
        expect((await call).toString()).toBe('x');
        return;
      }
      await expect(call).rejects.toThrow(expect.objectContaining({ code: 'IOR_ERR_INVALID_ARG' }));
      expect(loop.waitingFds).toBe(0);
      sys.write(b, Buffer.from('next'));
      expect((await loop.sockRecv(a, 10)).toString()).toBe('next');
    },
  );

  it('bad options on the other operations fail cleanly at the call', async () => {
    const loop = res.loop();
    const [a] = res.socketpair();
    const bad = { signal: {} } as unknown as { signal: AbortSignal };
    for (const call of [
      () => loop.waitReadable(a, bad),
      () => loop.waitWritable(a, null as never),
      () => loop.sockSendAll(a, Buffer.from('x'), bad),
      () => loop.sockRecvInto(a, Buffer.alloc(1), bad),
      () => sleep(1, bad),
      () => timeout(1, async () => 1, bad),
    ]) {
      await expect(call()).rejects.toThrow(expect.objectContaining({ code: 'IOR_ERR_INVALID_ARG' }));
    }
    expect(loop.waitingFds).toBe(0);
    expect(loop.registeredFds).toBe(0);
  });
});

describe('one owner per fd and direction', () => {
  const res = useResources();

  it('addReader on an fd with a pending waitReadable, and the reverse, throw BusyResourceError', async () => {
    const loop = res.loop();
    const [a, b] = res.socketpair();
    const waiting = loop.waitReadable(a);
    expect(() => loop.addReader(a, () => {})).toThrow(BusyResourceError);
    loop.addWriter(a, () => loop.removeWriter(a)); // the other direction is free
    sys.write(b, Buffer.from('x'));
    await waiting;
    loop.addReader(a, () => {}); // free again once the wait is over
    await expect(loop.waitReadable(a)).rejects.toThrow(BusyResourceError);
    await expect(loop.sockRecv(a, 1)).resolves.toEqual(Buffer.from('x')); // data there: no wait needed
    expect(loop.removeReader(a)).toBe(true);
  });

  it('notifyClosing clears callbacks as well as waiters', async () => {
    const loop = res.loop();
    const [a] = res.socketpair();
    loop.addReader(a, () => {});
    const writable = loop.waitWritable(a);
    await writable;
    const readable = new Promise((resolve) => loop.addWriter(a, resolve));
    await readable;
    loop.notifyClosing(a);
    expect(loop.registeredFds).toBe(0);
    expect(loop.removeReader(a)).toBe(false);
    expect(loop.removeWriter(a)).toBe(false);
  });

  it('a kernel refusal leaves no half-registered owner behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ior-eperm-'));
    const file = openRegularFile(dir);
    try {
      const loop = res.loop();
      if (loop.backend === 'epoll') {
        await expect(loop.waitReadable(file)).rejects.toThrow(SystemError);
        expect(() => loop.addReader(file, () => {})).toThrow(SystemError);
        expect(loop.registeredFds).toBe(0);
        expect(loop.waitingFds).toBe(0);
      }
    } finally {
      closeSync(file);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('process lifetime', () => {
  it('a registration kept armed after its waiter was served does not keep the process alive', async () => {
    const result = await runScript(`
      const loop = io.getEventLoop();
      const [a, b] = sys.socketpair();
      setTimeout(() => sys.write(b, Buffer.from('hi')), 50);
      loop.sockRecv(a, 10).then((data) => console.log('got', data.toString()));
      // b stays open: nothing but the served registration remains.
    `, { timeoutMs: 5000 });
    expect(result.stdout.trim()).toBe('got hi');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
  });
});
