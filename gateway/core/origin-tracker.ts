// Remembers where a stanza we sent came from, so an XMPP error that comes back for it can be
// reported (and, later, turned into an IMDN). Bounded: the oldest entries go first, in the order
// of a ring of ids. (Evicting through map.keys().next() scanned the run of deleted entries a Map
// keeps at its front until it next rehashes: 23 µs a message once full, 9.2 s for 400,000.) The
// map is sharded (../sharded-map.ts): at the bound every message evicts one entry, and a plain Map
// of 100,000 under that churn rehashes all of them at once every few seconds.
import { ShardedMap } from '../sharded-map.ts';

export interface Origin { callId: string; from: string; agreement: string }

export class OriginTracker {
  readonly #byId = new ShardedMap<Origin>();
  /** ids in the order remembered; #next is the oldest once the ring is full */
  readonly #order: Array<string | undefined>;
  #next = 0;

  constructor(max = 100_000) {
    this.#order = new Array<string | undefined>(max).fill(undefined);
  }

  remember(id: string, origin: Origin): void {
    const oldest = this.#order[this.#next];
    if (oldest !== undefined) this.#byId.delete(oldest); // a no-op if it was taken
    this.#order[this.#next] = id;
    this.#next = this.#next + 1 === this.#order.length ? 0 : this.#next + 1;
    this.#byId.set(id, origin);
  }

  take(id: string): Origin | undefined {
    const o = this.#byId.get(id);
    if (o) this.#byId.delete(id);
    return o;
  }

  get size(): number { return this.#byId.size; }
}
