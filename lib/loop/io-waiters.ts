/**
 * Readiness as promises: at most one waiter per fd and direction, on top of the loop's
 * readers and writers. A registration stays armed after a waiter is woken, because the
 * next operation on a busy socket usually waits again at once; it is disarmed when it
 * fires with nobody waiting, when a wait is cancelled, or by notifyClosing(fd). This
 * saves two epoll_ctl calls per message on a request/response connection.
 */
import { BusyResourceError, ClosedError } from '../errors.js';
import type { BaseEventLoop } from './base-event-loop.js';

type Attempt = (resolve: (value: never) => void, reject: (error: unknown) => void) => boolean;

interface Waiter {
  resolve: (value?: never) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /**
   * Runs when the fd is ready, inside the batch: settles the waiter itself and returns
   * true, or returns false to keep waiting (a spurious wake-up). Lets an operation
   * complete with one Promise instead of a wait followed by a retry.
   */
  attempt: Attempt | undefined;
}

/** Per-fd state of the coroutine layer. */
export interface FdWaits {
  reader: Waiter | null;
  writer: Waiter | null;
  readArmed: boolean;
  writeArmed: boolean;
  /** A short read showed the socket drained: wait for readiness before the next recv. */
  drained: boolean;
}

export class IoWaiters {
  #loop: BaseEventLoop;
  #fds = new Map<number, FdWaits>();
  #onReadable = (fd: number): void => this.#fire(fd, true);
  #onWritable = (fd: number): void => this.#fire(fd, false);

  constructor(loop: BaseEventLoop) {
    this.#loop = loop;
  }

  /** The state of fd, created on first use. */
  state(fd: number): FdWaits {
    let state = this.#fds.get(fd);
    if (state === undefined) {
      state = { reader: null, writer: null, readArmed: false, writeArmed: false, drained: false };
      this.#fds.set(fd, state);
    }
    return state;
  }

  /** Number of fds with a pending waiter. */
  get waiting(): number {
    let n = 0;
    for (const state of this.#fds.values()) if (state.reader !== null || state.writer !== null) n++;
    return n;
  }

  /**
   * Resolves when fd is readable (`read`) or writable.
   *
   * @throws {BusyResourceError} if another task already waits for the same thing.
   * @throws the signal's reason when aborted; the registration is then removed.
   */
  wait(fd: number, read: boolean, signal: AbortSignal | undefined): Promise<void> {
    return this.complete<void>(fd, read, signal, undefined);
  }

  /**
   * Like {@link IoWaiters.wait}, but when the fd becomes ready `attempt(resolve, reject)`
   * runs in the batch; it settles the promise and returns true, or returns false to keep
   * waiting.
   */
  complete<T>(
    fd: number,
    read: boolean,
    signal: AbortSignal | undefined,
    attempt: ((resolve: (value: T) => void, reject: (error: unknown) => void) => boolean) | undefined,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = this.state(fd);
    if ((read ? state.reader : state.writer) !== null) {
      return Promise.reject(
        new BusyResourceError(`Another task is already waiting for fd ${fd} to become ${read ? 'readable' : 'writable'}`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: resolve as (value?: never) => void,
        reject,
        signal,
        onAbort: undefined,
        attempt: attempt as Attempt | undefined,
      };
      try {
        if (read && !state.readArmed) {
          this.#loop.addReader(fd, this.#onReadable);
          state.readArmed = true;
        } else if (!read && !state.writeArmed) {
          this.#loop.addWriter(fd, this.#onWritable);
          state.writeArmed = true;
        }
      } catch (error) {
        // A refused registration (EPERM, EBADF) must not leave half a state behind.
        this.#forgetIfIdle(fd);
        reject(error);
        return;
      }
      if (read) state.reader = waiter;
      else state.writer = waiter;
      if (signal !== undefined) {
        waiter.onAbort = () => this.#abort(fd, read, waiter);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
    });
  }

  /**
   * The close protocol (Trio's notify_closing): wake every waiter on fd with
   * {@link ClosedError}, unregister it, and forget its state. Call before closing fd.
   */
  notifyClosing(fd: number): void {
    const state = this.#fds.get(fd);
    if (state === undefined) return;
    this.#fds.delete(fd);
    if (state.readArmed && !this.#loop.closed) this.#loop.removeReader(fd);
    if (state.writeArmed && !this.#loop.closed) this.#loop.removeWriter(fd);
    const error = new ClosedError(`fd ${fd} was closed while an operation waited on it`);
    for (const waiter of [state.reader, state.writer]) {
      if (waiter === null) continue;
      this.#detach(waiter);
      waiter.reject(error);
    }
  }

  /** Rejects every waiter (the loop is closing). */
  closeAll(): void {
    for (const fd of [...this.#fds.keys()]) this.notifyClosing(fd);
  }

  #fire(fd: number, read: boolean): void {
    const state = this.#fds.get(fd);
    if (state === undefined) return;
    if (read) state.drained = false;
    const waiter = read ? state.reader : state.writer;
    if (waiter === null) {
      // Armed but nobody waits: disarm, so a busy fd does not spin the loop.
      if (read) {
        this.#loop.removeReader(fd);
        state.readArmed = false;
      } else {
        this.#loop.removeWriter(fd);
        state.writeArmed = false;
      }
      this.#forgetIfIdle(fd);
      return;
    }
    if (waiter.attempt !== undefined && !waiter.attempt(waiter.resolve, waiter.reject)) return; // still waiting
    if (read) state.reader = null;
    else state.writer = null;
    this.#detach(waiter);
    if (waiter.attempt === undefined) waiter.resolve();
  }

  #abort(fd: number, read: boolean, waiter: Waiter): void {
    const state = this.#fds.get(fd);
    if (state === undefined) return;
    if (read && state.reader === waiter) {
      state.reader = null;
      if (state.readArmed && !this.#loop.closed) this.#loop.removeReader(fd);
      state.readArmed = false;
    } else if (!read && state.writer === waiter) {
      state.writer = null;
      if (state.writeArmed && !this.#loop.closed) this.#loop.removeWriter(fd);
      state.writeArmed = false;
    } else {
      return;
    }
    this.#forgetIfIdle(fd);
    waiter.reject(waiter.signal!.reason);
  }

  #detach(waiter: Waiter): void {
    if (waiter.onAbort !== undefined) waiter.signal!.removeEventListener('abort', waiter.onAbort);
    waiter.onAbort = undefined;
  }

  #forgetIfIdle(fd: number): void {
    const state = this.#fds.get(fd);
    if (state && state.reader === null && state.writer === null && !state.readArmed && !state.writeArmed) {
      this.#fds.delete(fd);
    }
  }
}
