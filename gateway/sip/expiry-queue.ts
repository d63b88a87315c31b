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
//
// Nothing here takes long at once, so that a burst of requests is not kept waiting: the FIFO is
// a list of fixed-size chunks dropped from the front as they are consumed (splicing the front off
// one array of 64*T1 of entries took 0.25 ms), and a queue may fire a bounded number of entries a
// turn, the rest a timer later (200 Timer J expiries at once took 0.23 ms at 2,000 transactions/s).
import type { Clock, TimerHandle } from '../clock.ts';

export interface Expiring {
  expire(): void;
}

/** A bound for `maxPerTurn` that keeps a turn well under 0.1 ms (Timer J, endpoint.ts). */
export const MAX_PER_TURN = 64;

/** Entries per chunk of the FIFO. */
const CHUNK = 1024;

interface Chunk<T> {
  items: Array<T | undefined>;
  deadlines: Float64Array;
}

export class ExpiryQueue<T extends object = Expiring> {
  readonly #clock: Clock;
  /** How long every entry waits. */
  readonly ms: number;
  /** Entries may fire up to this much late, so that one clock timer serves many of them. */
  readonly #slackMs: number;
  readonly #fire: (item: T) => void;
  readonly #maxPerTurn: number;
  /** #chunks[0] holds tickets #base to #base + CHUNK - 1 */
  #chunks: Array<Chunk<T>> = [];
  #base = 0;
  /** ticket of the first entry neither expired nor cancelled (or #tail) */
  #head = 0;
  /** the next ticket */
  #tail = 0;
  #timer: TimerHandle | undefined;
  /** #fire() is running: it arms the timer itself when done */
  #firing = false;

  /**
   * `fire` is what expiry does to an entry; default `item.expire()`. Each queue with its own
   * `fire` serves one kind of timer (the same object may wait in several queues). With
   * `maxPerTurn`, one turn fires at most that many entries and the rest due wait for a timer of
   * the next turn (at least 1 ms later): for entries that may fire late (those with slack).
   */
  constructor(clock: Clock, ms: number, slackMs = 0, fire?: (item: T) => void, maxPerTurn = Infinity) {
    this.#clock = clock;
    this.ms = ms;
    this.#slackMs = slackMs;
    this.#fire = fire ?? ((item) => { (item as unknown as Expiring).expire(); });
    this.#maxPerTurn = maxPerTurn;
  }

  /** Entries waiting (cancelled ones behind the first live entry included). */
  get size(): number { return this.#tail - this.#head; }

  /** Schedules the entry's expiry in `ms`; returns a ticket for cancel(). */
  add(item: T): number {
    const ticket = this.#tail++;
    const i = ticket - this.#base;
    let chunk = this.#chunks[i >> 10];
    if (chunk === undefined) {
      chunk = { items: new Array<T | undefined>(CHUNK), deadlines: new Float64Array(CHUNK) };
      this.#chunks.push(chunk);
    }
    chunk.items[i & (CHUNK - 1)] = item;
    chunk.deadlines[i & (CHUNK - 1)] = this.#clock.now() + this.ms;
    if (this.#timer === undefined && !this.#firing) this.#arm(0);
    return ticket;
  }

  cancel(ticket: number): void {
    if (ticket < this.#head || ticket >= this.#tail) return;
    this.#set(ticket, undefined);
    if (ticket !== this.#head || this.#firing) return;
    // The first entry went: the front moves past every cancelled one.
    this.#skipCancelled();
    if (this.#head === this.#tail) {
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }

  #item(ticket: number): T | undefined {
    const i = ticket - this.#base;
    return (this.#chunks[i >> 10] as Chunk<T>).items[i & (CHUNK - 1)];
  }

  #deadline(ticket: number): number {
    const i = ticket - this.#base;
    return (this.#chunks[i >> 10] as Chunk<T>).deadlines[i & (CHUNK - 1)] as number;
  }

  #set(ticket: number, item: T | undefined): void {
    const i = ticket - this.#base;
    (this.#chunks[i >> 10] as Chunk<T>).items[i & (CHUNK - 1)] = item;
  }

  /** The front moves past cancelled entries; consumed chunks are dropped. */
  #skipCancelled(): void {
    while (this.#head < this.#tail && this.#item(this.#head) === undefined) this.#advance();
  }

  #advance(): void {
    this.#head++;
    if (this.#head === this.#tail) {
      // Empty: start over at the first slot of a fresh chunk list.
      this.#chunks.length = 0;
      this.#base = this.#head;
    } else if (this.#head - this.#base >= CHUNK) {
      this.#chunks.shift();
      this.#base += CHUNK;
    }
  }

  /** Arms the clock timer for the first entry, or (`laterMs` 0) a turn soon for the rest due now. */
  #arm(laterMs: number): void {
    const wait = laterMs > 0 ? laterMs : this.#deadline(this.#head) - this.#clock.now() + this.#slackMs;
    this.#timer = this.#clock.setTimer(Math.max(0, wait), () => { this.#expire(); });
  }

  #expire(): void {
    this.#timer = undefined;
    this.#firing = true;
    const now = this.#clock.now();
    let fired = 0;
    while (this.#head < this.#tail && fired < this.#maxPerTurn && this.#deadline(this.#head) <= now) {
      const item = this.#item(this.#head);
      this.#set(this.#head, undefined);
      this.#advance();
      if (item !== undefined) {
        fired++;
        this.#fire(item);
      }
    }
    // Cancelled entries at the front (cancelled while firing) go too.
    this.#skipCancelled();
    this.#firing = false;
    if (this.#head === this.#tail) return;
    // More due: the next turn, after the I/O that arrived meanwhile (a timer runs no sooner than 1 ms).
    this.#arm(this.#deadline(this.#head) <= now ? 1 : 0);
  }
}
