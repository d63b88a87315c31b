// Deadlines of many long-lived entries that each run for their own duration (the expiry of every
// subscription dialog, RFC 6665 §4.2.2), on one clock timer: entries sit in buckets of `tickMs`
// (one second) and the timer wakes for the earliest non-empty bucket. An entry costs a slot in a
// Set instead of a timer, its handle and closures (docs/presence.md: memory per subscription);
// the price is that an entry fires up to `tickMs` late, never early. Compare sip/expiry-queue.ts,
// for entries that all wait the same time. Shared: the SIP notifier's dialogs, and the soft state
// of PUBLISHed presence in the core (core/presence/compositor.ts), which may not import the edge.
import type { Clock, TimerHandle } from './clock.ts';

export interface Expiring {
  expire(): void;
}

export class DeadlineWheel {
  readonly #clock: Clock;
  readonly #tickMs: number;
  readonly #buckets = new Map<number, Set<Expiring>>();
  #timer: TimerHandle | undefined;
  /** the bucket the timer is set for */
  #armed = Infinity;

  constructor(clock: Clock, tickMs = 1000) {
    this.#clock = clock;
    this.#tickMs = tickMs;
  }

  /** Entries waiting. */
  get size(): number {
    let n = 0;
    for (const b of this.#buckets.values()) n += b.size;
    return n;
  }

  /** Schedules item.expire() at clock time `at` (up to tickMs later); returns the ticket for cancel(). */
  add(item: Expiring, at: number): number {
    const bucket = Math.ceil(at / this.#tickMs);
    let set = this.#buckets.get(bucket);
    if (set === undefined) {
      set = new Set();
      this.#buckets.set(bucket, set);
    }
    set.add(item);
    if (bucket < this.#armed) this.#arm(bucket);
    return bucket;
  }

  cancel(item: Expiring, ticket: number): void {
    const set = this.#buckets.get(ticket);
    if (set === undefined) return;
    set.delete(item);
    // An emptied bucket goes; the timer set for it finds nothing and re-arms (cheaper than
    // searching for the next bucket on every cancel).
    if (set.size === 0) this.#buckets.delete(ticket);
  }

  #arm(bucket: number): void {
    this.#timer?.cancel();
    this.#armed = bucket;
    this.#timer = this.#clock.setTimer(Math.max(0, bucket * this.#tickMs - this.#clock.now()), () => { this.#fire(); });
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armed = Infinity;
    const now = this.#clock.now();
    const due: Expiring[] = [];
    let next = Infinity;
    for (const [bucket, set] of this.#buckets) {
      if (bucket * this.#tickMs <= now) {
        for (const item of set) due.push(item);
        this.#buckets.delete(bucket);
      } else if (bucket < next) {
        next = bucket;
      }
    }
    if (next < Infinity) this.#arm(next);
    for (const item of due) item.expire();
  }

  /** Drops every entry without firing it. */
  clear(): void {
    this.#buckets.clear();
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#armed = Infinity;
  }
}
