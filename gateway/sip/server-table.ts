// The server transactions of an endpoint (RFC 3261 §17.2.3), found by their base key (the branch and
// sent-by, or the RFC 2543 fields: transaction-key.ts serverBaseKey) and then by method.
//
// One map entry per base key, holding a short chain of slots, one per method: a request and its
// CANCEL share a base key, and a CANCEL must find "the transaction being cancelled" whatever its
// method (§9.2). A slot's value is replaced in place when a transaction changes form (a completed UDP
// transaction becomes a compact record): a lookup, an insert and a delete per transaction, where a
// map per key kind and a re-insert on completion cost eleven operations on maps holding every
// transaction of the last 64*T1 (bench/RESULTS.md).

import { ShardedMap } from '../sharded-map.ts';

/** A transaction (or its compact record) under one base key and method. */
export class ServerSlot<T> {
  readonly base: string;
  /** the table's shard of `base`, hashed once (ShardedMap.shardOf) */
  readonly shard: number;
  /** the request's method; an ACK is looked up as INVITE */
  readonly method: string;
  value: T;
  next: ServerSlot<T> | undefined = undefined;

  constructor(base: string, shard: number, method: string, value: T) {
    this.base = base;
    this.shard = shard;
    this.method = method;
    this.value = value;
  }
}

/**
 * Branches are "unique across space and time" (§8.1.1.7), so a chain holds one slot, two with a
 * CANCEL. A peer reusing one branch for many methods must not make each lookup walk a long chain:
 * past this length the oldest slot is let go (it no longer absorbs retransmissions; the transaction
 * itself still answers).
 */
export const MAX_METHODS_PER_BRANCH = 16;

export class ServerTable<T> {
  /** sharded: holds every transaction of the last 64*T1, and a plain Map's growth stalls the loop */
  readonly #chains = new ShardedMap<ServerSlot<T>>();
  /**
   * The key hashed last and its shard: a request is looked up, then its transaction added, under
   * one key; the slot keeps its shard for the removal. One hash of the key per transaction, not five.
   */
  #lastKey = '';
  #lastShard = 0;

  get size(): number { return this.#chains.size; }

  #shardOf(base: string): number {
    if (base !== this.#lastKey) {
      this.#lastShard = this.#chains.shardOf(base);
      this.#lastKey = base;
    }
    return this.#lastShard;
  }

  /** The slot of `method` (ACK: INVITE's) under `base`. */
  find(base: string, method: string): ServerSlot<T> | undefined {
    const m = method === 'ACK' ? 'INVITE' : method;
    for (let s = this.#chains.getAt(this.#shardOf(base), base); s !== undefined; s = s.next) if (s.method === m) return s;
    return undefined;
  }

  /** The transaction a CANCEL with this base key cancels: any under it but a CANCEL's (§9.2). */
  cancelled(base: string): ServerSlot<T> | undefined {
    for (let s = this.#chains.getAt(this.#shardOf(base), base); s !== undefined; s = s.next) if (s.method !== 'CANCEL') return s;
    return undefined;
  }

  /** Adds a slot (the caller has found none for this base and method). */
  add(base: string, method: string, value: T): ServerSlot<T> {
    const shard = this.#shardOf(base);
    const slot = new ServerSlot(base, shard, method, value);
    const head = this.#chains.getAt(shard, base);
    if (head === undefined) {
      this.#chains.setAt(shard, base, slot);
      return slot;
    }
    // Appended: the first slot (the request a CANCEL follows) stays first.
    let last = head;
    let length = 1;
    while (last.next !== undefined) { last = last.next; length++; }
    last.next = slot;
    if (length >= MAX_METHODS_PER_BRANCH) this.#chains.setAt(shard, base, head.next as ServerSlot<T>);
    return slot;
  }

  /** Removes `slot`, if it is still in the table. */
  remove(slot: ServerSlot<T>): void {
    const head = this.#chains.getAt(slot.shard, slot.base);
    if (head === undefined) return;
    if (head === slot) {
      if (slot.next === undefined) this.#chains.deleteAt(slot.shard, slot.base);
      else this.#chains.setAt(slot.shard, slot.base, slot.next);
      return;
    }
    for (let s = head; s.next !== undefined; s = s.next) {
      if (s.next === slot) {
        s.next = slot.next;
        return;
      }
    }
  }

  clear(): void { this.#chains.clear(); }
}
