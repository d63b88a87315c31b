// Locating SIP servers (RFC 3263 §4): from a SIP URI and DNS answers to the ordered list of
// next-hop targets (transport, address, port). No I/O of its own: the DNS arrives as an interface
// (dns-resolver.ts is the node:dns side) and the randomness of RFC 2782 as a function.
import { isIP } from 'node:net';
import type { TransportName } from './transport.ts';
import { isSipUri, parseUri, UriError, uriParam } from './uri.ts';

export type SipTransport = TransportName;

export interface NaptrRecord { order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }
export interface SrvRecord { priority: number; weight: number; port: number; name: string }

/** A lookup without an answer section: NXDOMAIN, SERVFAIL, TIMEOUT, REFUSED, ... */
export class DnsError {
  readonly code: string;
  constructor(code: string) { this.code = code; }
}

/** What RFC 3263 needs from DNS (NODATA is an empty list). */
export interface Rfc3263Dns {
  naptr(name: string): Promise<NaptrRecord[] | DnsError>;
  srv(name: string): Promise<SrvRecord[] | DnsError>;
  /** A then AAAA addresses of a name */
  addresses(name: string): Promise<string[] | DnsError>;
}

export interface Target {
  transport: SipTransport;
  address: string;
  port: number;
  /** the host of the URI: the name a TLS certificate must match (RFC 5922 §4), never a DNS target */
  domain: string;
}

export interface Resolution {
  targets: Target[];
  /** why `targets` is empty, for a local failure's reason phrase */
  problem?: string;
}

export interface ResolveOptions {
  /** transports this client can send on */
  supported: readonly SipTransport[];
  /** uniform in [0, 1) (RFC 2782 weighted selection) */
  random: () => number;
}

interface TransportInfo { service: string; srv: string | undefined; port: number }

// "This specification defines D2U for UDP, D2T for TCP, and D2S for SCTP." (§4.1); D2W is SIP
// over WebSocket (RFC 7118 §9), which defines no SRV name: its default ports are WebSocket's.
const TRANSPORTS: Record<SipTransport, TransportInfo> = {
  udp: { service: 'SIP+D2U', srv: '_sip._udp', port: 5060 },
  tcp: { service: 'SIP+D2T', srv: '_sip._tcp', port: 5060 },
  tls: { service: 'SIPS+D2T', srv: '_sips._tcp', port: 5061 },
  ws: { service: 'SIP+D2W', srv: undefined, port: 80 },
  wss: { service: 'SIPS+D2W', srv: undefined, port: 443 },
};
const SECURE: ReadonlySet<SipTransport> = new Set(['tls', 'wss']);
/** the SRV queries of §4.1 when there are no NAPTR records, most preferred first */
const SRV_FALLBACK: readonly SipTransport[] = ['tls', 'tcp', 'udp'];

export type Plan =
  /** numeric TARGET, or an explicit port: no NAPTR/SRV */
  | { kind: 'address'; host: string; numeric: boolean; port: number; transport: SipTransport; domain: string }
  /** explicit transport, no port: SRV for that transport */
  | { kind: 'srv'; transport: SipTransport; domain: string }
  | { kind: 'naptr'; secure: boolean; domain: string };

