/** A cancellable timer Promise on a given loop, settled by the loop's close(). */
import type { BaseEventLoop } from './base-event-loop.js';
import { loopClosed } from './fd-table.js';

/**
 * Resolves after `ms` on `loop`; rejects with `signal.reason` (removing the timer) if
 * aborted, and with `ClosedError` if the loop closes first.
 */
export function sleepOn(loop: BaseEventLoop, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (loop.closed) return Promise.reject(loopClosed());
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      untrack();
      reject(signal!.reason);
    };
    const timer = loop.callLater(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      untrack();
      resolve();
    });
    const untrack = loop.trackPending((error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
