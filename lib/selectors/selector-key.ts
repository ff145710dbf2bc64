/** The record a selector keeps per registered fd. */
import type { FileObject } from '../internal/fd.js';

/** Readiness for reading (Python's `selectors.EVENT_READ`). */
export const EVENT_READ = 1;
/** Readiness for writing (Python's `selectors.EVENT_WRITE`). */
export const EVENT_WRITE = 2;

/**
 * One registration: the file object as given, its fd, the events watched and the
 * caller's data. Frozen; `modify` returns a new key rather than changing this one.
 */
export class SelectorKey<TData = unknown> {
  /** Exactly what was passed to `register`. */
  readonly fileobj: FileObject;
  /** The fd it resolved to. */
  readonly fd: number;
  /** The registered mask: {@link EVENT_READ}, {@link EVENT_WRITE} or both. */
  readonly events: number;
  /** Opaque user data (a callback, a session, …). */
  readonly data: TData;

  constructor(fileobj: FileObject, fd: number, events: number, data: TData) {
    this.fileobj = fileobj;
    this.fd = fd;
    this.events = events;
    this.data = data;
    Object.freeze(this);
  }
}
