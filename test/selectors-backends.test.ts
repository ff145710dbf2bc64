// Backend-specific behaviour: kernel refusals, closed fds, availability, DefaultSelector.
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  availableBackends,
  BackendUnavailableError,
  DefaultSelector,
  EpollSelector,
  EVENT_READ,
  EVENT_WRITE,
  KqueueSelector,
  NotRegisteredError,
  SystemError,
} from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { backends, useResources } from './helpers.js';

describe('backend availability', () => {
  it('lists the backends in DefaultSelector order and picks the first', () => {
    const names = availableBackends();
    const order = ['kqueue', 'epoll', 'poll', 'select'];
    expect([...names].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual([...names]);
    expect(names).toContain('poll');
    expect(names).toContain('select');
    if (process.platform === 'linux') expect(names).toContain('epoll');
    const sel = new DefaultSelector();
    try {
      expect(sel.backend).toBe(names[0]);
      expect(sel.fileno()).toBeGreaterThanOrEqual(0);
    } finally {
      sel.close();
    }
  });

  it.runIf(!availableBackends().includes('kqueue'))('constructing kqueue where it is not built throws IOR_ERR_BACKEND_UNAVAILABLE', () => {
    expect(() => new KqueueSelector()).toThrow(BackendUnavailableError);
    try {
      new KqueueSelector();
    } catch (error) {
      expect((error as BackendUnavailableError).code).toBe('IOR_ERR_BACKEND_UNAVAILABLE');
      expect((error as Error).message).toMatch(new RegExp(`kqueue.*available: ${availableBackends().join(', ')}`));
    }
  });
});

describe.runIf(backends.includes('epoll'))('epoll selector', () => {
  const res = useResources();

  it('a regular file is refused with EPERM and leaves no key (test_register_file)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ioreactor-'));
    const fd = openSync(path.join(dir, 'f'), 'w');
    try {
      const sel = res.selector('epoll');
      let thrown: unknown;
      try {
        sel.register(fd, EVENT_READ);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SystemError);
      expect((thrown as SystemError).code).toBe('EPERM');
      expect((thrown as SystemError).syscall).toBe('epoll_ctl');
      expect(() => sel.getKey(fd)).toThrow(NotRegisteredError);
      expect(sel.getMap()!.size).toBe(0);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true });
    }
  });

  it('a closed fd is refused with EBADF and leaves no key (test_register_bad_fd)', () => {
    const sel = res.selector('epoll');
    const [a, b] = res.socketpair();
    res.close(b);
    expect(() => sel.register(b, EVENT_READ)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => sel.getKey(b)).toThrow(NotRegisteredError);
    expect(a).toBeGreaterThanOrEqual(0);
  });

  it('a modify on an fd closed behind its back fails with EBADF and drops the key', () => {
    const sel = res.selector('epoll');
    const [a] = res.socketpair();
    sel.register(a, EVENT_READ);
    res.close(a);
    expect(() => sel.modify(a, EVENT_WRITE)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(sel.getMap()!.size).toBe(0);
  });

  it('a closed fd stops being reported', () => {
    const sel = res.selector('epoll');
    const [a] = res.socketpair();
    sel.register(a, EVENT_WRITE);
    expect(sel.select(0)).toHaveLength(1);
    res.close(a);
    expect(sel.select(0)).toEqual([]);
    expect(() => sel.unregister(a)).not.toThrow();
  });

  it('EpollSelector.fileno is distinct per selector', () => {
    const one = new EpollSelector();
    const two = new EpollSelector();
    try {
      expect(one.fileno()).not.toBe(two.fileno());
    } finally {
      one.close();
      two.close();
    }
  });
});

describe.runIf(backends.includes('poll'))('poll selector', () => {
  const res = useResources();

  it('a closed, still-registered fd is reported ready in every registered direction', () => {
    const sel = res.selector('poll');
    const [a] = res.socketpair();
    const key = sel.register(a, EVENT_READ | EVENT_WRITE);
    res.close(a);
    expect(sel.select(0)).toEqual([[key, EVENT_READ | EVENT_WRITE]]);
    expect(() => sel.unregister(a)).not.toThrow();
    expect(sel.select(0)).toEqual([]);
  });
});

describe.runIf(backends.includes('select'))('select selector', () => {
  const res = useResources();

  it('a closed, still-registered fd makes select throw EBADF until it is unregistered', () => {
    const sel = res.selector('select');
    const [a] = res.socketpair();
    sel.register(a, EVENT_READ);
    res.close(a);
    let thrown: unknown;
    try {
      sel.select(0);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SystemError);
    expect((thrown as SystemError).code).toBe('EBADF');
    expect((thrown as SystemError).syscall).toBe('select');
    sel.unregister(a);
    expect(sel.select(0)).toEqual([]);
  });
});

describe.each(backends)('%s selector edge cases', (backend) => {
  const res = useResources();

  it('rejects non-integer, NaN, huge and non-object file objects', () => {
    const sel = res.selector(backend);
    for (const bad of [NaN, 1.5, -1, 2 ** 31, Infinity, '3', null, undefined, {}, { fd: -1 }, { fd: '3' }]) {
      expect(() => sel.register(bad as never, EVENT_READ), String(bad)).toThrow(
        expect.objectContaining({ code: 'IOR_ERR_INVALID_ARG' }),
      );
    }
    for (const bad of [0, 4, -1, 1.5, NaN, '1', null]) {
      expect(() => sel.register(0, bad as never), String(bad)).toThrow(
        expect.objectContaining({ code: 'IOR_ERR_INVALID_ARG' }),
      );
    }
    expect(sel.getMap()!.size).toBe(0);
  });

  it('grows its event buffer past the initial size', () => {
    const sel = res.selector(backend);
    const writers = new Set<number>();
    for (let i = 0; i < 150; i++) {
      const [, wr] = res.socketpair();
      sel.register({ fd: wr }, EVENT_WRITE, i);
      writers.add(wr);
    }
    const ready = sel.select(0);
    expect(new Set(ready.map(([k]) => k.fd))).toEqual(writers);
  });

  it('after unregister, a pending event for that fd is not returned', () => {
    const sel = res.selector(backend);
    const [a, b] = res.socketpair();
    sel.register(a, EVENT_WRITE);
    const kb = sel.register(b, EVENT_WRITE);
    sel.unregister(a);
    expect(sel.select(0)).toEqual([[kb, EVENT_WRITE]]);
    expect(sys.write(a, Buffer.from('x'))).toBe(1);
  });
});
