/**
 * A FIFO of pending waits shared by the synchronisation primitives. A waiter is either
 * woken (it then owns what it was handed) or aborted (it is removed first), never both,
 * so no wake-up is lost to a cancelled waiter.
 */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface Entry<T> extends Waiter<T> {
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class WaitQueue<T> {
  #entries = new Set<Entry<T>>();

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Waits to be woken. `onCancel` runs if the signal aborts first (after the waiter has
   * been removed), for primitives that must undo something.
   */
  wait(signal: AbortSignal | undefined, onCancel?: () => void): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const entry: Entry<T> = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        entry.onAbort = () => {
          if (!this.#entries.delete(entry)) return;
          onCancel?.();
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#entries.add(entry);
    });
  }

  /** Wakes the oldest waiter with `value`. @returns false if nobody waits. */
  wakeOne(value: T): boolean {
    for (const entry of this.#entries) {
      this.#take(entry);
      entry.resolve(value);
      return true;
    }
    return false;
  }

  /** Wakes every waiter with `value`. @returns how many. */
  wakeAll(value: T): number {
    const entries = [...this.#entries];
    for (const entry of entries) {
      this.#take(entry);
      entry.resolve(value);
    }
    return entries.length;
  }

  /** Rejects every waiter with `error`. */
  rejectAll(error: unknown): void {
    for (const entry of [...this.#entries]) {
      this.#take(entry);
      entry.reject(error);
    }
  }

  #take(entry: Entry<T>): void {
    this.#entries.delete(entry);
    if (entry.onAbort !== undefined) entry.signal!.removeEventListener('abort', entry.onAbort);
  }
}
