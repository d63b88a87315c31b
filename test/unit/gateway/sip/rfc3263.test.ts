// RFC 3263 §4 target selection: the URI rules, NAPTR filtering, RFC 2782 SRV ordering, the failure
// definition of §4.3, and whole resolutions against a fake DNS that records every query.
import t from 'tap';
import { DnsError, isFailure, naptrChoices, orderSrv, planFor, resolveTargets } from '../../../../gateway/sip/rfc3263.ts';
import type { NaptrRecord, Rfc3263Dns, SipTransport, SrvRecord } from '../../../../gateway/sip/rfc3263.ts';
import { UriError } from '../../../../gateway/sip/uri.ts';

type ZoneEntry = { naptr?: NaptrRecord[]; srv?: SrvRecord[]; addresses?: string[] } | string;

/** A DNS answering from a table: a missing name is NXDOMAIN, a string entry is that error code. */
function fakeDns(zone: Record<string, ZoneEntry>): Rfc3263Dns & { queries: string[] } {
  const queries: string[] = [];
  const answer = <T>(type: string, name: string, pick: (e: Exclude<ZoneEntry, string>) => T[] | undefined): Promise<T[] | DnsError> => {
    queries.push(`${type} ${name}`);
    const e = zone[name];
    if (e === undefined) return Promise.resolve(new DnsError('NXDOMAIN'));
    if (typeof e === 'string') return Promise.resolve(new DnsError(e));
    return Promise.resolve(pick(e) ?? []);
  };
  return {
    queries,
    naptr: (name) => answer('NAPTR', name, (e) => e.naptr),
    srv: (name) => answer('SRV', name, (e) => e.srv),
    addresses: (name) => answer('A/AAAA', name, (e) => e.addresses),
  };
}

const naptr = (order: number, preference: number, service: string, replacement: string, flags = 's', regexp = ''): NaptrRecord =>
  ({ order, preference, flags, service, regexp, replacement });
const srv = (priority: number, weight: number, port: number, name: string): SrvRecord => ({ priority, weight, port, name });
/** a random source that replays the given values (then 0) */
const replay = (...values: number[]) => () => values.shift() ?? 0;

