// Timers that all run for the same duration expire in the order they were set: one FIFO and one
// clock timer for its head replace a timer per entry. Used for Timer J (64*T1) of completed UDP
// non-INVITE server transactions, thousands of which are alive at once under load
// (bench/RESULTS.md: a setTimeout, its closures and its handle per transaction were GC work).
import type { Clock, TimerHandle } from '../clock.ts';

export interface Expiring {
  expire(): void;
}

export class ExpiryQueue {
  readonly #clock: Clock;
  /** How long every entry waits. */
  readonly ms: number;
  /** Entries may fire up to this much late, so that one clock timer serves many of them. */
  readonly #slackMs: number;
  #items: Array<Expiring | undefined> = [];
  #deadlines: number[] = [];
  /** index of the first live entry */
  #head = 0;
  /** ticket of #items[0] */
  #base = 0;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, ms: number, slackMs = 0) {
    this.#clock = clock;
    this.ms = ms;
    this.#slackMs = slackMs;
  }

  /** Entries not yet expired nor cancelled ones at the head. */
  get size(): number { return this.#items.length - this.#head; }

  /** Schedules item.expire() in `ms`; returns a ticket for cancel(). */
  add(item: Expiring): number {
    const ticket = this.#base + this.#items.length;
    this.#items.push(item);
    this.#deadlines.push(this.#clock.now() + this.ms);
    if (this.#timer === undefined) this.#arm();
    return ticket;
  }

  cancel(ticket: number): void {
    const i = ticket - this.#base;
    if (i >= this.#head && i < this.#items.length) this.#items[i] = undefined;
  }

  #arm(): void {
    const wait = (this.#deadlines[this.#head] as number) - this.#clock.now();
    this.#timer = this.#clock.setTimer(Math.max(0, wait) + this.#slackMs, () => { this.#fire(); });
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    while (this.#head < this.#items.length && (this.#deadlines[this.#head] as number) <= now) {
      const item = this.#items[this.#head];
      this.#items[this.#head] = undefined;
      this.#head++;
      item?.expire();
    }
    if (this.#head === this.#items.length || this.#head > 4096) {
      this.#items.splice(0, this.#head);
      this.#deadlines.splice(0, this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
    if (this.#head < this.#items.length) this.#arm();
  }
}
