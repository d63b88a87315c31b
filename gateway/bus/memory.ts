// In-process bus: direct dispatch, queue groups served round-robin. Subjects are exact names
// (with a trailing `>` wildcard), which is all the roles use.
import { BusError, type Bus, type Subscription } from './bus.ts';

interface Sub { subject: string; prefix?: string; queue?: string; handler: (data: unknown, subject: string) => void }
interface Server { subject: string; queue?: string; handler: (data: unknown) => unknown }

export class MemoryBus implements Bus {
  readonly #onError: (err: unknown, subject: string) => void;
  #subs: Sub[] = [];
  #servers: Server[] = [];
  #rr = new Map<string, number>();
  #closed = false;
  readonly #deadlines = new Deadlines();

  /** onError hears a subscriber's exception; it never reaches the publisher or other subscribers. */
  constructor(opts: { onError?: (err: unknown, subject: string) => void } = {}) {
    this.#onError = opts.onError ?? (() => {});
  }

  publish(subject: string, data: unknown): void {
    if (this.#closed) throw new BusError('closed', 'bus is closed');
    // Queue groups are collected only when one matches (a publish per NOTIFY of a fan-out).
    let groups: Map<string, Sub[]> | undefined;
    for (const s of this.#subs) {
      if (!(s.subject === subject || (s.prefix !== undefined && subject.startsWith(s.prefix)))) continue;
      if (s.queue === undefined) { this.#deliver(s, data, subject); continue; }
      groups ??= new Map();
      const g = groups.get(s.queue);
      if (g) g.push(s); else groups.set(s.queue, [s]);
    }
    if (groups === undefined) return;
    for (const [q, members] of groups) this.#deliver(members.length === 1 ? members[0] as Sub : this.#pick(`${subject}\0${q}`, members), data, subject);
  }

  subscribe(subject: string, handler: (data: unknown, subject: string) => void, opts: { queue?: string } = {}): Subscription {
    const sub: Sub = { subject, handler };
    if (subject.endsWith('>')) sub.prefix = subject.slice(0, -1);
    if (opts.queue !== undefined) sub.queue = opts.queue;
    // Copy on write, like unsubscribe: a publish in progress keeps the list it started with, so a
    // handler that subscribes does not receive the message being dispatched (nor loop forever).
    this.#subs = [...this.#subs, sub];
    return { unsubscribe: () => { this.#subs = this.#subs.filter((s) => s !== sub); } };
  }

  serve(subject: string, handler: (data: unknown) => unknown, opts: { queue?: string } = {}): Subscription {
    const srv: Server = { subject, handler };
    if (opts.queue !== undefined) srv.queue = opts.queue;
    this.#servers = [...this.#servers, srv];
    return { unsubscribe: () => { this.#servers = this.#servers.filter((s) => s !== srv); } };
  }

  request(subject: string, data: unknown, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new BusError('closed', 'bus is closed'));
    const candidates = this.#servers.filter((s) => s.subject === subject);
    if (candidates.length === 0) return Promise.reject(new BusError('no-responders', `no responders on ${subject}`));
    const srv = this.#pick(subject, candidates);
    const answer = Promise.resolve().then(() => srv.handler(data));
    const timeoutMs = opts.timeoutMs;
    if (timeoutMs === undefined) return answer;
    return new Promise((resolve, reject) => {
      const d = this.#deadlines.add(timeoutMs, () => { reject(new BusError('timeout', `request on ${subject} timed out after ${timeoutMs} ms`)); });
      // In time: the request takes the answer's outcome, whichever it is.
      const settle = (): void => { if (this.#deadlines.settle(d)) resolve(answer); };
      answer.then(settle, settle);
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#subs = [];
    this.#servers = [];
    return Promise.resolve();
  }

  #pick<T>(key: string, members: T[]): T {
    const n = (this.#rr.get(key) ?? 0) % members.length;
    this.#rr.set(key, n + 1);
    return members[n] as T;
  }

  #deliver(s: Sub, data: unknown, subject: string): void {
    try {
      s.handler(data, subject);
    } catch (err) {
      this.#onError(err, subject);
    }
  }
}

interface Deadline { at: number; pending: boolean; expire: (() => void) | undefined; queue: DeadlineQueue }
interface DeadlineQueue { len: number; items: Deadline[]; head: number }

/**
 * Request deadlines without a timer per request: one FIFO per timeout length (deadlines of equal
 * length expire in the order they were set) and one timer, armed for the earliest head. Answered
 * requests leave the front of their FIFO at once (answers come mostly in order), so the lists stay
 * short. The timer keeps the process alive only while a request is unanswered, as a timer per
 * request would.
 */
class Deadlines {
  readonly #queues = new Map<number, DeadlineQueue>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #pending = 0;

  add(timeoutMs: number, expire: () => void): Deadline {
    let queue = this.#queues.get(timeoutMs);
    if (queue === undefined) this.#queues.set(timeoutMs, queue = { len: timeoutMs, items: [], head: 0 });
    const d: Deadline = { at: Date.now() + timeoutMs, pending: true, expire, queue };
    queue.items.push(d);
    if (this.#pending++ === 0) this.#timer?.ref();
    if (d.at < this.#timerAt) this.#arm(d.at);
    return d;
  }

  /** Marks d answered (or expired); false when it was no longer pending. */
  settle(d: Deadline): boolean {
    if (!d.pending) return false;
    d.pending = false;
    d.expire = undefined;
    if (--this.#pending === 0) this.#timer?.unref();
    const q = d.queue;
    while (q.head < q.items.length && !(q.items[q.head] as Deadline).pending) q.head++;
    if (q.head === q.items.length) {
      q.items = [];
      q.head = 0;
    } else if (q.head > 1024 && q.head * 2 > q.items.length) {
      q.items = q.items.slice(q.head);
      q.head = 0;
    }
    return true;
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => { this.#sweep(); }, Math.max(0, at - Date.now()));
    if (this.#pending === 0) this.#timer.unref();
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const q of this.#queues.values()) {
      for (let d = q.items[q.head]; d !== undefined && d.at <= now; d = q.items[q.head]) {
        const expire = d.expire;
        if (this.settle(d)) expire?.();
        else q.head++; // not reached: settle() already moved past answered heads
      }
      const head = q.items[q.head];
      if (head === undefined) this.#queues.delete(q.len);
      else next = Math.min(next, head.at);
    }
    if (next < Infinity) this.#arm(next);
  }
}