void t.test('planFor: the URI alone decides numeric, explicit-port, explicit-transport and NAPTR cases (RFC 3263 §4.1, §4.2)', (t) => {
  const cases: Array<{ uri: string; rule: string; plan: unknown }> = [
    { uri: 'sip:bob@192.0.2.1', rule: '"TARGET is a numeric IP address ... UDP for a SIP URI"; "it uses the default port"',
      plan: { kind: 'address', host: '192.0.2.1', numeric: true, port: 5060, transport: 'udp', domain: '192.0.2.1' } },
    { uri: 'sips:bob@192.0.2.1', rule: 'numeric: "TCP for a SIPS URI" (TLS), default port 5061',
      plan: { kind: 'address', host: '192.0.2.1', numeric: true, port: 5061, transport: 'tls', domain: '192.0.2.1' } },
    { uri: 'sip:bob@[2001:DB8::1]:5070', rule: 'numeric IPv6 reference with its port',
      plan: { kind: 'address', host: '2001:db8::1', numeric: true, port: 5070, transport: 'udp', domain: '2001:db8::1' } },
    { uri: 'sip:bob@192.0.2.1;transport=tcp', rule: 'numeric with an explicit transport',
      plan: { kind: 'address', host: '192.0.2.1', numeric: true, port: 5060, transport: 'tcp', domain: '192.0.2.1' } },
    { uri: 'sip:bob@Peer.Test:5080', rule: '"the TARGET is not numeric, but an explicit port is provided ... UDP for a SIP URI": A/AAAA only',
      plan: { kind: 'address', host: 'peer.test', numeric: false, port: 5080, transport: 'udp', domain: 'peer.test' } },
    { uri: 'sips:bob@peer.test:5081', rule: 'explicit port, SIPS: TCP (TLS)',
      plan: { kind: 'address', host: 'peer.test', numeric: false, port: 5081, transport: 'tls', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test;maddr=192.0.2.9', rule: 'maddr is the TARGET; the URI host stays the TLS domain',
      plan: { kind: 'address', host: '192.0.2.9', numeric: true, port: 5060, transport: 'udp', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test;maddr=[::1]', rule: 'an IPv6 maddr is numeric too',
      plan: { kind: 'address', host: '::1', numeric: true, port: 5060, transport: 'udp', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test;transport=tcp', rule: '"a transport was specified explicitly ... SRV query for that specific transport"',
      plan: { kind: 'srv', transport: 'tcp', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test;transport=TLS', rule: 'transport=tls on a SIP URI: TLS (parameter is case-insensitive)',
      plan: { kind: 'srv', transport: 'tls', domain: 'peer.test' } },
    { uri: 'sips:bob@peer.test;transport=tcp', rule: 'SIPS + transport=tcp is TLS over TCP (RFC 3261 §26.2.2)',
      plan: { kind: 'srv', transport: 'tls', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test;transport=udp', rule: 'explicit UDP', plan: { kind: 'srv', transport: 'udp', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test;transport=ws', rule: 'WebSocket (RFC 7118)', plan: { kind: 'srv', transport: 'ws', domain: 'peer.test' } },
    { uri: 'sips:bob@peer.test;transport=ws', rule: 'SIPS over WebSocket is WSS', plan: { kind: 'srv', transport: 'wss', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test;transport=wss', rule: 'explicit WSS', plan: { kind: 'srv', transport: 'wss', domain: 'peer.test' } },
    { uri: 'sip:bob@peer.test', rule: '"no transport protocol or port is specified, and the target is not a numeric IP address": NAPTR',
      plan: { kind: 'naptr', secure: false, domain: 'peer.test' } },
    { uri: 'sips:bob@PEER.test', rule: 'NAPTR for a SIPS URI', plan: { kind: 'naptr', secure: true, domain: 'peer.test' } },
  ];
  for (const c of cases) t.same(planFor(c.uri), c.plan, `${c.uri}: ${c.rule}`);
  const errors: Array<[string, RegExp]> = [
    ['sips:bob@peer.test;transport=udp', /SIPS URI cannot use UDP/],
    ['sip:bob@peer.test;transport=sctp', /unsupported transport "sctp"/],
    ['tel:+15551234', /cannot send to a tel URI/],
    ['sip:bob@', /missing host/],
  ];
  for (const [uri, detail] of errors) {
    const p = planFor(uri);
    t.ok(p instanceof UriError && detail.test(p.detail), `${uri} is refused (${detail.source})`);
  }
  t.end();
});

void t.test('naptrChoices keeps only the services we may use, ordered by order then preference (RFC 3263 §4.1, RFC 2915 §2)', (t) => {
  // The example of RFC 3263 §4.1.
  const example = [
    naptr(90, 50, 'SIP+D2T', '_sip._tcp.example.com'),
    naptr(50, 50, 'SIPS+D2T', '_sips._tcp.example.com.'),
    naptr(100, 50, 'SIP+D2U', '_sip._udp.example.com.'),
  ];
  const all: SipTransport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];
  const cases: Array<{ rule: string; records: NaptrRecord[]; secure: boolean; supported: SipTransport[]; want: Array<[number, SipTransport, string]> }> = [
    { rule: '"Since the client supports TCP and UDP, TCP will be used": SIPS+D2T is dropped without TLS', records: example, secure: false, supported: ['udp', 'tcp'],
      want: [[90, 'tcp', '_sip._tcp.example.com'], [100, 'udp', '_sip._udp.example.com']] },
    { rule: '"A client resolving a SIP URI SHOULD retain records with "SIPS" as the protocol, if the client supports TLS"', records: example, secure: false, supported: ['udp', 'tcp', 'tls'],
      want: [[50, 'tls', '_sips._tcp.example.com'], [90, 'tcp', '_sip._tcp.example.com'], [100, 'udp', '_sip._udp.example.com']] },
    { rule: '"a client resolving a SIPS URI MUST discard any services that do not contain "SIPS""', records: example, secure: true, supported: ['udp', 'tcp', 'tls'],
      want: [[50, 'tls', '_sips._tcp.example.com']] },
    { rule: 'a SIPS URI without TLS support has nothing left', records: example, secure: true, supported: ['udp', 'tcp'], want: [] },
    { rule: 'equal order: preference decides; service and flags are case-insensitive', secure: false, supported: all,
      records: [naptr(10, 20, 'sip+d2u', 'u.example.com', 'S'), naptr(10, 10, 'SIP+D2T', 't.example.com')],
      want: [[10, 'tcp', 't.example.com'], [10, 'udp', 'u.example.com']] },
    { rule: 'SIP+D2W and SIPS+D2W are WebSocket (RFC 7118)', secure: false, supported: all,
      records: [naptr(1, 1, 'SIPS+D2W', 'wss.example.com'), naptr(1, 2, 'SIP+D2W', 'ws.example.com')],
      want: [[1, 'wss', 'wss.example.com'], [1, 'ws', 'ws.example.com']] },
    { rule: '"discard any service fields that identify a resolution service whose value is not "D2X"" for our transports', secure: false, supported: all,
      records: [naptr(1, 1, 'SIP+D2S', 's.example.com'), naptr(1, 1, 'E2U+sip', 'e.example.com'), naptr(1, 1, 'SIPS+D2U', 'd.example.com')], want: [] },
    { rule: 'only terminal "S" records with an empty regexp and a replacement are SRV pointers', secure: false, supported: all,
      records: [naptr(1, 1, 'SIP+D2U', 'a.example.com', 'A'), naptr(1, 1, 'SIP+D2U', '', 's', '!^.*$!sip:x@y!'), naptr(1, 1, 'SIP+D2U', '.'),
        naptr(1, 1, 'SIP+D2U', 'n.example.com', '')], want: [] },
  ];
  for (const c of cases) {
    t.same(naptrChoices(c.records, c.secure, c.supported).map((x) => [x.order, x.transport, x.srvName]), c.want, c.rule);
  }
  t.end();
});

void t.test('orderSrv: priority ascending, weight 0 first, weighted random within a priority (RFC 2782 "Usage rules")', (t) => {
  const a = srv(0, 10, 5060, 'a.test');
  const b = srv(0, 20, 5060, 'b.test');
  const c = srv(0, 0, 5060, 'c.test');
  const d = srv(1, 5, 5060, 'd.test');
  const cases: Array<{ rule: string; records: SrvRecord[]; random: () => number; want: string[] }> = [
    { rule: 'random 0 picks the first in list order: the weight-0 record, then by running sum', records: [d, a, b, c], random: replay(), want: ['c.test', 'a.test', 'b.test', 'd.test'] },
    { rule: 'random near 1 picks the record whose running sum reaches the total', records: [a, b, c, d], random: replay(0.99, 0.99, 0.99), want: ['b.test', 'a.test', 'c.test', 'd.test'] },
    { rule: '"choose a uniform random number between 0 and the sum computed (inclusive)": 0.5 of 0..3 is 2, the weight-2 record (RFC 3263 §4.1 example)',
      records: [srv(0, 1, 5060, 'server1.example.com'), srv(0, 2, 5060, 'server2.example.com')], random: replay(0.5), want: ['server2.example.com', 'server1.example.com'] },
    { rule: 'lower priority values first whatever the weights', records: [srv(20, 100, 1, 'late.test'), srv(10, 0, 1, 'early.test')], random: replay(), want: ['early.test', 'late.test'] },
    { rule: '"A Target of "." means that the service is decidedly not available"', records: [srv(0, 0, 0, '.'), srv(0, 0, 0, '')], random: replay(), want: [] },
  ];
  for (const x of cases) t.same(orderSrv(x.records, x.random).map((r) => r.name), x.want, x.rule);
  // Over many draws the shares follow the weights (10:20 → 1/3, 2/3 first).
  let seed = 1;
  const lcg = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  let bFirst = 0;
  for (let i = 0; i < 3000; i++) if (orderSrv([a, b], lcg)[0] === b) bFirst++;
  t.ok(bFirst > 1850 && bFirst < 2150, `weight 20 of 30 comes first about 2/3 of the time (${bFirst}/3000)`);
  t.end();
});

void t.test('isFailure: 503, transport failure, or a timeout with no response at all move to the next target (RFC 3263 §4.3)', (t) => {
  const cases: Array<[string, { status: number; local?: boolean }, boolean, boolean]> = [
    ['a 503 error response', { status: 503 }, true, true],
    ['a transport failure (local 503)', { status: 503, local: true }, false, true],
    ['Timer F "without ever having received any response"', { status: 408, local: true }, false, true],
    ['Timer F after a provisional response', { status: 408, local: true }, true, false],
    ['a 408 sent by the server is an answer', { status: 408 }, true, false],
    ['any other error is an answer from the right server', { status: 500 }, true, false],
    ['404', { status: 404 }, true, false],
    ['success', { status: 200 }, true, false],
  ];
  for (const [rule, res, heard, want] of cases) t.equal(isFailure(res, heard), want, rule);
  t.end();
});

const UDP_TCP: SipTransport[] = ['udp', 'tcp'];
const ALL: SipTransport[] = ['udp', 'tcp', 'tls'];

void t.test('resolveTargets walks NAPTR → SRV → A/AAAA as §4 says, asking DNS only what it must', async (t) => {
  const peer = {
    'peer.test': { naptr: [naptr(10, 10, 'SIP+D2U', '_sip._udp.peer.test'), naptr(20, 10, 'SIP+D2T', '_sip._tcp.peer.test.')], addresses: ['192.0.2.100'] },
    '_sip._udp.peer.test': { srv: [srv(0, 0, 5070, 'one.peer.test.'), srv(1, 0, 5071, 'two.peer.test')] },
    '_sip._tcp.peer.test': { srv: [srv(0, 0, 5072, 'one.peer.test')] },
    'one.peer.test': { addresses: ['127.0.0.1', '::1'] },
    'two.peer.test': { addresses: ['127.0.0.2'] },
  };
  const cases: Array<{ rule: string; uri: string; zone: Record<string, ZoneEntry>; supported?: SipTransport[]; targets: string[]; queries: string[]; problem?: string }> = [
    { rule: 'a numeric IP needs no DNS at all', uri: 'sip:bob@127.0.0.1:5099', zone: {}, targets: ['udp 127.0.0.1:5099'], queries: [] },
    { rule: 'an explicit port: A/AAAA only, every address at that port', uri: 'sip:bob@one.peer.test:5080', zone: peer,
      targets: ['udp 127.0.0.1:5080', 'udp ::1:5080'], queries: ['A/AAAA one.peer.test'] },
    { rule: 'an explicit port on a name that does not exist: no target, NXDOMAIN named', uri: 'sip:bob@gone.test:5080', zone: peer,
      targets: [], queries: ['A/AAAA gone.test'], problem: 'no SIP server found for gone.test (gone.test: NXDOMAIN)' },
    { rule: 'NAPTR: the lowest order wins; SRV targets by priority, each expanded to its addresses', uri: 'sip:bob@peer.test', zone: peer,
      targets: ['udp 127.0.0.1:5070', 'udp ::1:5070', 'udp 127.0.0.2:5071'],
      queries: ['NAPTR peer.test', 'SRV _sip._udp.peer.test', 'A/AAAA one.peer.test', 'A/AAAA two.peer.test'] },
    { rule: 'NAPTR: an order whose SRV set is empty gives way to the next order', uri: 'sip:bob@peer.test',
      zone: { ...peer, '_sip._udp.peer.test': { srv: [] } },
      targets: ['tcp 127.0.0.1:5072', 'tcp ::1:5072'],
      queries: ['NAPTR peer.test', 'SRV _sip._udp.peer.test', 'SRV _sip._tcp.peer.test', 'A/AAAA one.peer.test'] },
    { rule: 'NAPTR for transports we lack is ignored: SRV queries for each transport we support', uri: 'sip:bob@peer.test', supported: ['tcp'], zone: peer,
      targets: ['tcp 127.0.0.1:5072', 'tcp ::1:5072'],
      queries: ['NAPTR peer.test', 'SRV _sip._tcp.peer.test', 'A/AAAA one.peer.test'] },
    { rule: 'no NAPTR: "SRV queries for those transport protocols it supports", TLS then TCP then UDP, all kept for failover', uri: 'sip:bob@peer.test', supported: ALL,
      zone: { ...peer, 'peer.test': { addresses: ['192.0.2.100'] } },
      targets: ['tcp 127.0.0.1:5072', 'tcp ::1:5072', 'udp 127.0.0.1:5070', 'udp ::1:5070', 'udp 127.0.0.2:5071'],
      queries: ['NAPTR peer.test', 'SRV _sips._tcp.peer.test', 'SRV _sip._tcp.peer.test', 'SRV _sip._udp.peer.test', 'A/AAAA one.peer.test', 'A/AAAA one.peer.test', 'A/AAAA two.peer.test'] },
    { rule: 'no NAPTR, no SRV: "UDP for a SIP URI" at the default port', uri: 'sip:bob@peer.test',
      zone: { 'peer.test': { addresses: ['192.0.2.100'] } }, targets: ['udp 192.0.2.100:5060'],
      queries: ['NAPTR peer.test', 'SRV _sip._tcp.peer.test', 'SRV _sip._udp.peer.test', 'A/AAAA peer.test'] },
    { rule: 'no NAPTR, no SRV, SIPS: "TCP for a SIPS URI" (TLS) at 5061, only _sips queried', uri: 'sips:bob@peer.test', supported: ALL,
      zone: { 'peer.test': { addresses: ['192.0.2.100'] } }, targets: ['tls 192.0.2.100:5061'],
      queries: ['NAPTR peer.test', 'SRV _sips._tcp.peer.test', 'A/AAAA peer.test'] },
    { rule: 'NXDOMAIN everywhere: no target, the resolution failure is named', uri: 'sip:bob@nowhere.test', zone: {}, targets: [],
      queries: ['NAPTR nowhere.test', 'SRV _sip._tcp.nowhere.test', 'SRV _sip._udp.nowhere.test', 'A/AAAA nowhere.test'],
      problem: 'no SIP server found for nowhere.test (nowhere.test: NXDOMAIN)' },
    { rule: 'a SERVFAIL counts as no records, and is named before any NXDOMAIN', uri: 'sip:bob@broken.test', zone: { 'broken.test': 'SERVFAIL' }, targets: [],
      queries: ['NAPTR broken.test', 'SRV _sip._tcp.broken.test', 'SRV _sip._udp.broken.test', 'A/AAAA broken.test'],
      problem: 'no SIP server found for broken.test (broken.test: SERVFAIL)' },
    { rule: 'explicit transport: SRV for it only, then addresses', uri: 'sip:bob@peer.test;transport=tcp', zone: peer,
      targets: ['tcp 127.0.0.1:5072', 'tcp ::1:5072'], queries: ['SRV _sip._tcp.peer.test', 'A/AAAA one.peer.test'] },
    { rule: 'explicit TLS on a SIP URI uses "_sips" ("if the client wishes to use TLS")', uri: 'sip:bob@peer.test;transport=tls', zone: peer,
      targets: ['tls 192.0.2.100:5061'], queries: ['SRV _sips._tcp.peer.test', 'A/AAAA peer.test'] },
    { rule: 'explicit WebSocket: no SRV name exists, A/AAAA at port 80', uri: 'sip:bob@peer.test;transport=ws', zone: peer,
      targets: ['ws 192.0.2.100:80'], queries: ['A/AAAA peer.test'] },
    { rule: 'an SRV set of "." only: decidedly not available, no A/AAAA fallback', uri: 'sip:bob@peer.test;transport=tcp',
      zone: { ...peer, '_sip._tcp.peer.test': { srv: [srv(0, 0, 0, '.')] } }, targets: [], queries: ['SRV _sip._tcp.peer.test'],
      problem: 'no SIP server found for peer.test (no NAPTR, SRV or address records)' },
    { rule: 'SRV targets written as IP literals need no lookup; duplicates are tried once', uri: 'sip:bob@peer.test;transport=udp',
      zone: { '_sip._udp.peer.test': { srv: [srv(0, 0, 5070, '127.0.0.1'), srv(1, 0, 5070, 'one.peer.test')] }, 'one.peer.test': { addresses: ['127.0.0.1'] } },
      targets: ['udp 127.0.0.1:5070'], queries: ['SRV _sip._udp.peer.test', 'A/AAAA one.peer.test'] },
  ];
  for (const c of cases) {
    const dns = fakeDns(c.zone);
    const r = await resolveTargets(c.uri, dns, { supported: c.supported ?? UDP_TCP, random: replay() });
    if (r instanceof UriError) { t.fail(`${c.rule}: ${r.detail}`); continue; }
    t.same(r.targets.map((x) => `${x.transport} ${x.address}:${x.port}`), c.targets, `${c.rule}: targets`);
    t.same(dns.queries, c.queries, `${c.rule}: queries`);
    t.equal(r.problem, c.problem, `${c.rule}: problem`);
  }
});

void t.test('resolveTargets: every target carries the URI domain for TLS checks, not the SRV target; bad URIs are refused', async (t) => {
  const dns = fakeDns({
    'peer.test': { naptr: [naptr(1, 1, 'SIPS+D2T', '_sips._tcp.peer.test')] },
    '_sips._tcp.peer.test': { srv: [srv(0, 0, 5061, 'host.elsewhere.test')] },
    'host.elsewhere.test': { addresses: ['127.0.0.1'] },
  });
  const r = await resolveTargets('sips:bob@peer.test', dns, { supported: ALL, random: replay() });
  t.same(r, { targets: [{ transport: 'tls', address: '127.0.0.1', port: 5061, domain: 'peer.test' }] });
  const bad = await resolveTargets('mailto:bob@peer.test', dns, { supported: ALL, random: replay() });
  t.ok(bad instanceof UriError);
});
