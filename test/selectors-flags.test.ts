// Opt-in registration flags: edge-triggered, one-shot and EPOLLEXCLUSIVE, per backend.
import { once } from 'node:events';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EVENT_READ, EVENT_WRITE, InvalidArgumentError, type BaseSelector, Waker } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { backends, useResources } from './helpers.js';

const hasEdge = (backend: string) => backend === 'epoll' || backend === 'kqueue';

function snapshot(sel: BaseSelector<unknown>) {
  return [...sel.getMap()!.values()].map((k) => ({ fd: k.fd, events: k.events, data: k.data, edge: k.edge, oneshot: k.oneshot, armed: k.armed }));
}

describe.each(backends)('%s registration flags', (backend) => {
  const res = useResources();

  it.runIf(hasEdge(backend))('edge: reported once per arrival of data, not while it stays unread', () => {
    const sel = res.selector(backend);
    const [a, b] = res.socketpair();
    const key = sel.register(a, EVENT_READ, 'e', { edge: true });
    expect(key.edge).toBe(true);
    expect(key.oneshot).toBe(false);
    sys.write(b, Buffer.from('x'));
    expect(sel.select(0)).toHaveLength(1);
    // Still unread, but no new arrival: nothing.
    expect(sel.select(0)).toEqual([]);
    expect(sel.select(0)).toEqual([]);
    sys.write(b, Buffer.from('y'));
    expect(sel.select(0).map(([k, ev]) => [k.data, ev])).toEqual([['e', EVENT_READ]]);
    expect(sel.select(0)).toEqual([]);
  });

  it('level-triggered stays the default: unread data is reported on every select', () => {
    const sel = res.selector(backend);
    const [a, b] = res.socketpair();
    const key = sel.register(a, EVENT_READ);
    expect([key.edge, key.oneshot, key.exclusive, key.armed]).toEqual([false, false, false, true]);
    sys.write(b, Buffer.from('x'));
    for (let i = 0; i < 3; i++) expect(sel.select(0)).toHaveLength(1);
  });

  it.runIf(hasEdge(backend))('oneshot: reported once, stays registered but disarmed until modify re-arms it', () => {
    const sel = res.selector<string>(backend);
    const [a, b] = res.socketpair();
    sel.register(a, EVENT_READ | EVENT_WRITE, 'o', { oneshot: true });
    sys.write(b, Buffer.from('x'));
    const first = sel.select(0);
    expect(first).toHaveLength(1);
    const [fired] = first[0]!;
    expect(fired.armed).toBe(false);
    expect(fired.oneshot).toBe(true);
    expect(sel.getKey(a)).toBe(fired);
    expect(sel.getMap()!.get(a)).toBe(fired);
    // Readable and writable still, but disarmed: nothing, in either direction.
    expect(sel.select(0)).toEqual([]);
    expect(sel.select(10)).toEqual([]);
    // modify with the same events and data re-arms it (and keeps the flags).
    const rearmed = sel.modify(a, EVENT_READ, 'o');
    expect([rearmed.armed, rearmed.oneshot]).toEqual([true, true]);
    expect(sel.select(0).map(([k, ev]) => [k.data, ev, k.armed])).toEqual([['o', EVENT_READ, false]]);
    expect(sel.select(0)).toEqual([]);
    // Explicit options replace the flags: level-triggered from now on.
    const level = sel.modify(a, EVENT_READ, 'l', {});
    expect([level.oneshot, level.edge, level.armed]).toEqual([false, false, true]);
    expect(sel.select(0)).toHaveLength(1);
    expect(sel.select(0)).toHaveLength(1);
  });

  it.runIf(backend === 'epoll')('exclusive: accepted on epoll for register; modify refuses it and keeps the key', () => {
    const sel = res.selector(backend);
    const [a, b] = res.socketpair();
    const key = sel.register(a, EVENT_READ, 'x', { exclusive: true });
    expect(key.exclusive).toBe(true);
    sys.write(b, Buffer.from('x'));
    expect(sel.select(0)).toHaveLength(1);
    expect(() => sel.modify(a, EVENT_READ, 'y')).toThrow(/EPOLLEXCLUSIVE.*unregister and register again/);
    expect(() => sel.modify(a, EVENT_READ, 'y', { exclusive: false })).toThrow(InvalidArgumentError);
    expect(sel.getKey(a)).toBe(key);
    expect(sel.select(0)).toHaveLength(1);
    const [c, d] = res.socketpair();
    sel.register(c, EVENT_READ);
    expect(() => sel.modify(c, EVENT_READ, undefined, { exclusive: true })).toThrow(InvalidArgumentError);
    expect(sel.getKey(c).exclusive).toBe(false);
    sys.write(d, Buffer.from('x'));
    expect(sel.select(0)).toHaveLength(2);
    expect(() => sel.register(b, EVENT_READ, undefined, { exclusive: true, oneshot: true })).toThrow(InvalidArgumentError);
  });

  it('flags this backend lacks throw InvalidArgumentError and register nothing', () => {
    const sel = res.selector(backend);
    const [a] = res.socketpair();
    const lacking = [
      ...(hasEdge(backend) ? [] : [{ edge: true }, { oneshot: true }]),
      ...(backend === 'epoll' ? [] : [{ exclusive: true }]),
    ];
    for (const options of lacking) {
      expect(() => sel.register(a, EVENT_READ, undefined, options)).toThrow(InvalidArgumentError);
      expect(sel.getMap()!.size).toBe(0);
    }
    sel.register(a, EVENT_READ, 'kept');
    for (const options of lacking) {
      expect(() => sel.modify(a, EVENT_WRITE, 'changed', options)).toThrow(InvalidArgumentError);
    }
    expect(snapshot(sel)).toEqual([{ fd: a, events: EVENT_READ, data: 'kept', edge: false, oneshot: false, armed: true }]);
  });

  it.each([
    ['a string', 'edge'],
    ['null', null],
    ['an array', []],
    ['an unknown key', { oneShot: true }],
    ['a non-boolean value', { edge: 1 }],
    ['a non-boolean value (string)', { oneshot: 'yes' }],
  ])('bad options (%s) are refused before any state changes', (_name, options) => {
    const sel = res.selector(backend);
    const [a] = res.socketpair();
    expect(() => sel.register(a, EVENT_READ, undefined, options as never)).toThrow(InvalidArgumentError);
    expect(sel.getMap()!.size).toBe(0);
    sel.register(a, EVENT_READ, 'kept');
    expect(() => sel.modify(a, EVENT_WRITE, 'changed', options as never)).toThrow(InvalidArgumentError);
    expect(snapshot(sel)).toEqual([{ fd: a, events: EVENT_READ, data: 'kept', edge: false, oneshot: false, armed: true }]);
    // The kernel registration is intact too: unregister succeeds and leaves nothing.
    sel.unregister(a);
    expect(sel.getMap()!.size).toBe(0);
  });

  it('false and undefined options mean level-triggered', () => {
    const sel = res.selector(backend);
    const [a, b] = res.socketpair();
    const key = sel.register(a, EVENT_READ, undefined, { edge: false, oneshot: undefined, exclusive: false });
    expect([key.edge, key.oneshot, key.exclusive]).toEqual([false, false, false]);
    sys.write(b, Buffer.from('x'));
    expect(sel.select(0)).toHaveLength(1);
    expect(sel.select(0)).toHaveLength(1);
  });
});

