// Remembers where a stanza we sent came from, so an XMPP error that comes back for it can be
// reported (and, later, turned into an IMDN). Bounded: the oldest entries go first (../fifo-map.ts;
// evicting through map.keys().next() cost 23 µs a message once 100,000 were held).
import { FifoMap } from '../fifo-map.ts';

export interface Origin { callId: string; from: string; agreement: string }

export class OriginTracker {
  readonly #byId: FifoMap<Origin>;

  constructor(max = 100_000) {
    this.#byId = new FifoMap(max);
  }

  remember(id: string, origin: Origin): void {
    this.#byId.set(id, origin);
  }

  take(id: string): Origin | undefined {
    const o = this.#byId.get(id);
    if (o) this.#byId.delete(id);
    return o;
  }

  get size(): number { return this.#byId.size; }
}
