/** run(main): asyncio.run's counterpart. */
import { getEventLoop } from '../loop/event-loop.js';
import { createTask } from './task.js';

/**
 * Runs `main(signal)` as a task on the thread's default loop (set `IOREACTOR_DEBUG=1` for
 * debug mode), waits for it, closes the
 * loop (waking anything still waiting on it with `ClosedError`) and returns main's result
 * or throws its error. A task that failed without anyone awaiting it is reported like an
 * unhandled rejection, so it is never lost.
 *
 * @example
 * ```ts
 * await run(async (signal) => {
 *   await sleep(100, { signal });
 *   return 'done';
 * });
 * ```
 */
export async function run<T>(main: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const loop = getEventLoop();
  try {
    return await createTask(main, { name: 'main' });
  } finally {
    loop.close();
  }
}
