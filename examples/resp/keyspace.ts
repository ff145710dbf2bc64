/**
 * The keyspace: binary-safe keys (a Buffer's bytes as a latin1 string, one char per byte,
 * so every byte sequence maps to a distinct Map key) with per-key expiry, removed lazily
 * on access and by a periodic sweep that samples keys the way Redis's `activeExpireCycle`
 * does.
 */

/** A stored value, by Redis type. */
export type Value =
  | { type: 'string'; value: Buffer }
  | { type: 'list'; value: Buffer[] }
  | { type: 'set'; value: Set<string> }
  | { type: 'hash'; value: Map<string, Buffer> }
  | { type: 'zset'; value: Map<string, number> };

/** Schedules `callback` after `delayMs`; returns something to cancel it with. */
export type Scheduler = (delayMs: number, callback: () => void) => { cancel(): void };

/** A key (or member, or field) as a Map key: its bytes as latin1. */
export function keyOf(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** The bytes a {@link keyOf} string stands for. */
export function bytesOf(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** How often the sweep runs (Redis's default `hz` 10). */
const SWEEP_INTERVAL_MS = 100;
/** Keys sampled per round (Redis's `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`). */
const SAMPLE = 20;
/** A sweep stops after this long even if many sampled keys were expired. */
const SWEEP_BUDGET_MS = 2;

/** One database: values plus expiry deadlines (milliseconds since the epoch). */
export class Keyspace {
  readonly #data = new Map<string, Value>();
  /** Deadlines; iteration order is the sweep's round robin (checked keys move to the end). */
  readonly #expires = new Map<string, number>();
  #sweep: { cancel(): void } | null = null;
  /** Keys the sweep removed, for tests and INFO. */
  expiredBySweep = 0;

  /** The live value at `key`, removing it first if its deadline has passed. */
  get(key: string, now = Date.now()): Value | undefined {
    const deadline = this.#expires.get(key);
    if (deadline !== undefined && deadline <= now) {
      this.delete(key);
      return undefined;
    }
    return this.#data.get(key);
  }

  /** Stores `value`; the key's deadline is cleared unless `keepTtl`. */
  set(key: string, value: Value, keepTtl = false): void {
    this.#data.set(key, value);
    if (!keepTtl) this.#expires.delete(key);
  }

  /** Removes `key`; returns whether it existed (expired keys count as absent). */
  delete(key: string): boolean {
    const deadline = this.#expires.get(key);
    const live = this.#data.has(key) && (deadline === undefined || deadline > Date.now());
    this.#data.delete(key);
    this.#expires.delete(key);
    return live;
  }

  /** Sets the deadline of an existing key; a deadline in the past deletes it. */
  expireAt(key: string, deadlineMs: number): void {
    if (deadlineMs <= Date.now()) this.delete(key);
    else this.#expires.set(key, deadlineMs);
  }

  /** Milliseconds left: -2 if there is no such key, -1 if it does not expire. */
  pttl(key: string): number {
    const now = Date.now();
    if (this.get(key, now) === undefined) return -2;
    const deadline = this.#expires.get(key);
    return deadline === undefined ? -1 : deadline - now;
  }

  /** Keys held, expired ones not yet removed included (as Redis's DBSIZE). */
  get size(): number {
    return this.#data.size;
  }

  /** Keys that have a deadline. */
  get volatileSize(): number {
    return this.#expires.size;
  }

  /** Removes everything. */
  flush(): void {
    this.#data.clear();
    this.#expires.clear();
  }

  /** Starts the periodic sweep on `schedule` (the loop's timers). Idempotent. */
  startSweeping(schedule: Scheduler): void {
    if (this.#sweep) return;
    const tick = (): void => {
      this.sweep();
      this.#sweep = schedule(SWEEP_INTERVAL_MS, tick);
    };
    this.#sweep = schedule(SWEEP_INTERVAL_MS, tick);
  }

  /** Cancels the sweep timer, so the process can exit. */
  stopSweeping(): void {
    this.#sweep?.cancel();
    this.#sweep = null;
  }

  /**
   * One sweep: samples {@link SAMPLE} keys with deadlines, removes the expired ones, and
   * repeats while more than a quarter of a sample was expired and the time budget lasts.
   */
  sweep(): void {
    const start = Date.now();
    for (;;) {
      const now = Date.now();
      const sample: [string, number][] = [];
      for (const entry of this.#expires) {
        if (sample.length === SAMPLE) break;
        sample.push(entry);
      }
      let expired = 0;
      for (const [key, deadline] of sample) {
        // Live keys go back in at the end, so the next sample looks at other keys.
        this.#expires.delete(key);
        if (deadline <= now) {
          this.#data.delete(key);
          expired++;
        } else {
          this.#expires.set(key, deadline);
        }
      }
      this.expiredBySweep += expired;
      if (expired <= SAMPLE / 4 || Date.now() - start >= SWEEP_BUDGET_MS) return;
    }
  }
}
