/** The record a selector keeps per registered fd. */
import type { FileObject } from '../internal/fd.js';
import type { Waker } from './waker.js';

/** Readiness for reading (Python's `selectors.EVENT_READ`). */
export const EVENT_READ = 1;
/** Readiness for writing (Python's `selectors.EVENT_WRITE`). */
export const EVENT_WRITE = 2;

/**
 * Opt-in registration flags for `register(fileobj, events, data, options)` and `modify`.
 * The default (none) is level-triggered: an fd is reported on every `select()` while it
 * stays ready.
 */
export interface RegisterOptions {
  /**
   * Edge-triggered: a direction is reported once per new arrival of readiness (new data,
   * new buffer space), not again while it stays ready, so read/write until `EAGAIN`
   * before selecting again. epoll (`EPOLLET`) and kqueue (`EV_CLEAR`) only.
   */
  edge?: boolean;
  /**
   * One-shot: after the fd is reported once it stays registered but disarmed (its key's
   * `armed` is `false`) until `modify` re-arms it. epoll (`EPOLLONESHOT`) and kqueue
   * (`EV_DISPATCH`) only.
   */
  oneshot?: boolean;
  /**
   * `EPOLLEXCLUSIVE`: when several epoll selectors (one per thread) watch the same
   * listening socket, a new connection wakes one of them rather than all. epoll only,
   * not with `oneshot`; the kernel cannot modify such a registration, so `modify` of it
   * throws (unregister and register again).
   */
  exclusive?: boolean;
}

/**
 * One registration: the file object as given, its fd, the events watched and the
 * caller's data. Frozen; `modify` returns a new key rather than changing this one.
 */
export class SelectorKey<TData = unknown> {
  /** Exactly what was passed to `register`; the {@link Waker} for the waker's key. */
  readonly fileobj: FileObject | Waker;
  /** The fd it resolved to. */
  readonly fd: number;
  /** The registered mask: {@link EVENT_READ}, {@link EVENT_WRITE} or both. */
  readonly events: number;
  /** Opaque user data (a callback, a session, …). */
  readonly data: TData;
  /** Registered edge-triggered ({@link RegisterOptions.edge}). */
  readonly edge: boolean;
  /** Registered one-shot ({@link RegisterOptions.oneshot}). */
  readonly oneshot: boolean;
  /** Registered with `EPOLLEXCLUSIVE` ({@link RegisterOptions.exclusive}). */
  readonly exclusive: boolean;
  /**
   * `false` once a one-shot registration has been reported: the selector then holds (and
   * `getKey`/`getMap` return) a disarmed copy of the key until `modify` re-arms it.
   * Always `true` for other registrations.
   */
  readonly armed: boolean;

  constructor(
    fileobj: FileObject | Waker,
    fd: number,
    events: number,
    data: TData,
    options: Readonly<RegisterOptions> = {},
    armed = true,
  ) {
    this.fileobj = fileobj;
    this.fd = fd;
    this.events = events;
    this.data = data;
    this.edge = options.edge === true;
    this.oneshot = options.oneshot === true;
    this.exclusive = options.exclusive === true;
    this.armed = armed;
    Object.freeze(this);
  }
}
