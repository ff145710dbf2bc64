/** run(main): asyncio.run's counterpart. */
import { isMainThread } from 'node:worker_threads';
import { CancelledError, InvalidStateError } from '../errors.js';
import { checkFunction } from '../internal/args.js';
import type { BaseEventLoop } from '../loop/base-event-loop.js';
import { currentLoop } from '../loop/default-loop.js';
import { allTasks, createTask, type Task } from './task.js';

let active = false;

const kSignals = ['SIGINT', 'SIGTERM'] as const;

/**
 * Cancels every unfinished task of `loop` and waits until they have all finished, so
 * their `finally` blocks run while the loop is still open. A task that fails (rather
 * than ending cancelled) during this shutdown is reported as a warning
 * (`IOR_WARN_SHUTDOWN_TASK_ERROR`), never as an uncaught error.
 */
async function cancelLeftovers(loop: BaseEventLoop): Promise<void> {
  for (let tasks = allTasks(loop); tasks.length > 0; tasks = allTasks(loop)) {
    for (const task of tasks) task.cancel(new CancelledError(`Task '${task.name}' was cancelled: run() is shutting down`));
    await Promise.allSettled(tasks);
    for (const task of tasks) {
      if (task.cancelled()) continue;
      const error = task.exception();
      if (error === undefined) continue;
      process.emitWarning(
        `Task '${task.name}' failed while run() was shutting down: ${error instanceof Error ? error.stack : String(error)}`,
        { type: 'IoreactorWarning', code: 'IOR_WARN_SHUTDOWN_TASK_ERROR' },
      );
    }
  }
}

/**
 * Runs `main(signal)` as a task on the thread's default loop and returns its result or
 * throws its error — asyncio's `run()`:
 *
 * - when `main` settles, every task still running on that loop is cancelled and awaited
 *   (their `finally` blocks run), then the loop is closed, so nothing outlives `run()`
 *   and an error from a leftover task cannot crash the process afterwards (it is
 *   reported as an `IOR_WARN_SHUTDOWN_TASK_ERROR` warning);
 * - on the main thread, when nobody else listens for them, the first SIGINT or SIGTERM
 *   cancels `main` (graceful shutdown: cleanup runs, `run` rejects with a
 *   `CancelledError`), and a second one ends the process as Node would;
 * - `run()` while another `run()` is active on the same thread rejects with
 *   {@link InvalidStateError} and leaves the active one alone.
 *
 * Set `IOREACTOR_DEBUG=1` for debug mode.
 *
 * @example
 * ```ts
 * await run(async (signal) => {
 *   await sleep(100, { signal });
 *   return 'done';
 * });
 * ```
 */
export async function run<T>(main: (signal: AbortSignal) => Promise<T> | T): Promise<T> {
  checkFunction(main, 'run: main');
  if (active) throw new InvalidStateError('run() cannot be called while another run() is active on this thread');
  active = true;
  const loop = currentLoop();
  let task: Task<T> | undefined;
  const received = new Set<string>();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received.has(signal) || task === undefined || task.done()) {
      // The second signal: stop handling it and let Node's default action end the process.
      removeHandlers();
      process.kill(process.pid, signal);
      return;
    }
    received.add(signal);
    task.cancel(new CancelledError(`run() was interrupted by ${signal}`));
  };
  const installed: NodeJS.Signals[] = [];
  const removeHandlers = (): void => {
    for (const signal of installed.splice(0)) process.removeListener(signal, onSignal);
  };
  if (isMainThread) {
    for (const signal of kSignals) {
      // Like asyncio's Runner: only where the default handling is in place.
      if (process.listenerCount(signal) === 0) {
        process.on(signal, onSignal);
        installed.push(signal);
      }
    }
  }
  try {
    task = createTask(main, { name: 'main' });
    return await task;
  } finally {
    try {
      await cancelLeftovers(loop);
    } finally {
      removeHandlers();
      loop.close();
      active = false;
    }
  }
}
