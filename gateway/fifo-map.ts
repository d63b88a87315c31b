// A string-keyed map of at most `max` entries that drops the one set longest ago: the bounded
// caches of the hot paths (address mappings of a fan-out, presence owners, DNS answers).
//
// Not map.delete(map.keys().next().value): a Map keeps the entries it deleted at the front of its
// table until it next rehashes, and keys().next() walks past all of them, so a full cache paid a
// scan of thousands of dead entries per insert (23 µs at 100,000 entries on the bench VM). Here a
// ring of keys records the order of the sets; re-setting a key makes it the newest and leaves its
// old ring slot stale (skipped when its turn comes). Large ones are sharded (./sharded-map.ts): at
// the bound every set evicts, and under that churn a plain Map of 100,000 rehashes all at once.
import { ShardedMap } from './sharded-map.ts';

interface Entry<V> { value: V; seq: number }

/** Shards of at least this many entries: one Map up to 511. */
const MIN_PER_SHARD = 256;

export class FifoMap<V> {
  readonly #map: ShardedMap<Entry<V>>;
  readonly #ring: Array<string | undefined>;
  /** sets so far; the next one goes to ring slot #seq % max, evicting what was set max sets ago */
  #seq = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`FifoMap: max ${max} is not a positive integer`);
    this.#ring = new Array<string | undefined>(max).fill(undefined);
    this.#map = new ShardedMap(Math.max(0, Math.min(8, Math.floor(Math.log2(max / MIN_PER_SHARD)))));
  }

  get size(): number { return this.#map.size; }

  get(key: string): V | undefined { return this.#map.get(key)?.value; }

  has(key: string): boolean { return this.#map.has(key); }

  set(key: string, value: V): this {
    const slot = this.#seq % this.#ring.length;
    const old = this.#ring[slot];
    // Evicted only if that slot is still the old key's latest set (not re-set since).
    if (old !== undefined && this.#map.get(old)?.seq === this.#seq - this.#ring.length) this.#map.delete(old);
    this.#ring[slot] = key;
    this.#map.set(key, { value, seq: this.#seq });
    this.#seq++;
    return this;
  }

  delete(key: string): boolean { return this.#map.delete(key); }

  clear(): void {
    this.#map.clear();
    this.#ring.fill(undefined);
  }
}
