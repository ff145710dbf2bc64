/** Handles returned by callSoon / callLater / callAt. */

/** A scheduled callback. `cancel()` is idempotent and a no-op once it has run. */
export class Handle {
  /** @internal */
  callback: (() => void) | null;
  #cancelled = false;

  /** @internal */
  constructor(callback: () => void) {
    this.callback = callback;
  }

  /** Prevents the callback from running, if it has not run yet. Idempotent. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.callback = null;
    this.onCancel();
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this.#cancelled;
  }

  /** @internal */
  protected onCancel(): void {}
}

/** A callback scheduled for a time on the loop's clock (`loop.time()`). */
export class TimerHandle extends Handle {
  /** @internal Absolute time on the loop's clock. */
  readonly whenMs: number;
  /** @internal Scheduling order, so equal deadlines run first-in first-out. */
  readonly seq: number;
  /** @internal Called once when cancelled while still scheduled. */
  onCancelled: ((handle: TimerHandle) => void) | null;

  /** @internal */
  constructor(whenMs: number, seq: number, callback: () => void, onCancelled: (handle: TimerHandle) => void) {
    super(callback);
    this.whenMs = whenMs;
    this.seq = seq;
    this.onCancelled = onCancelled;
  }

  /** The absolute time (ms, on the `loop.time()` clock) the callback is due. */
  when(): number {
    return this.whenMs;
  }

  /** @internal */
  protected override onCancel(): void {
    const notify = this.onCancelled;
    this.onCancelled = null;
    notify?.(this);
  }
}
