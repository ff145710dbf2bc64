/**
 * The thread's default loop. The loop layer cannot name the class the public
 * `getEventLoop()` returns (it lives above the sockets, which sit above this layer), so
 * that module registers its constructor here when it loads.
 */
import { BaseEventLoop } from './base-event-loop.js';

let current: BaseEventLoop | null = null;
let create: () => BaseEventLoop = () => new BaseEventLoop();

/** @internal Called once by the module that defines `EventLoop`. */
export function setDefaultLoopFactory(factory: () => BaseEventLoop): void {
  create = factory;
}

/**
 * The current thread's default loop (each worker thread has its own), created on first
 * use, and created afresh if the previous one was closed.
 */
export function currentLoop(): BaseEventLoop {
  if (current === null || current.closed) current = create();
  return current;
}

/** The default loop if one is open, without creating one. */
export function existingLoop(): BaseEventLoop | null {
  return current !== null && !current.closed ? current : null;
}
