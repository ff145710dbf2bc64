// AsyncLocalStorage context follows every loop callback (asyncio copies the context for
// each callback): the context active when a callback is scheduled or registered is the
// one it runs in, and none leaks into callbacks scheduled outside it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createTask, type EventLoop, getEventLoop, InvalidArgumentError } from '../lib/index.js';
import * as sys from '../lib/sys.js';
import { runScript, useResources, waitFor } from './helpers.js';

const als = new AsyncLocalStorage<string>();

describe('context propagation', () => {
  const res = useResources();

  /** Runs one callback of each kind scheduled by `schedule` and returns what each saw. */
  function seen(loop: EventLoop): { record: (name: string) => () => void; values: Map<string, string | undefined> } {
    const values = new Map<string, string | undefined>();
    return { values, record: (name) => () => void values.set(name, als.getStore()) };
  }

  it('callSoon, callLater and callAt run in the context they were scheduled in', async () => {
    const loop = res.loop();
    const { record, values } = seen(loop);
    als.run('a', () => {
      loop.callSoon(record('soon-a'));
      loop.callLater(1, record('later-a'));
      loop.callAt(loop.time() + 2, record('at-a'));
    });
    // Same resource, another store: run() puts the old store back when it returns, so
    // the capture must be a copy taken at scheduling time.
    als.run('b', () => {
      loop.callSoon(record('soon-b'));
      loop.callLater(1, record('later-b'));
      loop.callAt(loop.time() + 2, record('at-b'));
    });
    loop.callSoon(record('soon-none'));
    loop.callLater(1, record('later-none'));
    loop.callAt(loop.time() + 2, record('at-none'));
    await waitFor(() => values.size === 9);
    expect(Object.fromEntries(values)).toEqual({
      'soon-a': 'a',
      'later-a': 'a',
      'at-a': 'a',
      'soon-b': 'b',
      'later-b': 'b',
      'at-b': 'b',
      'soon-none': undefined,
      'later-none': undefined,
      'at-none': undefined,
    });
  });

  it('a timer scheduled from a callback gets that callback’s context; enterWith in one callback does not reach another', async () => {
    const loop = res.loop();
    const { record, values } = seen(loop);
    als.run('outer', () =>
      loop.callLater(0, () => {
        record('first')();
        loop.callLater(0, record('nested'));
        als.enterWith('changed');
      }),
    );
    loop.callLater(0, () => loop.callLater(0, record('unrelated')));
    await waitFor(() => values.size === 3);
    expect(values.get('first')).toBe('outer');
    expect(values.get('nested')).toBe('outer');
    expect(values.get('unrelated')).toBeUndefined();
  });

  it('reader and writer callbacks run in the context addReader/addWriter ran in, for every event', async () => {
    const [a, b] = res.socketpair();
    // A loop created inside a context must not hand it to callbacks registered outside.
    const loop = als.run('loop-created-here', () => res.loop());
    const reads: (string | undefined)[] = [];
    const writes: (string | undefined)[] = [];
    als.run('reader', () =>
      loop.addReader(a, (fd) => {
        reads.push(als.getStore());
        sys.read(fd, Buffer.alloc(16));
      }),
    );
    als.run('writer', () =>
      loop.addWriter(b, () => {
        writes.push(als.getStore());
        if (writes.length === 2) loop.removeWriter(b);
      }),
    );
    sys.write(b, Buffer.from('x'));
    await waitFor(() => reads.length >= 1 && writes.length === 2);
    sys.write(b, Buffer.from('y'));
    await waitFor(() => reads.length >= 2);
    expect(new Set(reads)).toEqual(new Set(['reader']));
    expect(writes).toEqual(['writer', 'writer']);
    loop.removeReader(a);

    const [c, d] = res.socketpair();
    const outside: (string | undefined)[] = [];
    loop.addReader(c, (fd) => {
      outside.push(als.getStore());
      sys.read(fd, Buffer.alloc(16));
      loop.removeReader(fd);
    });
    sys.write(d, Buffer.from('z'));
    await waitFor(() => outside.length === 1);
    expect(outside).toEqual([undefined]);
  });

  it('a task awaiting socket operations keeps its context across the awaits', async () => {
    const [a, b] = res.socketpair();
    // Tasks run on the thread's default loop; closed below so no fd outlives the test.
    const loop = getEventLoop();
    const socks = [a, b].map((fd) => ({ fileno: () => fd }));
    const task = als.run('task', () =>
      createTask(async () => {
        const before = als.getStore();
        const data = await loop.sockRecv(socks[0]!, 16);
        const afterRecv = als.getStore();
        await loop.sockSendAll(socks[0]!, data);
        return [before, afterRecv, als.getStore(), data.toString()];
      }),
    );
    // The other end runs outside any context.
    const echoed = (async () => {
      await loop.sockSendAll(socks[1]!, Buffer.from('ping'));
      const back = await loop.sockRecv(socks[1]!, 16);
      return [als.getStore(), back.toString()];
    })();
    try {
      expect(await task).toEqual(['task', 'task', 'task', 'ping']);
      expect(await echoed).toEqual([undefined, 'ping']);
    } finally {
      loop.close();
    }
  });

  it('new EventLoop({ context: false }) runs timers and readers in the loop’s own context; a non-boolean is refused', async () => {
    const [a, b] = res.socketpair();
    const loop = res.loop({ context: false });
    const { record, values } = seen(loop);
    als.run('x', () => {
      loop.callSoon(record('soon'));
      loop.callLater(0, record('later'));
      loop.addReader(a, (fd) => {
        record('reader')();
        sys.read(fd, Buffer.alloc(16));
        loop.removeReader(fd);
      });
    });
    sys.write(b, Buffer.from('x'));
    await waitFor(() => values.size === 3);
    // callSoon is not asserted: its drain is a setImmediate, which has a context of its own.
    expect(values.get('later')).toBeUndefined();
    expect(values.get('reader')).toBeUndefined();
    expect(() => res.loop({ context: 'yes' as unknown as boolean })).toThrow(InvalidArgumentError);
  });

  it('with no AsyncLocalStorage in the process, nothing is captured; the first one ever used still propagates', async () => {
    const result = await runScript(`
      const { AsyncLocalStorage } = require('node:async_hooks');
      const loop = new io.EventLoop();
      const early = loop.callLater(0, () => {});
      const seen = {};
      const als = new AsyncLocalStorage();
      // Scheduled before any storage existed: runs in no context, even once one exists.
      loop.callLater(1, () => { seen.before = als.getStore() ?? null; });
      als.run('first', () => loop.callLater(1, () => { seen.first = als.getStore(); }));
      loop.callLater(1, () => { seen.outside = als.getStore() ?? null; });
      const late = loop.callLater(0, () => {});
      loop.callLater(20, () => {
        console.log(JSON.stringify({ seen, earlyCaptured: early.context !== null, lateCaptured: late.context !== null }));
        loop.close();
      });
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      seen: { before: null, first: 'first', outside: null },
      earlyCaptured: false,
      lateCaptured: true,
    });
  });

  it('a storage enabled before ioreactor loaded is seen at load: callbacks capture from the start', async () => {
    const result = await runScript(`
      const { AsyncLocalStorage } = require('node:async_hooks');
      const als = new AsyncLocalStorage();
      als.enterWith('before-load');
      // A fresh copy of the library, loaded after the storage was enabled.
      for (const key of Object.keys(require.cache)) if (key.startsWith(ROOT + '/dist/')) delete require.cache[key];
      const fresh = require(ROOT + '/dist/index.js');
      const loop = new fresh.EventLoop();
      const seen = {};
      const plain = loop.callLater(0, () => { seen.plain = als.getStore(); });
      als.run('inner', () => loop.callLater(0, () => { seen.inner = als.getStore(); }));
      loop.callLater(5, () => {
        console.log(JSON.stringify({ seen, captured: plain.context !== null }));
        loop.close();
      });
    `);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ seen: { plain: 'before-load', inner: 'inner' }, captured: true });
  });
});
