/** A cancellable timer Promise on a given loop (used by sleep() and accept back-off). */

/** The part of an EventLoop a sleep needs. */
export interface TimerSource {
  callLater(delayMs: number, callback: () => void): { cancel(): void };
}

/** Resolves after `ms` on `loop`; rejects with `signal.reason` (removing the timer) if aborted. */
export function sleepOn(loop: TimerSource, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(signal!.reason);
    };
    const timer = loop.callLater(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
