// The I/O side of RFC 3263: NAPTR, SRV, A and AAAA queries over node:dns, with a timeout per try
// and a small cache. Implements the Rfc3263Dns interface that rfc3263.ts defines.
//
// Servers: `servers` when given (all four record types go there); otherwise the system's
// resolv.conf servers for NAPTR/SRV and getaddrinfo for addresses, so that /etc/hosts names (an
// outbound proxy called "sip-proxy" in a compose file) keep working as before RFC 3263.
//
// Cache: node:dns reports no TTL for NAPTR/SRV, so answers are kept `maxCacheMs`; A/AAAA keep
// their own TTL when shorter. NXDOMAIN and NODATA are kept `negativeCacheMs` (RFC 2308 allows
// negative caching); SERVFAIL, timeouts and other failures are not kept. Concurrent lookups of
// one name share one query.
import { lookup, Resolver } from 'node:dns/promises';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { FifoMap } from '../fifo-map.ts';
import { DnsError } from './rfc3263.ts';
import type { NaptrRecord, Rfc3263Dns, SrvRecord } from './rfc3263.ts';

export interface DnsResolverOptions {
  /** e.g. ["127.0.0.1:5353", "[::1]:53"]; default the system's */
  servers?: string[];
  /** per try; default 2000 ms */
  timeoutMs?: number;
  /** default 2 */
  tries?: number;
  /** default 60 s */
  maxCacheMs?: number;
  /** default 10 s */
  negativeCacheMs?: number;
  /** default 1000 names (oldest dropped first) */
  maxEntries?: number;
  clock?: Clock;
}

type Answer<T> = T[] | DnsError;
interface Entry { expires: number; value: Promise<Answer<unknown>> }
/** a successful query; NXDOMAIN and the rest arrive as node:dns errors */
interface Fresh<T> { answer: T[]; ttlMs?: number }

export class DnsResolver implements Rfc3263Dns {
  readonly #resolver: Resolver;
  readonly #system: boolean;
  readonly #clock: Clock;
  readonly #maxMs: number;
  readonly #negativeMs: number;
  readonly #cache: FifoMap<Entry>;

  constructor(opts: DnsResolverOptions = {}) {
    this.#resolver = new Resolver({ timeout: opts.timeoutMs ?? 2000, tries: opts.tries ?? 2 });
    // setServers validates: a bad address is a configuration error, thrown here.
    if (opts.servers !== undefined) this.#resolver.setServers(opts.servers);
    this.#system = opts.servers === undefined;
    this.#clock = opts.clock ?? systemClock;
    this.#maxMs = opts.maxCacheMs ?? 60_000;
    this.#negativeMs = opts.negativeCacheMs ?? 10_000;
    this.#cache = new FifoMap(opts.maxEntries ?? 1000);
  }

  naptr(name: string): Promise<Answer<NaptrRecord>> {
    return this.#cached('NAPTR', name, async () => ({
      answer: (await this.#resolver.resolveNaptr(name)).map(({ order, preference, flags, service, regexp, replacement }) => ({ order, preference, flags, service, regexp, replacement })),
    }));
  }

  srv(name: string): Promise<Answer<SrvRecord>> {
    return this.#cached('SRV', name, async () => ({
      answer: (await this.#resolver.resolveSrv(name)).map(({ priority, weight, port, name: target }) => ({ priority, weight, port, name: target })),
    }));
  }

  async addresses(name: string): Promise<Answer<string>> {
    if (this.#system) {
      return this.#cached('ADDR', name, async () => ({ answer: (await lookup(name, { all: true, order: 'ipv4first' })).map((a) => a.address) }));
    }
    const [v4, v6] = await Promise.all([
      this.#cached('A', name, async () => withTtl(await this.#resolver.resolve4(name, { ttl: true }))),
      this.#cached('AAAA', name, async () => withTtl(await this.#resolver.resolve6(name, { ttl: true }))),
    ]);
    const found = [...(v4 instanceof DnsError ? [] : v4), ...(v6 instanceof DnsError ? [] : v6)];
    if (found.length > 0) return found;
    return v4 instanceof DnsError ? v4 : v6;
  }

  /** drops every cached answer */
  clear(): void { this.#cache.clear(); }

  #cached<T>(type: string, name: string, query: () => Promise<Fresh<T>>): Promise<Answer<T>> {
    const key = `${type} ${name.toLowerCase()}`;
    const hit = this.#cache.get(key);
    if (hit && hit.expires > this.#clock.now()) return hit.value as Promise<Answer<T>>;
    /** keeps the answer `ms` from now, or forgets it (undefined) */
    const settle = (answer: Answer<T>, ms: number | undefined): Answer<T> => {
      const e = this.#cache.get(key);
      if (e?.value !== value) return answer;
      if (ms === undefined) this.#cache.delete(key);
      else e.expires = this.#clock.now() + ms;
      return answer;
    };
    const value: Promise<Answer<T>> = query().then(
      ({ answer, ttlMs }) => settle(answer, answer.length === 0 ? this.#negativeMs : Math.min(ttlMs ?? this.#maxMs, this.#maxMs)),
      (err: unknown) => {
        const answer = fromError(err);
        const negative = !(answer instanceof DnsError) || answer.code === 'NXDOMAIN';
        return settle(answer, negative ? this.#negativeMs : undefined);
      },
    );
    this.#cache.set(key, { expires: Infinity, value });
    return value;
  }
}

function withTtl(records: Array<{ address: string; ttl: number }>): Fresh<string> {
  const ttl = Math.min(...records.map((r) => r.ttl));
  return { answer: records.map((r) => r.address), ...(records.length > 0 && { ttlMs: ttl * 1000 }) };
}

/** node:dns / c-ares codes to answers: NODATA is an empty answer, the rest are errors. */
function fromError(err: unknown): Answer<never> {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ENODATA': return [];
    case 'ENOTFOUND': return new DnsError('NXDOMAIN');
    case 'ESERVFAIL': return new DnsError('SERVFAIL');
    case 'ETIMEOUT': return new DnsError('TIMEOUT');
    case 'EREFUSED': return new DnsError('REFUSED');
    case 'EAI_AGAIN': return new DnsError('TEMPORARY');
    default: return new DnsError(typeof code === 'string' ? code : 'ERROR');
  }
}