/** The first decisions of §4.1 and §4.2, from the URI alone. */
export function planFor(uri: string): Plan | UriError {
  const u = parseUri(uri);
  if (u instanceof UriError) return u;
  if (!isSipUri(u)) return new UriError(`cannot send to a ${u.scheme} URI`);
  const secure = u.scheme === 'sips';
  const domain = u.host.toLowerCase();
  // RFC 3261 §8.1.2 / RFC 3263 §4: TARGET is the maddr parameter if present, else the host.
  const host = (uriParam(u, 'maddr') ?? u.host).replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const param = uriParam(u, 'transport');
  const explicit = param === undefined ? undefined : explicitTransport(param.toLowerCase(), secure);
  if (explicit instanceof UriError) return explicit;
  const numeric = isIP(host) !== 0;
  if (numeric || u.port !== undefined) {
    // "if no transport protocol is specified, but the TARGET is a numeric IP address, the client
    // SHOULD use UDP for a SIP URI, and TCP for a SIPS URI. Similarly, if no transport protocol is
    // specified, and the TARGET is not numeric, but an explicit port is provided, the client
    // SHOULD use UDP for a SIP URI, and TCP for a SIPS URI." (§4.1)
    const transport = explicit ?? (secure ? 'tls' : 'udp');
    // "If TARGET is a numeric IP address, the client uses that address. If the URI also contains a
    // port, it uses that port. If no port is specified, it uses the default port for the
    // particular transport protocol." (§4.2)
    return { kind: 'address', host, numeric, port: u.port ?? TRANSPORTS[transport].port, transport, domain };
  }
  // "If the URI specifies a transport protocol in the transport parameter, that transport protocol
  // SHOULD be used." (§4.1) ... "If it was not [NAPTR processing], because a transport was
  // specified explicitly, the client performs an SRV query for that specific transport" (§4.2)
  if (explicit !== undefined) return { kind: 'srv', transport: explicit, domain: host };
  // "Otherwise, if no transport protocol or port is specified, and the target is not a numeric IP
  // address, the client SHOULD perform a NAPTR query for the domain in the URI." (§4.1)
  return { kind: 'naptr', secure, domain: host };
}

function explicitTransport(param: string, secure: boolean): SipTransport | UriError {
  switch (param) {
    // RFC 3261 §26.2.2: a SIPS URI is TLS all the way; "transport=tcp" there means TLS over TCP.
    case 'tcp': return secure ? 'tls' : 'tcp';
    case 'ws': return secure ? 'wss' : 'ws';
    case 'tls': case 'wss': return param;
    case 'udp': return secure ? new UriError('a SIPS URI cannot use UDP') : 'udp';
    default: return new UriError(`unsupported transport "${param}"`);
  }
}

export interface NaptrChoice { order: number; transport: SipTransport; srvName: string }

/** The NAPTR records a client may use (§4.1), in the order RFC 3403 processes them. */
export function naptrChoices(records: readonly NaptrRecord[], secure: boolean, supported: readonly SipTransport[]): NaptrChoice[] {
  const out: Array<NaptrChoice & { preference: number }> = [];
  for (const r of records) {
    const service = r.service.toUpperCase();
    const transport = supported.find((t) => TRANSPORTS[t].service === service);
    // "a client resolving a SIPS URI MUST discard any services that do not contain "SIPS" as the
    // protocol in the service field. ... a client MUST discard any service fields that identify a
    // resolution service whose value is not "D2X", for values of X that indicate transport
    // protocols supported by the client." (§4.1)
    if (transport === undefined || (secure && !SECURE.has(transport))) continue;
    // "The resource record will contain an empty regular expression and a replacement value, which
    // is the SRV record for that particular transport protocol." (§4.1): the terminal "S" flag.
    if (r.flags.toUpperCase() !== 'S' || r.regexp !== '' || isRoot(r.replacement)) continue;
    out.push({ order: r.order, preference: r.preference, transport, srvName: stripDot(r.replacement) });
  }
  // "Low numbers [of ORDER] are processed before high numbers" and PREFERENCE "specifies the order
  // in which NAPTR records with equal "order" values SHOULD be processed" (RFC 2915 §2)
  out.sort((a, b) => a.order - b.order || a.preference - b.preference);
  return out.map(({ order, transport, srvName }) => ({ order, transport, srvName }));
}

