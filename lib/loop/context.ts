/**
 * Context propagation for loop callbacks (asyncio copies the `contextvars` context for
 * every callback; Node's equivalent is `AsyncLocalStorage`).
 *
 * A callback scheduled or registered on the loop captures the context active at that
 * moment and runs in it, the way Node's own timers do: the capture is an `AsyncResource`
 * created at scheduling time (its `init` hook copies every `AsyncLocalStorage` store, as
 * a `Timeout`'s does) and the callback runs inside its `runInAsyncScope` (the `before` /
 * `after` a `Timeout` gets). On Node 20 this is the only public way to snapshot the stores:
 * `AsyncLocalStorage.run()` sets a store on the *current* resource and puts the old value
 * back when it returns, so keeping a reference to the current resource would see the
 * store as it is when the callback runs, not as it was when it was scheduled.
 *
 * Creating a resource per callback is not free (a million timers cost about half again as
 * much with it), so nothing is captured while nothing can observe a context: with
 * hook-based `AsyncLocalStorage` (Node 20 and 22) stores reach a new resource only through
 * the `init` hook an enabled storage installs, so while no storage has ever been enabled
 * (and no `async_hooks` hook installed) after this module loaded, and none was enabled
 * before (a probe resource created at load carries no store), a capture would copy
 * nothing. Enabling is observed by wrapping `AsyncLocalStorage.prototype._enable` and
 * `AsyncHook.prototype.enable`; the flag never goes back. Where those methods do not exist
 * (Node's `AsyncContextFrame` storage, the default from Node 24) every callback captures.
 */
import { AsyncLocalStorage, AsyncResource, createHook } from 'node:async_hooks';

/** A captured context, or `null` when none needed capturing. */
export type CallbackContext = AsyncResource | null;

let tracking = true;

function observe(proto: object | null, method: string): boolean {
  if (proto === null) return false;
  const original = (proto as Record<string, unknown>)[method];
  if (typeof original !== 'function') return false;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    tracking = true;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  Object.defineProperty(proto, method, { value: wrapped, writable: true, configurable: true, enumerable: false });
  return true;
}

(function setup(): void {
  const hookBased = typeof (new AsyncLocalStorage() as unknown as { kResourceStore?: unknown }).kResourceStore === 'symbol';
  if (!hookBased) return;
  // A storage enabled before this module loaded has copied its store (even `undefined`)
  // onto every resource created since, as an own `kResourceStore` symbol.
  const probe = new AsyncResource('ioreactor.ContextProbe');
  const enabledBefore = Object.getOwnPropertySymbols(probe).some((s) => s.description === 'kResourceStore');
  if (enabledBefore) return;
  const storage = observe(AsyncLocalStorage.prototype, '_enable');
  const hooks = observe(Object.getPrototypeOf(createHook({})) as object | null, 'enable');
  if (storage && hooks) tracking = false;
})();

/**
 * Captures the current context for a callback about to be scheduled. `type` names the
 * resource for `async_hooks` (like `'Timeout'` for Node's timers).
 */
export function captureContext(type: string): CallbackContext {
  return tracking ? new AsyncResource(type) : null;
}
