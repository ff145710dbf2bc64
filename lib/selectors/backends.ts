/** The concrete selector classes and backend discovery. */
import { BackendUnavailableError } from '../errors.js';
import { native } from '../internal/init.js';
import { BaseSelector, type BackendName } from './base-selector.js';

let available: readonly BackendName[] | undefined;

/**
 * The backends that work on this machine, best first for {@link DefaultSelector}
 * (kqueue, epoll, poll, select). Each is probed by opening it once, as CPython's
 * `_can_use` does.
 *
 * @example
 * ```ts
 * availableBackends(); // ['epoll', 'poll', 'select'] on Linux
 * ```
 */
export function availableBackends(): readonly BackendName[] {
  if (available === undefined) {
    const opened = new Set(native.backends());
    const order: BackendName[] = ['kqueue', 'epoll', 'poll', 'select'];
    available = Object.freeze(order.filter((name) => opened.has(name)));
  }
  return available;
}

function requireBackend(name: BackendName): BackendName {
  if (!availableBackends().includes(name)) {
    throw new BackendUnavailableError(
      `The ${name} backend is not available on ${process.platform}; ` +
        `available: ${availableBackends().join(', ')}`,
    );
  }
  return name;
}

/**
 * Selector over Linux `epoll(7)`. Cost per `select()` follows the number of ready fds.
 *
 * @throws {BackendUnavailableError} when constructed on a platform without epoll.
 */
export class EpollSelector<TData = unknown> extends BaseSelector<TData> {
  constructor() {
    super(requireBackend('epoll'));
  }

  /** The epoll fd (close-on-exec; owned by the selector). */
  fileno(): number {
    return this.nativeFileno();
  }
}

/**
 * Selector over BSD/macOS `kqueue(2)`. An fd ready both ways is reported once, with both
 * bits (unlike CPython's, gh-110038).
 *
 * @throws {BackendUnavailableError} when constructed on a platform without kqueue.
 */
export class KqueueSelector<TData = unknown> extends BaseSelector<TData> {
  constructor() {
    super(requireBackend('kqueue'));
  }

  /** The kqueue fd (close-on-exec; owned by the selector). */
  fileno(): number {
    return this.nativeFileno();
  }
}

/** Selector over POSIX `poll(2)`. Cost per `select()` follows the number registered. */
export class PollSelector<TData = unknown> extends BaseSelector<TData> {
  constructor() {
    super(requireBackend('poll'));
  }
}

/**
 * Selector over POSIX `select(2)`. Only fds below `FD_SETSIZE` (usually 1024) can be
 * registered; cost per call follows the highest fd registered.
 */
export class SelectSelector<TData = unknown> extends BaseSelector<TData> {
  constructor() {
    super(requireBackend('select'));
  }
}

/**
 * The most efficient selector on this platform: kqueue, then epoll, then poll, then
 * select.
 *
 * @example
 * ```ts
 * using sel = new DefaultSelector<string>();
 * sel.register(fd, EVENT_READ, 'client');
 * for (const [key, events] of sel.select(1000)) console.log(key.data, events);
 * ```
 */
export class DefaultSelector<TData = unknown> extends BaseSelector<TData> {
  constructor() {
    const best = availableBackends()[0];
    if (best === undefined) throw new BackendUnavailableError('No selector backend works on this platform');
    super(best);
  }

  /** The kernel object's fd (epoll, kqueue), or -1 when the backend has none (poll, select). */
  fileno(): number {
    return this.nativeFileno();
  }
}