/** RFC 2782 "Usage rules": priority ascending, weighted random within a priority. */
export function orderSrv(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  // "A Target of "." means that the service is decidedly not available at this domain."
  const usable = records.filter((r) => !isRoot(r.name));
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvRecord[] = [];
  for (const p of priorities) {
    // "arrange all SRV RRs (that have not been ordered yet) in any order, except that all those
    // with weight 0 are placed at the beginning of the list."
    const left = usable.filter((r) => r.priority === p).sort((a, b) => Math.sign(a.weight) - Math.sign(b.weight));
    while (left.length > 0) {
      // "Compute the sum of the weights of those RRs, and with each RR associate the running sum
      // in the selected order. Then choose a uniform random number between 0 and the sum computed
      // (inclusive), and select the RR whose running sum value is the first in the selected order
      // which is greater than or equal to the random number selected."
      const sum = left.reduce((s, r) => s + r.weight, 0);
      const pick = Math.floor(random() * (sum + 1));
      let running = 0;
      const i = left.findIndex((r) => (running += r.weight) >= pick);
      // "Remove this SRV RR from the set of the unordered SRV RRs and apply the described
      // algorithm to the unordered SRV RRs to select the next target host."
      out.push(...left.splice(i, 1));
    }
  }
  return out;
}

/**
 * RFC 3263 §4.3: "failure occurs if the transaction layer reports a 503 error response or a
 * transport failure of some sort (generally, due to fatal ICMP errors in UDP or connection
 * failures in TCP). Failure also occurs if the transaction layer times out without ever having
 * received any response, provisional or final (i.e., timer B or timer F in RFC 3261 fires)."
 * Transport failures reach the TU as a local 503 (RFC 3261 §8.1.3.1), Timer F as a local 408.
 */
export function isFailure(res: { status: number; local?: boolean }, heardResponse: boolean): boolean {
  return res.status === 503 || (res.local === true && res.status === 408 && !heardResponse);
}

/**
 * The whole of §4.1 and §4.2. Where the RFC leaves a case open:
 * - NAPTR records exist but none is usable by us, or the usable ones lead to no address: proceed
 *   as if there were none (§4.1: "a domain MUST maintain SRV records for the domain of the
 *   original query, even if the NAPTR record is in a different domain").
 * - Within the NAPTR records, the lowest ORDER that yields a target wins ("once a NAPTR is found
 *   whose rule "matches" the target, the client MUST NOT consider any NAPTRs with a higher value
 *   for order", RFC 2915 §2); its records are all kept, by preference, for failover.
 * - Without NAPTR, every SRV set found is kept, TLS, then TCP, then UDP ("The client MAY use any
 *   transport protocol it desires which is supported by the server.").
 * - A lookup failure (SERVFAIL, timeout) counts as no records; it is named in `problem`.
 */
export async function resolveTargets(uri: string, dns: Rfc3263Dns, opts: ResolveOptions): Promise<Resolution | UriError> {
  const plan = planFor(uri);
  if (plan instanceof UriError) return plan;
  const run = new Run(dns, opts);
  let targets: Target[];
  switch (plan.kind) {
    case 'address':
      targets = plan.numeric
        ? [{ transport: plan.transport, address: plan.host, port: plan.port, domain: plan.domain }]
        : await run.addressTargets(plan.host, plan.port, plan.transport, plan.domain);
      break;
    case 'srv':
      targets = await run.srvThenAddress(plan.transport, plan.domain);
      break;
    case 'naptr':
      targets = await run.naptr(plan.domain, plan.secure);
      break;
  }
  const unique = dedupe(targets);
  return unique.length > 0 ? { targets: unique } : { targets: [], problem: `no SIP server found for ${plan.domain} (${run.problem()})` };
}

class Run {
  readonly #dns: Rfc3263Dns;
  readonly #opts: ResolveOptions;
  readonly #errors: string[] = [];

  constructor(dns: Rfc3263Dns, opts: ResolveOptions) {
    this.#dns = dns;
    this.#opts = opts;
  }

  problem(): string {
    // An operational failure says more than a name that does not exist.
    return this.#errors.find((e) => !e.endsWith(': NXDOMAIN')) ?? this.#errors[0] ?? 'no NAPTR, SRV or address records';
  }

