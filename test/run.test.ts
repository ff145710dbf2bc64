// run(main) is asyncio.run: leftover tasks are cancelled and awaited before the loop
// closes, run() cannot nest, SIGINT/SIGTERM shut down gracefully; TaskGroup treats its
// own cancellation as a cancellation, not a failure.
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  getEventLoop,
  InvalidStateError,
  run,
  sleep,
  TaskGroup,
  TaskGroupError,
} from '../lib/index.js';
import { runScript } from './helpers.js';

describe('run', () => {
  it('cancels and awaits leftover tasks (their finally blocks run) before closing the loop', async () => {
    const events: string[] = [];
    let nowSleeping!: () => void;
    const sleeping = new Promise<void>((resolve) => (nowSleeping = resolve));
    const result = await run(async () => {
      createTask(async (signal) => {
        try {
          nowSleeping();
          await sleep(60_000, { signal });
        } finally {
          events.push('leftover cleaned up');
          await sleep(1); // the loop is still open during shutdown
          events.push('after await in finally');
        }
      });
      await sleeping; // the leftover task has started: it has a finally block to run
      expect(allTasks().length).toBe(2);
      return 'main done';
    });
    expect(result).toBe('main done');
    expect(events).toEqual(['leftover cleaned up', 'after await in finally']);
    expect(allTasks().length).toBe(0);
  });

  it('a leftover task that fails during shutdown is reported as a warning, not a crash', async () => {
    const result = await runScript(`
      process.on('warning', (w) => console.log('warning', w.code));
      io.run(async () => {
        let nowSleeping;
        const sleeping = new Promise((resolve) => (nowSleeping = resolve));
        io.createTask(async (signal) => {
          try { nowSleeping(); await io.sleep(60_000, { signal }); } finally { throw new Error('boom in finally'); }
        });
        await sleeping;
        return 'ok';
      }).then((r) => console.log('run returned', r));
    `);
    expect(result.stdout).toContain('run returned ok');
    expect(result.stdout).toContain('warning IOR_WARN_SHUTDOWN_TASK_ERROR');
    expect(result.status).toBe(0);
  });

  it('run() inside run() rejects with InvalidStateError and leaves the outer run alone', async () => {
    const outer = await run(async () => {
      await expect(run(async () => 'inner')).rejects.toThrow(InvalidStateError);
      await sleep(1);
      return getEventLoop().closed;
    });
    expect(outer).toBe(false);
  });

  it('the first SIGINT cancels main (cleanup runs); a second one ends the process', async () => {
    const graceful = await runScript(`
      io.run(async (signal) => {
        try {
          setTimeout(() => process.kill(process.pid, 'SIGINT'), 20);
          await io.sleep(60_000, { signal });
        } finally {
          console.log('cleanup ran');
        }
      }).catch((e) => { console.log('run rejected', e.code, e.message); });
    `);
    expect(graceful.stdout).toContain('cleanup ran');
    expect(graceful.stdout).toContain('run rejected IOR_ERR_CANCELLED run() was interrupted by SIGINT');
    expect(graceful.status).toBe(0);

    const forced = await runScript(`
      io.run(async () => {
        setTimeout(() => process.kill(process.pid, 'SIGINT'), 20);
        try {
          await new Promise((resolve) => setTimeout(resolve, 60_000)); // ignores the signal
        } finally {
          console.log('never');
        }
      });
      setTimeout(() => process.kill(process.pid, 'SIGINT'), 200);
    `);
    expect(forced.signal).toBe('SIGINT');
    expect(forced.stdout).not.toContain('never');
  });
});

describe('TaskGroup cancellation', () => {
  it("the README's server pattern ends with the cancellation reason, not TaskGroupError", async () => {
    const controller = new AbortController();
    const reason = new CancelledError('shutting down');
    const group = TaskGroup.run(async (g) => {
      g.createTask(async (signal) => sleep(60_000, { signal }));
      await sleep(60_000, { signal: controller.signal }); // the body awaits with the parent signal
    }, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 5);
    await expect(group).rejects.toBe(reason);
  });

  it('task.cancel() on a task running a group ends the task cancelled', async () => {
    let nowInGroup!: () => void;
    const inGroup = new Promise<void>((resolve) => (nowInGroup = resolve));
    const task = createTask((signal) =>
      TaskGroup.run(async (g) => {
        g.createTask(async (s) => sleep(60_000, { signal: s }));
        nowInGroup();
        await sleep(60_000, { signal });
      }, { signal }),
    );
    await inGroup;
    task.cancel();
    await expect(task).rejects.toThrow(CancelledError);
    expect(task.cancelled()).toBe(true);
  });

  it('a real failure is still a TaskGroupError, and the body stopping because of it is not a second failure', async () => {
    const group = TaskGroup.run(async (g) => {
      g.createTask(async () => {
        throw new Error('child failed');
      }, { name: 'bad' });
      await sleep(60_000, { signal: g.signal });
    });
    const error = await group.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskGroupError);
    expect((error as TaskGroupError).failures.map((f) => f.name)).toEqual(['bad']);
  });
});
