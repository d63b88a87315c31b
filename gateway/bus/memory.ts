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

  /** onError hears a subscriber's exception; it never reaches the publisher or other subscribers. */
  constructor(opts: { onError?: (err: unknown, subject: string) => void } = {}) {
    this.#onError = opts.onError ?? (() => {});
  }

  publish(subject: string, data: unknown): void {
    if (this.#closed) throw new BusError('closed', 'bus is closed');
    const groups = new Map<string, Sub[]>();
    for (const s of this.#subs) {
      if (!(s.subject === subject || (s.prefix !== undefined && subject.startsWith(s.prefix)))) continue;
      if (s.queue === undefined) { this.#deliver(s, data, subject); continue; }
      const g = groups.get(s.queue);
      if (g) g.push(s); else groups.set(s.queue, [s]);
    }
    for (const [q, members] of groups) this.#deliver(this.#pick(`${subject}\0${q}`, members), data, subject);
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

  async request(subject: string, data: unknown, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    if (this.#closed) throw new BusError('closed', 'bus is closed');
    const candidates = this.#servers.filter((s) => s.subject === subject);
    if (candidates.length === 0) throw new BusError('no-responders', `no responders on ${subject}`);
    const srv = this.#pick(subject, candidates);
    const answer = Promise.resolve().then(() => srv.handler(data));
    const timeoutMs = opts.timeoutMs;
    if (timeoutMs === undefined) return answer;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BusError('timeout', `request on ${subject} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
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