describe.runIf(backends.includes('epoll'))('EPOLLEXCLUSIVE across threads', () => {
  const res = useResources();
  const entry = path.resolve(__dirname, '..', 'dist', 'index.js');
  const sysEntry = path.resolve(__dirname, '..', 'dist', 'sys.js');

  it('two workers block on one listening socket registered exclusive; its connection is accepted once', async () => {
    const listener = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_STREAM));
    sys.bind(listener, { family: 'IPv4', address: '127.0.0.1', port: 0 });
    sys.listen(listener);
    const workers = [0, 1].map(
      () =>
        new Worker(
          `
          const { parentPort, workerData } = require('node:worker_threads');
          const io = require(${JSON.stringify(entry)});
          const sys = require(${JSON.stringify(sysEntry)});
          const sel = new io.EpollSelector();
          sel.register(workerData, io.EVENT_READ, 'listener', { exclusive: true });
          const waker = sel.waker('stop');
          parentPort.postMessage(waker.handle);
          for (let stop = false; !stop; ) {
            for (const [key] of sel.select()) {
              if (key.data === 'stop') stop = true;
              const r = key.data === 'listener' ? sys.accept(workerData) : -1;
              if (Array.isArray(r)) { sys.close(r[0]); parentPort.postMessage('accepted'); }
            }
          }
          sel.close();
        `,
          { eval: true, workerData: listener },
        ),
    );
    const exits = workers.map((w) => once(w, 'exit'));
    const handles = (await Promise.all(workers.map((w) => once(w, 'message')))).map(([h]) => h as number);
    let accepted = 0;
    const firstAccept = new Promise<void>((resolve) => {
      for (const w of workers) {
        w.on('message', (m) => {
          if (m === 'accepted') accepted++;
          resolve();
        });
      }
    });
    const client = res.adopt(sys.socket(sys.AF_INET, sys.SOCK_STREAM));
    sys.connect(client, sys.getsockname(listener));
    await firstAccept;
    for (const handle of handles) expect(Waker.fromHandle(handle).wake()).toBe(true);
    await Promise.all(exits);
    expect(accepted).toBe(1);
  });
});
