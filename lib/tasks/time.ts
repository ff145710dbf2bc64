/** Sleeping, deadlines and shielding, on the thread's default EventLoop. */
import { setMaxListeners } from 'node:events';
import { InvalidArgumentError, TimeoutError } from '../errors.js';
import { getEventLoop } from '../loop/event-loop.js';
import { sleepOn } from '../loop/sleep.js';

/** Options carrying a cancellation signal. */
export interface SignalOptions {
  /** Aborting it cancels the operation, which rejects with `signal.reason`. */
  signal?: AbortSignal;
}

function checkMs(value: unknown, name: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InvalidArgumentError(`${name} must be a number, got ${String(value)}`);
  }
  return value;
}

/**
 * Resolves after `ms` milliseconds (a timer on the default loop). Always yields, even for
 * `ms <= 0`.
 *
 * @throws the signal's reason if aborted (the timer is removed).
 */
export function sleep(ms: number, options: SignalOptions = {}): Promise<void> {
  checkMs(ms, 'ms');
  return sleepOn(getEventLoop(), ms, options.signal);
}

/**
 * Runs `fn(signal)` with a deadline `ms` from now. At the deadline the signal `fn`
 * received aborts with a {@link TimeoutError}, and if `fn` then rejects with it,
 * `timeout` throws it. Scopes nest: an outer deadline or the caller's signal aborting
 * first propagates its own reason unchanged.
 *
 * @example
 * ```ts
 * const data = await timeout(5000, (signal) => loop.sockRecv(fd, 1024, { signal }));
 * ```
 */
export function timeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>, options: SignalOptions = {}): Promise<T> {
  checkMs(ms, 'ms');
  return timeoutAt(getEventLoop().time() + Math.max(ms, 0), fn, options, ms);
}

/** Like {@link timeout}, with an absolute deadline on the `loop.time()` clock. */
export async function timeoutAt<T>(
  whenMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
  options: SignalOptions = {},
  relativeMs?: number,
): Promise<T> {
  checkMs(whenMs, 'whenMs');
  if (typeof fn !== 'function') throw new InvalidArgumentError('fn must be a function');
  const { signal } = options;
  signal?.throwIfAborted();
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const reason = new TimeoutError(
    relativeMs === undefined ? 'The deadline passed' : `The operation timed out after ${relativeMs} ms`,
  );
  const timer = getEventLoop().callAt(whenMs, () => controller.abort(reason));
  const onAbort = (): void => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn(controller.signal);
  } finally {
    timer.cancel();
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits for `work` but lets the caller stop waiting: aborting `signal` rejects this call
 * with the signal's reason while `work` carries on (asyncio's `shield`). Keep a reference
 * to `work` if its outcome still matters.
 */
export function shield<T>(work: PromiseLike<T>, options: SignalOptions = {}): Promise<T> {
  const { signal } = options;
  if (signal === undefined) return Promise.resolve(work);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(work).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Promises in the order the inputs settle (asyncio's `as_completed`): the i-th promise
 * settles like the i-th input to settle. `Promise.race` gives only the first.
 *
 * @example
 * ```ts
 * for (const next of asCompleted(requests)) console.log(await next);
 * ```
 */
export function asCompleted<T>(inputs: Iterable<PromiseLike<T>>): Promise<T>[] {
  const list = [...inputs];
  const outputs: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  const promises = list.map(
    () =>
      new Promise<T>((resolve, reject) => {
        outputs.push({ resolve, reject });
      }),
  );
  let next = 0;
  for (const input of list) {
    Promise.resolve(input).then(
      (value) => outputs[next++]!.resolve(value),
      (error: unknown) => outputs[next++]!.reject(error),
    );
  }
  return promises;
}
