// Future, Task, TaskGroup, sleep/timeout/shield/asCompleted.
import { describe, expect, it } from 'vitest';
import {
  asCompleted,
  CancelledError,
  createTask,
  Future,
  InvalidArgumentError,
  InvalidStateError,
  shield,
  sleep,
  Task,
  TaskGroup,
  TaskGroupError,
  timeout,
  timeoutAt,
  TimeoutError,
  getEventLoop,
} from '../lib/index.js';
import { runScript } from './helpers.js';

/** A promise and the function that resolves it: a task says "I have started". */
function signalled(): [Promise<void>, () => void] {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return [promise, resolve];
}

describe('Future', () => {
  it('settles once with a result, and reports its state', async () => {
    const f = new Future<number>();
    expect(f.done()).toBe(false);
    expect(() => f.result()).toThrow(InvalidStateError);
    expect(() => f.exception()).toThrow(InvalidStateError);
    const seen: number[] = [];
    f.addDoneCallback((fut) => seen.push(fut.result()));
    f.setResult(42);
    expect(() => f.setResult(1)).toThrow(InvalidStateError);
    expect(() => f.setException(new Error('x'))).toThrow(InvalidStateError);
    expect(f.cancel()).toBe(false);
    expect(await f).toBe(42);
    expect(f.result()).toBe(42);
    expect(f.exception()).toBeUndefined();
    expect(seen).toEqual([42]);
  });

  it('fails with an error, and cancel rejects awaiters with CancelledError', async () => {
    const failed = new Future<number>();
    const error = new Error('nope');
    failed.setException(error);
    expect(failed.exception()).toBe(error);
    await expect(failed).rejects.toBe(error);
    const cancelled = new Future<number>();
    const awaiting = cancelled.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(cancelled.cancel()).toBe(true);
    expect(cancelled.cancel()).toBe(false);
    expect(cancelled.cancelled()).toBe(true);
    expect(await awaiting).toBeInstanceOf(CancelledError);
    expect(() => cancelled.result()).toThrow(CancelledError);
    const withReason = new Future<void>();
    withReason.cancel('why');
    await expect(withReason).rejects.toBe('why');
  });

  it('callbacks run in order (one, then many); awaiting after settling works; an observed failure is not unhandled', async () => {
    const order: string[] = [];
    const f = new Future<number>();
    const a = (): void => void order.push('a');
    f.addDoneCallback(a);
    expect(f.removeDoneCallback(a)).toBe(1);
    expect(f.removeDoneCallback(a)).toBe(0);
    f.addDoneCallback(() => order.push('b'));
    f.addDoneCallback(() => order.push('c'));
    f.addDoneCallback(() => order.push('d'));
    f.setResult(7);
    expect(await f).toBe(7);
    await Promise.resolve();
    expect(order).toEqual(['b', 'c', 'd']);
    // A future first awaited after it settled (its Promise is made then).
    const late = new Future<string>();
    late.setResult('late');
    expect(await late).toBe('late');
    // Failing with only a done callback attached: observed, so no unhandled rejection.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const observed = new Future<void>();
      const seen = new Promise<unknown>((resolve) => observed.addDoneCallback((done) => resolve(done.exception())));
      const error = new Error('observed failure');
      observed.setException(error);
      expect(await seen).toBe(error);
      await expect(observed).rejects.toBe(error);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('removeDoneCallback removes every registration', async () => {
    const f = new Future<void>();
    let calls = 0;
    const cb = (): void => void calls++;
    f.addDoneCallback(cb);
    f.addDoneCallback(cb);
    expect(f.removeDoneCallback(cb)).toBe(2);
    f.setResult();
    await f;
    await Promise.resolve();
    expect(calls).toBe(0);
  });
});

describe('Task', () => {
  it('runs soon, not inside createTask, and resolves with the result', async () => {
    let started = false;
    const task = createTask(async () => {
      started = true;
      return 'ok';
    });
    expect(started).toBe(false);
    expect(task).toBeInstanceOf(Task);
    expect(task.name).toMatch(/^task-\d+$/);
    expect(await task).toBe('ok');
  });

  it('cancel() aborts the signal; the task ends cancelled unless it catches', async () => {
    const [sleeping, nowSleeping] = signalled();
    const task = createTask((signal) => (nowSleeping(), sleep(10_000, { signal })), { name: 'sleeper' });
    await sleeping;
    expect(task.cancel()).toBe(true);
    expect(task.cancelling()).toBe(true);
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    expect(task.cancelled()).toBe(true);
    expect(task.cancel()).toBe(false);

    const [stubbornSleeping, stubbornNowSleeping] = signalled();
    const stubborn = createTask(async (signal) => {
      try {
        stubbornNowSleeping();
        await sleep(10_000, { signal });
      } catch {
        return 'caught';
      }
      return 'slept';
    });
    await stubbornSleeping;
    stubborn.cancel();
    expect(await stubborn).toBe('caught');
    expect(stubborn.cancelled()).toBe(false);
  });

  it('a task cancelled before it starts never runs', async () => {
    let ran = false;
    const task = createTask(async () => {
      ran = true;
    });
    task.cancel('early');
    await expect(task).rejects.toBe('early');
    expect(ran).toBe(false);
  });

  it('a parent signal cancels the task', async () => {
    const parent = new AbortController();
    const [sleeping, nowSleeping] = signalled();
    const task = createTask((signal) => (nowSleeping(), sleep(10_000, { signal })), { signal: parent.signal });
    await sleeping;
    parent.abort(new CancelledError('parent said so'));
    await expect(task).rejects.toThrow('parent said so');
    const pre = createTask(async () => 1, { signal: AbortSignal.abort('gone') });
    await expect(pre).rejects.toBe('gone');
  });

  it('a failed task nobody observes is reported as an unhandled rejection', async () => {
    const r = await runScript(`
      process.on('unhandledRejection', (e) => { console.log('reported:', e.message); process.exitCode = 0; });
      io.createTask(async () => { throw new Error('lost?'); });
      io.createTask(async (signal) => io.sleep(10000, { signal })).cancel();
    `);
    expect(r.stdout).toBe('reported: lost?\n');
  });
});

describe('run', () => {
  it('returns main\'s result or error and closes the loop', async () => {
    const ok = await runScript(`
      io.run(async (signal) => { await io.sleep(5, { signal }); return 42; })
        .then((v) => console.log('result', v, io.getEventLoop() !== undefined));
    `);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe('result 42 true\n');
    const failed = await runScript(`
      const loop = io.getEventLoop();
      io.run(async () => { throw new Error('main failed'); })
        .catch((e) => console.log('caught', e.message, loop.closed));
    `);
    expect(failed.stdout).toBe('caught main failed true\n');
  });
});

describe('TaskGroup', () => {
  it('waits for every child and returns normally when all succeed', async () => {
    const results: number[] = [];
    const loop = getEventLoop();
    const base = loop.time();
    await TaskGroup.run(async (group) => {
      // Deadlines from one base time, 20 ms apart.
      for (const ms of [60, 20, 40]) group.createTask(async (signal) => {
        await sleep(Math.max(0, base + ms - loop.time()), { signal });
        results.push(ms);
      });
    });
    // Every child finished before run() returned. (Their order is the deadlines' unless the
    // machine stalled past all three before they started: then it is scheduling order, as
    // asyncio's; the timer tests check ordering, this one checks the waiting.)
    expect([...results].sort((a, b) => a - b)).toEqual([20, 40, 60]);
    expect(loop.time() - base).toBeGreaterThanOrEqual(60);
  });

  it('the first failure cancels the siblings; failures come out together, named', async () => {
    let siblingCancelled = false;
    const error = await TaskGroup.run(async (group) => {
      group.createTask(
        async (signal) => {
          try {
            await sleep(10_000, { signal });
          } catch (e) {
            siblingCancelled = e instanceof CancelledError;
            throw e;
          }
        },
        { name: 'sleeper' },
      );
      group.createTask(async () => {
        throw new Error('first');
      }, { name: 'bad-1' });
      group.createTask(async (signal) => {
        await sleep(1, { signal }).catch(() => undefined);
        throw new TypeError('second');
      }, { name: 'bad-2' });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskGroupError);
    const groupError = error as TaskGroupError;
    expect(groupError.failures.map((f) => f.name)).toEqual(['bad-1', 'bad-2']);
    expect(groupError.message).toContain("'bad-1' (Error: first)");
    expect(groupError.message).toContain("'bad-2' (TypeError: second)");
    expect(groupError.code).toBe('IOR_ERR_TASK_GROUP');
    expect(siblingCancelled).toBe(true);
  });

  it('works with await using, and refuses tasks once finished', async () => {
    let group!: TaskGroup;
    let done = 0;
    {
      await using g = new TaskGroup();
      group = g;
      g.createTask(async (signal) => {
        await sleep(5, { signal });
        done++;
      });
      // Children may start children while the group waits.
      g.createTask(async () => {
        g.createTask(async (signal) => {
          await sleep(10, { signal });
          done++;
        });
      });
    }
    expect(done).toBe(2);
    expect(() => group.createTask(async () => 1)).toThrow(InvalidStateError);
  });

  it('an error in the body counts as a failure and cancels the children', async () => {
    let childCancelled = false;
    const [childSleeping, childNowSleeping] = signalled();
    const error = await TaskGroup.run(async (group) => {
      group.createTask(async (signal) => {
        childNowSleeping();
        await sleep(10_000, { signal }).catch((e: unknown) => {
          childCancelled = true;
          throw e;
        });
      });
      await childSleeping;
      throw new Error('body failed');
    }).catch((e: unknown) => e);
    expect((error as TaskGroupError).failures.map((f) => f.name)).toEqual(['<body>']);
    expect(childCancelled).toBe(true);
  });

  it('a parent abort cancels every child and surfaces the parent reason', async () => {
    const parent = new AbortController();
    let children = 0;
    const [bothSleeping, allSleeping] = signalled();
    const child = (signal: AbortSignal): Promise<void> => {
      if (++children === 2) allSleeping();
      return sleep(10_000, { signal });
    };
    const running = TaskGroup.run(
      async (group) => {
        group.createTask(child);
        group.createTask(child);
      },
      { signal: parent.signal },
    );
    await bothSleeping;
    parent.abort(new CancelledError('stop'));
    await expect(running).rejects.toThrow('stop');
  });
});

describe('sleep, timeout, shield, asCompleted', () => {
  it('sleep waits at least the delay and is cancellable', async () => {
    const loop = getEventLoop();
    const start = loop.time();
    await sleep(20);
    expect(loop.time() - start).toBeGreaterThanOrEqual(20);
    const controller = new AbortController();
    const pending = sleep(10_000, { signal: controller.signal });
    controller.abort(new Error('stop sleeping'));
    await expect(pending).rejects.toThrow('stop sleeping');
    await expect(sleep(1, { signal: AbortSignal.abort('already') })).rejects.toBe('already');
    await expect(sleep(NaN)).rejects.toThrow(InvalidArgumentError);
  });

  it('timeout rejects with TimeoutError at the deadline and returns in time otherwise', async () => {
    await expect(timeout(10, (signal) => sleep(10_000, { signal }))).rejects.toBeInstanceOf(TimeoutError);
    await expect(timeout(10, (signal) => sleep(10_000, { signal }))).rejects.toMatchObject({ code: 'IOR_ERR_TIMEOUT' });
    expect(await timeout(1000, async (signal) => (await sleep(1, { signal }), 'fast'))).toBe('fast');
    expect(await timeoutAt(getEventLoop().time() + 1000, async () => 'at')).toBe('at');
    await expect(timeout(NaN, async () => 1)).rejects.toThrow(InvalidArgumentError);
  });

  it('timeouts nest: whichever deadline passes first is the one reported', async () => {
    const inner = await timeout(1000, (outer) =>
      timeout(10, (signal) => sleep(10_000, { signal }), { signal: outer }).catch((e: unknown) => e),
    );
    expect(inner).toBeInstanceOf(TimeoutError);
    expect((inner as Error).message).toContain('10 ms');
    const outer = await timeout(10, (outerSignal) =>
      timeout(5000, (signal) => sleep(10_000, { signal }), { signal: outerSignal }),
    ).catch((e: unknown) => e);
    expect(outer).toBeInstanceOf(TimeoutError);
    expect((outer as Error).message).toContain('after 10 ms');
  });

  it('shield lets the caller stop waiting while the work goes on', async () => {
    const controller = new AbortController();
    let finished = false;
    const work = sleep(20).then(() => {
      finished = true;
      return 'work';
    });
    const shielded = shield(work, { signal: controller.signal });
    controller.abort(new CancelledError('caller gave up'));
    await expect(shielded).rejects.toThrow('caller gave up');
    expect(await work).toBe('work');
    expect(finished).toBe(true);
    expect(await shield(Promise.resolve(1))).toBe(1);
  });

  it('asCompleted yields results in completion order', async () => {
    const order = asCompleted([sleep(30).then(() => 'slow'), sleep(1).then(() => 'fast'), Promise.reject(new Error('bad'))]);
    const results: string[] = [];
    for (const next of order) results.push(await next.catch((e: Error) => e.message));
    expect(results).toEqual(['bad', 'fast', 'slow']);
  });
});
