/** Sleeping, deadlines and shielding, on the thread's default event loop. */
import { setMaxListeners } from 'node:events';
import { InvalidArgumentError, TimeoutError } from '../errors.js';
import { checkFunction, checkNumber, type SignalOptions, signalOf } from '../internal/args.js';

export type { SignalOptions };
import { currentLoop } from '../loop/default-loop.js';
import { sleepOn } from '../loop/sleep.js';


/**
 * Resolves after `ms` milliseconds (a timer on the default loop). Always yields, even for
 * `ms <= 0`.
 *
 * @throws the signal's reason if aborted (the timer is removed); `ClosedError` if the
 *   loop closes first.
 */
export function sleep(ms: number, options?: SignalOptions): Promise<void> {
  try {
    checkNumber(ms, 'ms');
    return sleepOn(currentLoop(), ms, signalOf(options, 'sleep'));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Runs `fn(signal)` with a deadline `ms` from now. At the deadline the signal `fn`
 * received aborts with a {@link TimeoutError}; work that honours its signal settles at
 * once with its own outcome (usually that error; a cut-short `sockSendAll` gives its
 * `PartialSendError`), and `timeout` rejects with the `TimeoutError` **even if `fn`
 * ignores its signal** — right after the deadline, while whatever `fn` is still doing
 * goes on in the background with its signal aborted (its outcome is ignored).
 * Likewise, if the caller's `signal` aborts first, `timeout` rejects with its reason at
 * once. Scopes nest: an outer deadline or signal propagates its own reason unchanged. If
 * the loop closes first, it rejects with `ClosedError`.
 *
 * @example
 * ```ts
 * const data = await timeout(5000, (signal) => loop.sockRecv(fd, 1024, { signal }));
 * ```
 */
export function timeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T> | T, options?: SignalOptions): Promise<T> {
  try {
    checkNumber(ms, 'ms');
    return deadline(currentLoop().time() + Math.max(ms, 0), fn, options, `The operation timed out after ${ms} ms`);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Like {@link timeout}, with an absolute deadline on the `loop.time()` clock. */
export function timeoutAt<T>(whenMs: number, fn: (signal: AbortSignal) => Promise<T> | T, options?: SignalOptions): Promise<T> {
  try {
    checkNumber(whenMs, 'whenMs');
    return deadline(whenMs, fn, options, 'The deadline passed');
  } catch (error) {
    return Promise.reject(error);
  }
}

function deadline<T>(
  whenMs: number,
  fn: (signal: AbortSignal) => Promise<T> | T,
  options: SignalOptions | undefined,
  message: string,
): Promise<T> {
  checkFunction(fn, 'fn');
  const signal = signalOf(options, 'timeout');
  if (signal?.aborted) return Promise.reject(signal.reason);
  const loop = currentLoop();
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (ok: boolean, value: unknown): void => {
      if (done) return;
      done = true;
      timer.cancel();
      untrack();
      signal?.removeEventListener('abort', onAbort);
      if (ok) resolve(value as T);
      else reject(value);
    };
    const stop = (reason: unknown): void => {
      controller.abort(reason);
      // Work that honours its signal settles within the microtasks the abort starts
      // (with its own outcome, e.g. a PartialSendError saying how much went out); work
      // that ignores it is abandoned at the next macrotask.
      setImmediate(() => finish(false, reason));
    };
    const onAbort = (): void => stop(signal!.reason);
    const timer = loop.callAt(whenMs, () => stop(new TimeoutError(message)));
    const untrack = loop.trackPending(stop);
    signal?.addEventListener('abort', onAbort, { once: true });
    let work: Promise<T> | T;
    try {
      work = fn(controller.signal);
    } catch (error) {
      finish(false, error);
      return;
    }
    Promise.resolve(work).then(
      (value) => finish(true, value),
      (error: unknown) => finish(false, error),
    );
  });
}

/**
 * Waits for `work` but lets the caller stop waiting: aborting `signal` rejects this call
 * with the signal's reason while `work` carries on (asyncio's `shield`). Keep a reference
 * to `work` if its outcome still matters.
 */
export function shield<T>(work: PromiseLike<T> | T, options?: SignalOptions): Promise<T> {
  let signal: AbortSignal | undefined;
  try {
    signal = signalOf(options, 'shield');
  } catch (error) {
    return Promise.reject(error);
  }
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
export function asCompleted<T>(inputs: Iterable<PromiseLike<T> | T>): Promise<T>[] {
  if (inputs === null || typeof (inputs as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
    throw new InvalidArgumentError('asCompleted expects an iterable of promises');
  }
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
