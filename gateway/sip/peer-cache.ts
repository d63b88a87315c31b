// One Peer object per source address and port seen lately, for the datagrams a UDP transport reads.
//
// Node makes a new address string for every datagram; a completed UDP transaction keeps where its
// response went for 64*T1 (32 s), so a Peer per datagram was about 70 bytes more per transaction
// that every young-generation GC copies (bench/RESULTS.md: scavenge pauses grow with what
// survives them). A handful of peers (a proxy in front, a few partner servers) send nearly all
// traffic; those share one object each.
import type { Peer } from './transport.ts';

/** Peers held before the cache starts over: bounded under a flood of spoofed sources. */
export const MAX_PEERS = 4096;

export class PeerCache {
  readonly #max: number;
  #byAddress = new Map<string, Map<number, Peer>>();
  #count = 0;

  constructor(max = MAX_PEERS) {
    this.#max = max;
  }

  get size(): number { return this.#count; }

  /** The cached Peer for address and port, made and cached if new. Never mutate it. */
  peer(address: string, port: number): Peer {
    let ports = this.#byAddress.get(address);
    const known = ports?.get(port);
    if (known !== undefined) return known;
    // Past the bound the cache starts over (one clear, not an eviction per datagram): its
    // objects stay valid where they are held, they are only no longer shared.
    if (this.#count >= this.#max) {
      this.#byAddress = new Map();
      this.#count = 0;
      ports = undefined;
    }
    if (ports === undefined) {
      ports = new Map();
      this.#byAddress.set(address, ports);
    }
    const made: Peer = { address, port };
    ports.set(port, made);
    this.#count++;
    return made;
  }
}
