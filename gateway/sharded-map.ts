// A string-keyed map split into many small Maps, for tables that hold tens or hundreds of thousands
// of short-lived entries (every transaction of the last 64*T1). V8 grows a Map, and compacts one
// that churns, by rehashing all of its entries in one go: measured on the bench VM, 3.3 ms at
// 65,536 entries, 7.5 ms at 131,072, 12.6 ms for the compaction of a table of 140,000 under
// churn — a stall of the whole event loop that every message in flight waits out
// (bench/RESULTS.md, 2026-12-07). Split 256 ways, a rehash moves 1/256 of the entries.
//
// The shard is picked by FNV-1a over the whole key, seeded per map at random: keys that differ
// anywhere (a branch in the middle of a transaction key) spread evenly, and a peer that does not
// know the seed cannot aim its keys at one shard (which would only bring back one plain Map).

const FNV_PRIME = 0x01000193;

export class ShardedMap<V> {
  readonly #shards: Array<Map<string, V>>;
  readonly #mask: number;
  readonly #seed: number;
  #size = 0;

  /** 2^shardBits shards (default 256). */
  constructor(shardBits = 8) {
    const n = 1 << shardBits;
    this.#shards = Array.from({ length: n }, () => new Map<string, V>());
    this.#mask = n - 1;
    this.#seed = (Math.random() * 0x100000000) >>> 0;
  }

  get size(): number { return this.#size; }

  /**
   * The shard of `key`, as a number: a caller that reaches the same key several times (look up,
   * then insert, later delete) hashes it once and passes this to the *At methods.
   */
  shardOf(key: string): number {
    let h = this.#seed;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
    return (h ^ (h >>> 15)) & this.#mask;
  }

  #shard(key: string): Map<string, V> {
    return this.#shards[this.shardOf(key)] as Map<string, V>;
  }

  get(key: string): V | undefined { return this.#shard(key).get(key); }

  has(key: string): boolean { return this.#shard(key).has(key); }

  set(key: string, value: V): this { return this.setAt(this.shardOf(key), key, value); }

  delete(key: string): boolean { return this.deleteAt(this.shardOf(key), key); }

  /** get(key), where `shard` is shardOf(key). */
  getAt(shard: number, key: string): V | undefined {
    return (this.#shards[shard] as Map<string, V>).get(key);
  }

  /** set(key, value), where `shard` is shardOf(key). */
  setAt(shard: number, key: string, value: V): this {
    const map = this.#shards[shard] as Map<string, V>;
    const before = map.size;
    map.set(key, value);
    this.#size += map.size - before;
    return this;
  }

  /** delete(key), where `shard` is shardOf(key). */
  deleteAt(shard: number, key: string): boolean {
    if (!(this.#shards[shard] as Map<string, V>).delete(key)) return false;
    this.#size--;
    return true;
  }

  clear(): void {
    for (const s of this.#shards) s.clear();
    this.#size = 0;
  }

  /** Entries in the fullest shard: what one rehash moves at most (diagnostics, tests). */
  get largestShard(): number {
    let max = 0;
    for (const s of this.#shards) if (s.size > max) max = s.size;
    return max;
  }

  /** Every value, shard by shard (not in insertion order). */
  *values(): IterableIterator<V> {
    for (const s of this.#shards) yield* s.values();
  }
}
