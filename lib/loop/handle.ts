/** Handles returned by callSoon / callLater / callAt. */
import type { CallbackContext } from './context.js';

// Marks a cancelled handle in its callback slot, so a handle needs no separate flag
// (one field less on every timer matters at a million timers).
const kCancelled = (): void => undefined;

/** A scheduled callback. `cancel()` is idempotent and a no-op once it has run. */
export class Handle {
  /** @internal The callback; `null` once run, `kCancelled` once cancelled. */
  callback: (() => void) | null;
  /** @internal The context captured when the callback was scheduled (context.ts). */
  readonly context: CallbackContext;

  /** @internal */
  constructor(callback: () => void, context: CallbackContext) {
    this.callback = callback;
    this.context = context;
  }

  /** Prevents the callback from running, if it has not run yet. Idempotent. */
  cancel(): void {
    if (this.callback === null || this.callback === kCancelled) return;
    this.callback = kCancelled;
    this.onCancel();
  }

  /** Whether `cancel()` was called before the callback ran. */
  cancelled(): boolean {
    return this.callback === kCancelled;
  }

  /** @internal Takes the callback for running: returns null if cancelled or already run. */
  take(): (() => void) | null {
    const callback = this.callback;
    if (callback === kCancelled) return null;
    this.callback = null;
    return callback;
  }

  /** @internal */
  protected onCancel(): void {}
}

/** What a TimerHandle tells its loop when cancelled while scheduled. */
export interface TimerOwner {
  timerCancelled(timer: TimerHandle): void;
}

/** A callback scheduled for a time on the loop's clock (`loop.time()`). */
export class TimerHandle extends Handle {
  /** @internal Absolute time on the loop's clock. */
  readonly whenMs: number;
  /** @internal Scheduling order, so equal deadlines run first-in first-out. */
  readonly seq: number;
  /** @internal The loop while the timer is scheduled; null once due or cancelled. */
  owner: TimerOwner | null;
  /** @internal The next timer on the loop's in-order FIFO (timer-heap.ts). */
  next: TimerHandle | null = null;

  /** @internal */
  constructor(whenMs: number, seq: number, callback: () => void, owner: TimerOwner, context: CallbackContext) {
    super(callback, context);
    this.whenMs = whenMs;
    this.seq = seq;
    this.owner = owner;
  }

  /** The absolute time (ms, on the `loop.time()` clock) the callback is due. */
  when(): number {
    return this.whenMs;
  }

  /** @internal */
  protected override onCancel(): void {
    const owner = this.owner;
    this.owner = null;
    owner?.timerCancelled(this);
  }
}
