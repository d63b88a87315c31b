// Remembers where a stanza we sent came from, so an XMPP error that comes back for it can be
// reported (and, later, turned into an IMDN). Bounded: the oldest entries go first.
export interface Origin { callId: string; from: string; agreement: string }

export class OriginTracker {
  readonly #max: number;
  readonly #byId = new Map<string, Origin>();

  constructor(max = 100_000) {
    this.#max = max;
  }

  remember(id: string, origin: Origin): void {
    this.#byId.set(id, origin);
    if (this.#byId.size > this.#max) {
      const oldest = this.#byId.keys().next().value;
      if (oldest !== undefined) this.#byId.delete(oldest);
    }
  }

  take(id: string): Origin | undefined {
    const o = this.#byId.get(id);
    if (o) this.#byId.delete(id);
    return o;
  }
}
