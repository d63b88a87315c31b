// Timers that all run for the same duration expire in the order they were set: one FIFO and one
// clock timer for its head replace a timer per entry. Used for Timer J (64*T1) of completed UDP
// non-INVITE server transactions, thousands of which are alive at once under load
// (bench/RESULTS.md: a setTimeout, its closures and its handle per transaction were GC work), and
// for the timers E, F and K of non-INVITE client transactions (one queue per duration).
//
// Entries that are mostly cancelled soon after they were added, in about the order they were added
// (Timer F of transactions answered in milliseconds), leave the front of the FIFO as they are
// cancelled, so the FIFO stays short; the clock timer is not re-armed for each cancel (it may wake
// once early and re-arm), and is cancelled when the queue empties.
import type { Clock, TimerHandle } from '../clock.ts';

export interface Expiring {
  expire(): void;
}

export class ExpiryQueue<T extends object = Expiring> {
  readonly #clock: Clock;
  /** How long every entry waits. */
  readonly ms: number;
  /** Entries may fire up to this much late, so that one clock timer serves many of them. */
  readonly #slackMs: number;
  readonly #fire: (item: T) => void;
  #items: Array<T | undefined> = [];
  #deadlines: number[] = [];
  /** index of the first entry neither expired nor cancelled (or #items.length) */
  #head = 0;
  /** ticket of #items[0] */
  #base = 0;
  #timer: TimerHandle | undefined;
  /** #fire() is running: it arms the timer itself when done */
  #firing = false;

  /**
   * `fire` is what expiry does to an entry; default `item.expire()`. Each queue with its own
   * `fire` serves one kind of timer (the same object may wait in several queues).
   */
  constructor(clock: Clock, ms: number, slackMs = 0, fire?: (item: T) => void) {
    this.#clock = clock;
    this.ms = ms;
    this.#slackMs = slackMs;
    this.#fire = fire ?? ((item) => { (item as unknown as Expiring).expire(); });
  }

  /** Entries waiting (cancelled ones behind the first live entry included). */
  get size(): number { return this.#items.length - this.#head; }

  /** Schedules the entry's expiry in `ms`; returns a ticket for cancel(). */
  add(item: T): number {
    const ticket = this.#base + this.#items.length;
    this.#items.push(item);
    this.#deadlines.push(this.#clock.now() + this.ms);
    if (this.#timer === undefined && !this.#firing) this.#arm();
    return ticket;
  }

  cancel(ticket: number): void {
    const i = ticket - this.#base;
    if (i < this.#head || i >= this.#items.length) return;
    this.#items[i] = undefined;
    if (i !== this.#head || this.#firing) return;
    // The first entry went: the front moves past every cancelled one.
    while (this.#head < this.#items.length && this.#items[this.#head] === undefined) this.#head++;
    if (this.#head === this.#items.length) {
      this.#timer?.cancel();
      this.#timer = undefined;
    }
    this.#compact();
  }

  #arm(): void {
    const wait = (this.#deadlines[this.#head] as number) - this.#clock.now();
    this.#timer = this.#clock.setTimer(Math.max(0, wait) + this.#slackMs, () => { this.#expire(); });
  }

  #expire(): void {
    this.#timer = undefined;
    this.#firing = true;
    const now = this.#clock.now();
    while (this.#head < this.#items.length && (this.#deadlines[this.#head] as number) <= now) {
      const item = this.#items[this.#head];
      this.#items[this.#head] = undefined;
      this.#head++;
      if (item !== undefined) this.#fire(item);
    }
    // Cancelled entries at the front (cancelled while firing) go too.
    while (this.#head < this.#items.length && this.#items[this.#head] === undefined) this.#head++;
    this.#firing = false;
    this.#compact();
    if (this.#head < this.#items.length) this.#arm();
  }

  /** Drops the consumed front of the FIFO: all of it once empty, else by the thousands. */
  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#base += this.#head;
      this.#items.length = 0;
      this.#deadlines.length = 0;
      this.#head = 0;
    } else if (this.#head > 4096) {
      this.#items.splice(0, this.#head);
      this.#deadlines.splice(0, this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }
}
