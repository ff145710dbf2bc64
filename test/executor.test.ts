// Executors (issue 11 part 1): module functions run in worker threads, with transferables,
// errors carrying the worker's stack, cancellation before and after the call started, and
// shutdown / loop close settling everything pending.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CancelledError,
  ClosedError,
  createTask,
  EventLoop,
  getEventLoop,
  InvalidArgumentError,
  runInExecutor,
  ThreadPoolExecutor,
  toThread,
} from '../lib/index.js';
import { runScript, waitFor } from './helpers.js';

const fns = path.join(__dirname, 'fixtures', 'executor-fns.mjs');
const task = (name: string, extra: object = {}) => ({ filename: fns, name, ...extra });

/** Flags shared with the worker: [started, release, finished, stop]. */
function flags(): { shared: SharedArrayBuffer; view: Int32Array } {
  const shared = new SharedArrayBuffer(16);
  return { shared, view: new Int32Array(shared) };
}

const pools: ThreadPoolExecutor[] = [];
function pool(maxThreads = 1): ThreadPoolExecutor {
  const p = new ThreadPoolExecutor({ maxThreads });
  pools.push(p);
  return p;
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.shutdown({ cancelPending: true })));
  await getEventLoop().shutdownDefaultExecutor();
});

describe('runInExecutor / toThread', () => {
  it('returns the result of a named export, the default export, a CommonJS export and a file: URL', async () => {
    const p = pool(2);
    expect(await runInExecutor(p, task('add'), 2, 3)).toBe(5);
    expect(await runInExecutor(p, { filename: fns }, 'there')).toBe('hello there');
    expect(await runInExecutor(p, { filename: path.join(__dirname, 'fixtures', 'executor-fns.cjs'), name: 'twice' }, 21)).toBe(42);
    expect(await runInExecutor(p, { filename: pathToFileURL(fns), name: 'add' }, 1, 1)).toBe(2);
    expect(await runInExecutor(p, { filename: pathToFileURL(fns).href, name: 'add' }, 1, 2)).toBe(3);
  });

  it('toThread uses the default executor, sized to the machine', async () => {
    expect(await toThread(task('add'), 40, 2)).toBe(42);
    const { availableParallelism } = await import('node:os');
    expect((await import('../lib/index.js')).getDefaultExecutor().maxThreads).toBe(availableParallelism());
  });

  it('runs TypeScript modules when the pool installs a require hook', async () => {
    const p = new ThreadPoolExecutor({ maxThreads: 1, execArgv: ['--require', 'tsx/cjs'] });
    pools.push(p);
    expect(await runInExecutor(p, { filename: path.join(__dirname, 'fixtures', 'executor-fns.ts'), name: 'shout' }, 'hi')).toBe('HI!');
  });

  it('moves the buffers listed in transferList (detached here) and copies the others', async () => {
    const p = pool();
    const moved = new Uint8Array([1, 2, 3, 250]).buffer;
    expect(await runInExecutor(p, task('sumBytes', { transferList: [moved] }), moved)).toEqual({ sum: 256, length: 4 });
    expect(moved.byteLength).toBe(0); // detached: it went to the worker
    const copied = new Uint8Array([5, 5]).buffer;
    expect(await runInExecutor(p, task('sumBytes'), copied)).toEqual({ sum: 10, length: 2 });
    expect(copied.byteLength).toBe(2);
  });

  it("rejects with the function's error, carrying the worker's stack", async () => {
    const error = await runInExecutor(pool(), task('fail'), 'out of range').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('out of range');
    expect((error as Error).stack).toContain('executor-fns.mjs');
  });

  it('rejects a bad task with a clear InvalidArgumentError, before running anything', async () => {
    const p = pool();
    const cases: [unknown, RegExp][] = [
      [null, /task must be an object/],
      ['add', /task must be an object/],
      [{ name: 'add' }, /filename must be a path or a file: URL/],
      [{ filename: 'fixtures/executor-fns.mjs' }, /absolute path/],
      [{ filename: path.join(__dirname, 'no-such-file.mjs') }, /is not a file/],
      [{ filename: __dirname }, /is not a file/],
      [{ filename: fns, name: 7 }, /name must be a non-empty string/],
      [{ filename: fns, signal: 'stop' }, /signal must be an AbortSignal/],
      [{ filename: fns, transferList: 'x' }, /transferList must be an array/],
    ];
    for (const [bad, message] of cases) {
      const error = await runInExecutor(p, bad as never).catch((e: unknown) => e);
      expect(error, String(message)).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(message);
    }
    const notExecutor = await runInExecutor({} as never, task('add'), 1, 2).catch((e: unknown) => e);
    expect(notExecutor).toBeInstanceOf(InvalidArgumentError);
    // Known only inside the worker: a missing export or one that is not a function.
    for (const name of ['missing', 'notAFunction']) {
      const error = await runInExecutor(p, task(name)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(new RegExp(`no export '${name}' that is a function`));
    }
    // An argument that cannot be copied to another thread.
    const uncloneable = await runInExecutor(p, task('add'), () => 1, 2).catch((e: unknown) => e);
    expect((uncloneable as Error).name).toBe('DataCloneError');
    expect(await runInExecutor(p, task('add'), 1, 2)).toBe(3); // the pool is still fine
    expect(() => new ThreadPoolExecutor({ maxThreads: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ThreadPoolExecutor({ minThreads: 3, maxThreads: 2 })).toThrow(InvalidArgumentError);
  });
});

describe('cancellation', () => {
  it('a call cancelled before it started never runs (its side effect never happens)', async () => {
    const p = pool(1);
    const gate = flags();
    const counter = new SharedArrayBuffer(8);
    const first = runInExecutor(p, task('block'), gate.shared); // occupies the only thread
    await waitFor(() => Atomics.load(gate.view, 0) === 1, { what: 'first call started' });
    const controller = new AbortController();
    const queued = runInExecutor(p, task('bump', { signal: controller.signal }), counter, 0);
    const reason = new CancelledError('not wanted');
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    Atomics.store(gate.view, 1, 1);
    Atomics.notify(gate.view, 1);
    expect(await first).toBe('released');
    // A later call on the same thread runs after where the cancelled one would have run.
    expect(await runInExecutor(p, task('bump'), counter, 1)).toBe('bumped');
    const counts = new Int32Array(counter);
    expect(counts[1]).toBe(1);
    expect(counts[0]).toBe(0); // the cancelled call never ran
  });

  it('a call cancelled while running rejects at once and its worker is terminated and replaced', async () => {
    const p = pool(1);
    const f = flags();
    const controller = new AbortController();
    const running = runInExecutor(p, task('spin', { signal: controller.signal }), f.shared);
    await waitFor(() => Atomics.load(f.view, 0) === 1, { what: 'call started' });
    controller.abort(new CancelledError('stop'));
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    // The only thread was spinning forever; a new call completing proves it was replaced.
    expect(await runInExecutor(p, task('add'), 1, 2)).toBe(3);
    Atomics.store(f.view, 3, 1); // would let a surviving spin finish
    expect(Atomics.load(f.view, 2)).toBe(0);
  });

  it("await toThread(...) in a task that gets cancelled ends the task with the project's CancelledError", async () => {
    const f = flags();
    const t = createTask(async (signal) => toThread(task('spin', { signal }), f.shared), { name: 'cpu' });
    await waitFor(() => Atomics.load(f.view, 0) === 1, { what: 'call started' });
    t.cancel();
    await expect(t).rejects.toBeInstanceOf(CancelledError);
    expect(t.cancelled()).toBe(true);
  });

  it('an already-aborted signal rejects without running', async () => {
    const counter = new SharedArrayBuffer(4);
    const reason = new CancelledError('early');
    await expect(runInExecutor(pool(), task('bump', { signal: AbortSignal.abort(reason) }), counter, 0)).rejects.toBe(reason);
    expect(new Int32Array(counter)[0]).toBe(0);
  });
});

describe('shutdown and loop close', () => {
  it('shutdown() lets queued and running calls finish, then refuses new ones', async () => {
    const p = pool(1);
    const gate = flags();
    const counter = new SharedArrayBuffer(4);
    const first = runInExecutor(p, task('block'), gate.shared);
    const queued = runInExecutor(p, task('bump'), counter, 0);
    await waitFor(() => Atomics.load(gate.view, 0) === 1, { what: 'first call started' });
    const done = p.shutdown();
    await expect(runInExecutor(p, task('add'), 1, 1)).rejects.toBeInstanceOf(ClosedError);
    Atomics.store(gate.view, 1, 1);
    Atomics.notify(gate.view, 1);
    await done;
    expect(await first).toBe('released');
    expect(await queued).toBe('bumped');
    expect(p.pendingCalls).toBe(0);
    expect(p.threadCount).toBe(0);
  });

  it('shutdown({ cancelPending: true }) rejects calls not started with CancelledError (they never run)', async () => {
    const p = pool(1);
    const gate = flags();
    const counter = new SharedArrayBuffer(4);
    const first = runInExecutor(p, task('block'), gate.shared);
    await waitFor(() => Atomics.load(gate.view, 0) === 1, { what: 'first call started' });
    const queued = runInExecutor(p, task('bump'), counter, 0);
    const done = p.shutdown({ cancelPending: true });
    await expect(queued).rejects.toBeInstanceOf(CancelledError);
    Atomics.store(gate.view, 1, 1);
    Atomics.notify(gate.view, 1);
    await done;
    expect(await first).toBe('released');
    expect(new Int32Array(counter)[0]).toBe(0);
  });

  it("closing a loop rejects its pending calls with ClosedError and ends its default executor's threads", async () => {
    const loop = new EventLoop();
    const f = flags();
    const counter = new SharedArrayBuffer(4);
    const running = loop.runInExecutor(null, task('spin'), f.shared);
    await waitFor(() => Atomics.load(f.view, 0) === 1, { what: 'call started' });
    const p = pool(1);
    const gate = flags();
    const blocker = runInExecutor(p, task('block'), gate.shared);
    await waitFor(() => Atomics.load(gate.view, 0) === 1, { what: 'blocker started' });
    const queuedOnOther = loop.runInExecutor(p, task('bump'), counter, 0);
    loop.close();
    await expect(running).rejects.toBeInstanceOf(ClosedError);
    await expect(queuedOnOther).rejects.toBeInstanceOf(ClosedError);
    await expect(loop.runInExecutor(null, task('add'), 1, 1)).rejects.toBeInstanceOf(ClosedError);
    Atomics.store(gate.view, 1, 1);
    Atomics.notify(gate.view, 1);
    expect(await blocker).toBe('released');
    expect(await runInExecutor(p, task('add'), 1, 1)).toBe(2); // the queued call's slot came next
    expect(new Int32Array(counter)[0]).toBe(0);
  });

  it('a script using toThread exits on its own after run() (the loop closes its executor)', async () => {
    const result = await runScript(`
      const fns = ${JSON.stringify(fns)};
      io.run(async () => console.log(await io.toThread({ filename: fns, name: 'add' }, 20, 22)));
    `);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('42');
    expect(result.status).toBe(0);
  });
});

describe('examples/executor-ticker.ts', () => {
  it('the ticker ticks while toThread runs the CPU-bound step, and not at all while the step runs inline', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const root = path.resolve(__dirname, '..');
    const example = (...args: string[]) =>
      promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'examples', 'executor-ticker.ts'), '--limit', '1000000', ...args], {
        cwd: root,
        timeout: 60_000,
      }).then(({ stdout }) => JSON.parse(stdout) as { primes: number; ticksDuringCpuWork: number });
    const [threaded, inline] = await Promise.all([example(), example('--inline')]);
    expect(threaded.primes).toBe(78498);
    expect(inline.primes).toBe(78498);
    expect(threaded.ticksDuringCpuWork).toBeGreaterThan(0);
    expect(inline.ticksDuringCpuWork).toBe(0);
  });
});