  #records<T>(name: string, answer: T[] | DnsError): T[] {
    if (!(answer instanceof DnsError)) return answer;
    this.#errors.push(`${name}: ${answer.code}`);
    return [];
  }

  async naptr(domain: string, secure: boolean): Promise<Target[]> {
    const choices = naptrChoices(this.#records(domain, await this.#dns.naptr(domain)), secure, this.#opts.supported);
    for (const order of new Set(choices.map((c) => c.order))) {
      // "the client performs an SRV query on the record returned from the NAPTR processing" (§4.2)
      const group = choices.filter((c) => c.order === order);
      const lists = await Promise.all(group.map(async (c) => this.#srvTargets(c.transport, await this.#srv(c.srvName), domain)));
      const targets = lists.flat();
      if (targets.length > 0) return targets;
    }
    // "If no NAPTR records are found, the client constructs SRV queries for those transport
    // protocols it supports, and does a query for each. Queries are done using the service
    // identifier "_sip" for SIP URIs and "_sips" for SIPS URIs. A particular transport is supported
    // if the query is successful." (§4.1)
    const transports = SRV_FALLBACK.filter((t) => this.#opts.supported.includes(t) && (!secure || SECURE.has(t)));
    const found = await Promise.all(transports.map(async (t) => ({ t, records: await this.#srv(`${TRANSPORTS[t].srv}.${domain}`) })));
    if (found.some((f) => f.records.length > 0)) {
      const lists = await Promise.all(found.map((f) => this.#srvTargets(f.t, f.records, domain)));
      return lists.flat();
    }
    // "If no SRV records are found, the client SHOULD use TCP for a SIPS URI, and UDP for a SIP
    // URI." (§4.1) ... "the client performs an A or AAAA record lookup of the domain name. The
    // result will be a list of IP addresses, each of which can be contacted using the transport
    // protocol determined previously, at the default port for that transport." (§4.2)
    const transport = secure ? 'tls' : 'udp';
    return this.addressTargets(domain, TRANSPORTS[transport].port, transport, domain);
  }

  async srvThenAddress(transport: SipTransport, domain: string): Promise<Target[]> {
    const srv = TRANSPORTS[transport].srv;
    // "using the service identifier "_sips" for SIPS URIs. For a SIP URI, if the client wishes to
    // use TLS, it also uses the service identifier "_sips" for that specific transport" (§4.2)
    const records = srv === undefined ? [] : await this.#srv(`${srv}.${domain}`);
    if (records.length > 0) return this.#srvTargets(transport, records, domain);
    // "If no SRV records were found, the client performs an A or AAAA record lookup" (§4.2)
    return this.addressTargets(domain, TRANSPORTS[transport].port, transport, domain);
  }

  /**
   * "If the TARGET was not a numeric IP address, but a port is present in the URI, the client
   * performs an A or AAAA record lookup of the domain name. The result will be a list of IP
   * addresses, each of which can be contacted at the specific port from the URI and transport
   * protocol determined previously. The client SHOULD try the first record." (§4.2)
   */
  async addressTargets(name: string, port: number, transport: SipTransport, domain: string): Promise<Target[]> {
    const addresses = isIP(name) !== 0 ? [name] : this.#records(name, await this.#dns.addresses(name));
    return addresses.map((address) => ({ transport, address, port, domain }));
  }

  async #srv(name: string): Promise<SrvRecord[]> {
    return this.#records(name, await this.#dns.srv(name));
  }

  async #srvTargets(transport: SipTransport, records: readonly SrvRecord[], domain: string): Promise<Target[]> {
    const ordered = orderSrv(records, this.#opts.random);
    const lists = await Promise.all(ordered.map((r) => this.addressTargets(stripDot(r.name), r.port, transport, domain)));
    return lists.flat();
  }
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.transport}|${t.address}|${t.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function isRoot(name: string): boolean {
  return name === '' || name === '.';
}

function stripDot(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}
