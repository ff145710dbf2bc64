// CPython's ScalableSelectorMixIn.test_above_fd_setsize, and select's FD_SETSIZE limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_READ, EVENT_WRITE, InvalidArgumentError } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { backends, openFdCount, useResources } from './helpers.js';

// The workplace's hard limit is 20000; stay well below it.
const kMaxFds = 19000;
let savedSoft = 0;

beforeAll(() => {
  const { soft, hard } = sys.getrlimitNofile();
  savedSoft = soft;
  // This file runs in its own process (pool: forks), so raising the soft limit here
  // touches no other test; it is restored anyway.
  sys.setrlimitNofile(Math.min(hard, kMaxFds + 256));
});

afterAll(() => {
  sys.setrlimitNofile(savedSoft);
});

describe.each(backends.filter((b) => b !== 'select'))('%s selector with many fds', (backend) => {
  const res = useResources();

  it('reports every writer and no reader, far above FD_SETSIZE', () => {
    const sel = res.selector(backend);
    const limit = Math.min(sys.getrlimitNofile().soft, kMaxFds);
    const pairs = Math.floor((limit - openFdCount() - 64) / 2);
    expect(pairs * 2).toBeGreaterThan(sys.FD_SETSIZE * 4);
    const writers = new Set<number>();
    for (let i = 0; i < pairs; i++) {
      const [rd, wr] = res.socketpair();
      sel.register(rd, EVENT_READ);
      sel.register(wr, EVENT_WRITE);
      writers.add(wr);
    }
    const ready = sel.select();
    expect(ready).toHaveLength(pairs);
    for (const [key, events] of ready) {
      expect(events).toBe(EVENT_WRITE);
      expect(writers.has(key.fd)).toBe(true);
    }
  });
});

describe.runIf(backends.includes('select'))('select selector and FD_SETSIZE', () => {
  const res = useResources();

  it('refuses an fd at or above FD_SETSIZE at register time, leaving no key', () => {
    const sel = res.selector('select');
    const [a] = res.socketpair();
    const high = res.adopt(sys.dup2(a, sys.FD_SETSIZE + 10));
    const edge = res.adopt(sys.dup2(a, sys.FD_SETSIZE));
    const below = res.adopt(sys.dup2(a, sys.FD_SETSIZE - 1));
    expect(() => sel.register(high, EVENT_READ)).toThrow(InvalidArgumentError);
    expect(() => sel.register(edge, EVENT_READ)).toThrow(/FD_SETSIZE/);
    expect(sel.getMap()!.size).toBe(0);
    sel.register(below, EVENT_WRITE);
    expect(sel.select(0).map(([k]) => k.fd)).toEqual([below]);
  });
});
