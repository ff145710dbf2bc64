// Every case of CPython's test_selectors.BaseSelectorTestCase, once per backend.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AlreadyRegisteredError,
  ClosedError,
  EVENT_READ,
  EVENT_WRITE,
  InvalidArgumentError,
  NotRegisteredError,
  SelectorKey,
  SystemError,
} from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { backends, elapsedMs, FakeSocket, hasTestHooks, recv, send, useResources } from './helpers.js';

describe.each(backends)('%s selector', (backend) => {
  const res = useResources();

  it('register returns a frozen key and rejects bad masks, bad fds and duplicates', () => {
    const sel = res.selector<string | undefined>(backend);
    const [rd] = res.socketpair();
    const obj = new FakeSocket(rd);
    const key = sel.register(obj, EVENT_READ, 'data');
    expect(key).toBeInstanceOf(SelectorKey);
    expect(key.fileobj).toBe(obj);
    expect(key.fd).toBe(rd);
    expect(key.events).toBe(EVENT_READ);
    expect(key.data).toBe('data');
    expect(Object.isFrozen(key)).toBe(true);
    // The mask is checked before the fd: fd 0 is fine, 999999 is not a mask.
    expect(() => sel.register(0, 999999)).toThrow(InvalidArgumentError);
    expect(() => sel.register(-10, EVENT_READ)).toThrow(InvalidArgumentError);
    expect(() => sel.register(obj, EVENT_READ)).toThrow(AlreadyRegisteredError);
    // Same fd through a different object.
    expect(() => sel.register(rd, EVENT_READ)).toThrow(AlreadyRegisteredError);
    expect(() => sel.register({ fd: rd }, EVENT_READ)).toThrow(AlreadyRegisteredError);
  });

  it('unregister removes the key and rejects unknown fds', () => {
    const sel = res.selector(backend);
    const [rd] = res.socketpair();
    const key = sel.register(rd, EVENT_READ);
    expect(sel.unregister(rd)).toBe(key);
    expect(() => sel.unregister(999999)).toThrow(NotRegisteredError);
    expect(() => sel.unregister(rd)).toThrow(NotRegisteredError);
    expect(sel.getMap()!.size).toBe(0);
  });

  it('unregister after the fds were closed does not throw', () => {
    const sel = res.selector(backend);
    const [r, w] = res.socketpair();
    sel.register(r, EVENT_READ);
    sel.register(w, EVENT_WRITE);
    res.close(r);
    res.close(w);
    expect(() => sel.unregister(r)).not.toThrow();
    expect(() => sel.unregister(w)).not.toThrow();
  });

  it('unregister after the fds were closed and their numbers reused does not throw', () => {
    const sel = res.selector(backend);
    const [r, w] = res.socketpair();
    sel.register(r, EVENT_READ);
    sel.register(w, EVENT_WRITE);
    const [rd2, wr2] = res.socketpair();
    res.close(r);
    res.close(w);
    res.adopt(sys.dup2(rd2, r));
    res.adopt(sys.dup2(wr2, w));
    expect(() => sel.unregister(r)).not.toThrow();
    expect(() => sel.unregister(w)).not.toThrow();
    // The reused numbers can be registered afresh and work.
    sel.register(w, EVENT_WRITE);
    expect(sel.select(0).map(([k]) => k.fd)).toEqual([w]);
  });

  it('a closed handle object is still found by identity', () => {
    const sel = res.selector(backend);
    const [r, w] = res.socketpair();
    const rd = new FakeSocket(r);
    const wr = new FakeSocket(w);
    sel.register(rd, EVENT_READ);
    sel.register(wr, EVENT_WRITE);
    res.close(r);
    res.close(w);
    rd.close = () => undefined;
    // fileno() now returns -1, as a closed Python socket's does.
    (rd as unknown as { fileno(): number }).fileno = () => -1;
    (wr as unknown as { fileno(): number }).fileno = () => {
      throw new Error('closed');
    };
    expect(sel.getKey(rd).fd).toBe(r);
    expect(sel.unregister(rd).fd).toBe(r);
    expect(sel.unregister(wr).fd).toBe(w);
    expect(sel.getMap()!.size).toBe(0);
    expect(() => sel.unregister(rd)).toThrow(InvalidArgumentError);
  });

  it('modify changes events, or only data without a system call', () => {
    const sel = res.selector(backend);
    const [rd] = res.socketpair();
    const key = sel.register(rd, EVENT_READ);
    const key2 = sel.modify(rd, EVENT_WRITE);
    expect(key2.events).not.toBe(key.events);
    expect(key2).toEqual(sel.getKey(rd));
    sel.unregister(rd);

    const d1 = {};
    const d2 = {};
    sel.register(rd, EVENT_READ, d1);
    const key3 = sel.modify(rd, EVENT_READ, d2);
    expect(key3.events).toBe(EVENT_READ);
    expect(key3.data).toBe(d2);
    expect(sel.getKey(rd)).toBe(key3);
    expect(() => sel.modify(999999, EVENT_READ)).toThrow(NotRegisteredError);

    // No kernel call: an injected fault on the next kernel modify is not hit. (Fault
    // injection exists only in test builds: npm run test:asan runs this part.)
    if (hasTestHooks) sel.injectFault(-5);
    const d3 = {};
    expect(sel.modify(rd, EVENT_READ, d3).data).toBe(d3);
    // Unchanged events and data: the same key comes back.
    expect(sel.modify(rd, EVENT_READ, d3)).toBe(sel.getKey(rd));
    // The fault is still pending and hits the next real kernel change.
    if (hasTestHooks) expect(() => sel.modify(rd, EVENT_WRITE)).toThrow(SystemError);
  });

  it('modify validates the mask on every backend', () => {
    const sel = res.selector(backend);
    const [rd] = res.socketpair();
    sel.register(rd, EVENT_READ);
    expect(() => sel.modify(rd, 0)).toThrow(InvalidArgumentError);
    expect(() => sel.modify(rd, 999999)).toThrow(InvalidArgumentError);
    expect(sel.getKey(rd).events).toBe(EVENT_READ);
  });

  it.runIf(hasTestHooks)('a failed kernel modify removes the registration (bpo-30014)', () => {
    const sel = res.selector(backend);
    const [rd] = res.socketpair();
    sel.register(rd, EVENT_READ);
    expect(sel.getMap()!.size).toBe(1);
    sel.injectFault(-12);
    let thrown: unknown;
    try {
      sel.modify(rd, EVENT_WRITE);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SystemError);
    expect((thrown as SystemError).code).toBe('ENOMEM');
    expect(sel.getMap()!.size).toBe(0);
    // The kernel agrees: the fd can be registered again.
    sel.register(rd, EVENT_READ);
  });

  it('close makes every method but close and getMap throw', () => {
    const sel = res.selector(backend);
    const mapping = sel.getMap()!;
    const [rd, wr] = res.socketpair();
    sel.register(rd, EVENT_READ);
    sel.register(wr, EVENT_WRITE);
    sel.close();
    expect(() => sel.getKey(rd)).toThrow(ClosedError);
    expect(() => sel.getKey(wr)).toThrow(ClosedError);
    expect(() => sel.register(rd, EVENT_READ)).toThrow(ClosedError);
    expect(() => sel.unregister(rd)).toThrow(ClosedError);
    expect(() => sel.modify(rd, EVENT_WRITE)).toThrow(ClosedError);
    expect(() => sel.select(0)).toThrow(ClosedError);
    expect(mapping.get(rd)).toBeUndefined();
    expect(mapping.get(wr)).toBeUndefined();
    expect(mapping.has(rd)).toBe(false);
    expect(mapping.size).toBe(0);
    expect(sel.getMap()).toBeNull();
    expect(sel.closed).toBe(true);
    expect(() => sel.close()).not.toThrow();
  });

  it('getKey returns the key and rejects unknown fds', () => {
    const sel = res.selector(backend);
    const [rd] = res.socketpair();
    const key = sel.register(rd, EVENT_READ, 'data');
    expect(sel.getKey(rd)).toBe(key);
    expect(() => sel.getKey(999999)).toThrow(NotRegisteredError);
  });

  it('getMap is a live read-only view', () => {
    const sel = res.selector(backend);
    const [rd] = res.socketpair();
    const keys = sel.getMap()!;
    expect(keys.size).toBe(0);
    expect([...keys]).toEqual([]);
    expect(keys.get(rd)).toBeUndefined();
    const sentinel = {};
    expect(keys.get(rd, sentinel)).toBe(sentinel);

    const key = sel.register(rd, EVENT_READ, 'data');
    expect(sel.getMap()).toBe(keys);
    expect(keys.has(rd)).toBe(true);
    expect(keys.get(rd)).toBe(key);
    expect(keys.get(new FakeSocket(rd))).toBe(key);
    expect(keys.size).toBe(1);
    expect([...keys.keys()]).toEqual([rd]);
    expect([...keys.values()]).toEqual([key]);
    expect([...keys]).toEqual([[rd, key]]);
    expect(keys.get(999999)).toBeUndefined();
    expect(keys.get({} as never)).toBeUndefined();
    expect(() => (keys as unknown as Map<number, unknown>).delete(rd)).toThrow(TypeError);
    expect(() => (keys as unknown as Map<number, unknown>).set(rd, key)).toThrow(TypeError);
    expect(() => (keys as unknown as Map<number, unknown>).clear()).toThrow(TypeError);
    expect(() => {
      (keys as unknown as { extra: number }).extra = 1;
    }).toThrow(TypeError);
    expect(keys.size).toBe(1);
  });

  it('select reports exactly the ready direction', () => {
    const sel = res.selector(backend);
    const [rd, wr] = res.socketpair();
    sel.register(rd, EVENT_READ);
    const wrKey = sel.register(wr, EVENT_WRITE);
    const result = sel.select();
    for (const [key, events] of result) {
      expect(key).toBeInstanceOf(SelectorKey);
      expect(events).not.toBe(0);
      expect(events & ~(EVENT_READ | EVENT_WRITE)).toBe(0);
    }
    expect(result).toEqual([[wrKey, EVENT_WRITE]]);
  });

  it('an fd ready both ways is reported once with both bits (gh-110038)', () => {
    const sel = res.selector(backend);
    const [sock1, sock2] = res.socketpair();
    send(sock2, 'foo');
    const myKey = sel.register(sock1, EVENT_READ | EVENT_WRITE);
    expect(sel.select()).toEqual([[myKey, EVENT_READ | EVENT_WRITE]]);
  });

  it('Symbol.dispose closes the selector (using)', () => {
    const [rd, wr] = res.socketpair();
    let outer;
    {
      using sel = res.selector(backend);
      outer = sel;
      sel.register(rd, EVENT_READ);
      sel.register(wr, EVENT_WRITE);
    }
    expect(() => outer.getKey(rd)).toThrow(ClosedError);
    expect(() => outer.getKey(wr)).toThrow(ClosedError);
  });

  it('fileno, where the backend has one, is a close-on-exec fd', () => {
    const sel = res.selector(backend) as unknown as { fileno?: () => number };
    if (backend === 'epoll' || backend === 'kqueue') {
      const fd = sel.fileno!();
      expect(Number.isInteger(fd) && fd >= 0).toBe(true);
      if (process.platform === 'linux') {
        const flags = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
        const octal = /flags:\s*(\d+)/.exec(flags)![1]!;
        expect(parseInt(octal, 8) & 0o2000000).not.toBe(0); // O_CLOEXEC
      }
    } else {
      expect(sel.fileno).toBeUndefined();
    }
  });

  it('end to end: 12 socket pairs, each message reaches exactly its peer', () => {
    const sel = res.selector(backend);
    const NUM = 12;
    const MSG = ' This is a test.';
    const w2r = new Map<number, number>();
    const writers = new Set<number>();
    for (let i = 0; i < NUM; i++) {
      const [rd, wr] = res.socketpair();
      sel.register(rd, EVENT_READ);
      sel.register(wr, EVENT_WRITE);
      w2r.set(wr, rd);
      writers.add(wr);
    }
    const bufs: string[] = [];
    while (writers.size > 0) {
      const readyWriters = sel
        .select()
        .filter(([, ev]) => ev & EVENT_WRITE)
        .map(([k]) => k.fd)
        .filter((fd) => writers.has(fd));
      expect(readyWriters.length).toBeGreaterThan(0);
      const wr = readyWriters[randomInt(readyWriters.length)]!;
      expect(send(wr, MSG)).toBe(MSG.length);
      // The data is in the peer's buffer when write returns on a Unix socket, so a
      // bounded wait suffices.
      const readyReaders = sel
        .select(1000)
        .filter(([, ev]) => ev & EVENT_READ)
        .map(([k]) => k.fd);
      expect(readyReaders).toEqual([w2r.get(wr)]);
      const rd = readyReaders[0]!;
      bufs.push(recv(rd, MSG.length).toString());
      sel.unregister(rd);
      sel.unregister(wr);
      writers.delete(wr);
    }
    expect(bufs).toEqual(Array(NUM).fill(MSG));
  });

  it('select with nothing registered returns at once with timeout 0 (bpo-23009)', () => {
    const sel = res.selector(backend);
    expect(sel.select(0)).toEqual([]);
  });

  it('select with nothing registered still honours the timeout (bpo-29255)', () => {
    const sel = res.selector(backend);
    const start = process.hrtime.bigint();
    expect(sel.select(300)).toEqual([]);
    const dt = elapsedMs(start);
    // Generous upper bound: only a wrong unit (seconds, microseconds) should fail it.
    expect(dt).toBeGreaterThanOrEqual(250);
    expect(dt).toBeLessThanOrEqual(5000);
  });

  it('timeouts: 0 and negative poll, a positive one waits within bounds', () => {
    const sel = res.selector(backend);
    const [rd, wr] = res.socketpair();
    sel.register(wr, EVENT_WRITE);
    let start = process.hrtime.bigint();
    expect(sel.select(0)).toHaveLength(1);
    expect(sel.select(-1)).toHaveLength(1);
    expect(sel.select(-Infinity)).toHaveLength(1);
    expect(elapsedMs(start)).toBeLessThan(2000);

    sel.unregister(wr);
    sel.register(rd, EVENT_READ);
    start = process.hrtime.bigint();
    expect(sel.select(0)).toEqual([]);
    expect(sel.select(-1)).toEqual([]);
    expect(elapsedMs(start)).toBeLessThan(2000);

    start = process.hrtime.bigint();
    expect(sel.select(300)).toEqual([]);
    const dt = elapsedMs(start);
    expect(dt).toBeGreaterThanOrEqual(250);
    expect(dt).toBeLessThanOrEqual(5000);

    // A sub-millisecond timeout rounds up: it waits, and does not spin at 0.
    start = process.hrtime.bigint();
    expect(sel.select(0.3)).toEqual([]);
    expect(elapsedMs(start)).toBeGreaterThanOrEqual(0.25);
  });

  it('rejects NaN and non-number timeouts', () => {
    const sel = res.selector(backend);
    expect(() => sel.select(NaN)).toThrow(InvalidArgumentError);
    expect(() => sel.select('10' as unknown as number)).toThrow(InvalidArgumentError);
  });

  it('hang-up wakes the registered direction', () => {
    const sel = res.selector(backend);
    const [a, b] = res.socketpair();
    const key = sel.register(a, EVENT_READ);
    expect(sel.select(0)).toEqual([]);
    res.close(b);
    expect(sel.select(1000)).toEqual([[key, EVENT_READ]]);
    expect(recv(a, 16).length).toBe(0);
  });

  it('a pipe whose reader is gone reports its writer ready', () => {
    const sel = res.selector(backend);
    const [r, w] = res.pipe();
    // Fill the pipe so only the error condition can make it writable.
    const chunk = Buffer.alloc(65536);
    while (sys.write(w, chunk) > 0);
    const key = sel.register(w, EVENT_WRITE);
    expect(sel.select(0)).toEqual([]);
    res.close(r);
    expect(sel.select(1000)).toEqual([[key, EVENT_WRITE]]);
    expect(sys.write(w, chunk)).toBe(sys.errno.EPIPE);
  });
});
