/** Barrier: `parties` tasks wait until all of them have arrived (asyncio.Barrier). */
import { BrokenBarrierError, InvalidArgumentError } from '../errors.js';
import type { WaitOptions } from './lock.js';
import { signalOf } from '../internal/args.js';
import { describeValue } from '../internal/fd.js';
import { WaitQueue } from './waiters.js';

/**
 * A cyclic barrier for `parties` tasks. Each `wait()` resolves with a distinct index in
 * `[0, parties)` once the last party arrives; then the barrier is ready for the next
 * round. A waiter cancelled before the round completes leaves it (the count drops back).
 */
export class Barrier {
  readonly parties: number;
  #waiters = new WaitQueue<number>();
  #count = 0;
  #broken = false;

  constructor(parties: number) {
    if (!Number.isInteger(parties) || parties < 1) throw new InvalidArgumentError(`parties must be an integer >= 1, got ${describeValue(parties)}`);
    this.parties = parties;
  }

  /** Tasks waiting in the current round. */
  get nWaiting(): number {
    return this.#count;
  }

  /** Whether the barrier is broken (after `abort()`). */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Waits for the other parties.
   *
   * @returns this party's index in the round (the last to arrive gets `parties - 1`).
   * @throws {BrokenBarrierError} if the barrier is or becomes broken or is reset.
   */
  async wait(options?: WaitOptions): Promise<number> {
    const signal = signalOf(options, 'Barrier.wait');
    signal?.throwIfAborted();
    if (this.#broken) throw new BrokenBarrierError();
    const index = this.#count++;
    if (this.#count === this.parties) {
      // Last to arrive: release the round. The others get their arrival index.
      let i = 0;
      const round = this.#waiters;
      this.#waiters = new WaitQueue<number>();
      this.#count = 0;
      while (round.wakeOne(i)) i++;
      return index;
    }
    const round = this.#waiters;
    return round.wait(signal, () => {
      if (round === this.#waiters) this.#count--;
    });
  }

  /** Breaks the current round (waiters get {@link BrokenBarrierError}) and starts afresh. */
  reset(): void {
    const round = this.#waiters;
    this.#waiters = new WaitQueue<number>();
    this.#count = 0;
    this.#broken = false;
    round.rejectAll(new BrokenBarrierError('The barrier was reset'));
  }

  /** Breaks the barrier for good: current and future waits throw {@link BrokenBarrierError}. */
  abort(): void {
    this.#broken = true;
    this.#count = 0;
    this.#waiters.rejectAll(new BrokenBarrierError('The barrier was aborted'));
  }
}
