// sendRequest locates the next hop per RFC 3263 through our own DNS server on loopback, and fails
// over to the next target on 503, transport failure and a Timer F without any response (§4.3).
import t from 'tap';
import type { Test } from 'tap';
import { createSocket } from 'node:dgram';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingRequest, SipEndpointOptions } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import { parseDatagram } from '../../gateway/sip/parser.ts';
import { ParseError } from '../../gateway/sip/parse-error.ts';
import { buildResponse } from '../../gateway/sip/response-builder.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { TestDnsServer } from '../harness/dns-server.ts';
import type { SrvData, Zone } from '../harness/dns-server.ts';
import { freeTcpPort } from '../harness/ports.ts';

const LISTEN = ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'];

/** A SIP peer answering every MESSAGE with `status`, over UDP and TCP. */
async function responder(t: Test, status: number) {
  const ep = new SipEndpoint({ listen: LISTEN, domains: ['*'], log: silentLogger });
  const seen: IncomingRequest[] = [];
  ep.onRequest('MESSAGE', (req) => { seen.push(req); return { status }; });
  await ep.start();
  t.teardown(() => ep.stop());
  const port = (name: 'udp' | 'tcp') => ep.bound.find((b) => b.transport === name)!.port;
  return { seen, udp: port('udp'), tcp: port('tcp') };
}

async function setup(t: Test, zone: Zone, extra: Partial<SipEndpointOptions> = {}) {
  const dns = await TestDnsServer.start(zone);
  t.teardown(() => dns.close());
  const gw = new SipEndpoint({ listen: LISTEN, domains: ['gw.test'], log: silentLogger, dnsServers: [dns.server], timers: { T1: 10, T2: 40, T4: 50 }, ...extra });
  await gw.start();
  t.teardown(() => gw.stop());
  const send = (requestUri = 'sip:bob@peer.test') => gw.sendRequest({
    method: 'MESSAGE', requestUri, from: { uri: 'sip:alice@gw.test' }, to: { uri: 'sip:bob@peer.test' },
    headers: [['Content-Type', 'text/plain;charset=UTF-8']], body: Buffer.from('hi'),
  });
  const asked = () => dns.queries.map((q) => `${q.type} ${q.name}`);
  return { dns, gw, send, asked };
}

const srv = (priority: number, port: number, target = 'sip.peer.test'): SrvData => ({ priority, weight: 0, port, target });
const naptr = (order: number, service: string, replacement: string) => ({ order, preference: 10, flags: 's', service, regexp: '', replacement });

void t.test('NAPTR → SRV → A: the first SRV target answers 503, the second gets the same request with a new branch and answers 200 (RFC 3263 §4.3)', async (t) => {
  const busy = await responder(t, 503);
  const ok = await responder(t, 200);
  const { send, asked } = await setup(t, {
    'peer.test': { naptr: [naptr(10, 'SIP+D2U', '_sip._udp.peer.test'), naptr(20, 'SIP+D2T', '_sip._tcp.peer.test')] },
    '_sip._udp.peer.test': { srv: [srv(10, busy.udp), srv(20, ok.udp)] },
    '_sip._tcp.peer.test': { srv: [srv(10, ok.tcp)] },
    'sip.peer.test': { a: ['127.0.0.1'] },
  });
  const res = await send();
  t.equal(res.status, 200);
  t.equal(res.local, undefined);
  t.equal(busy.seen.length, 1);
  t.equal(ok.seen.length, 1);
  const [a, b] = [busy.seen[0]!, ok.seen[0]!];
  t.equal(a.transport, 'udp', 'UDP: the NAPTR of the lowest order');
  t.equal(b.transport, 'udp');
  t.equal(b.callId, a.callId, '"identical to the previous": same Call-ID');
  t.equal(b.cseq, a.cseq, 'same CSeq');
  t.equal(b.from.tag, a.from.tag, 'same From tag');
  t.not(b.header('via'), a.header('via'), '"a different value of the Via branch ID"');
  t.equal(b.requestUri, 'sip:bob@peer.test', 'the Request-URI is untouched');
  t.same(asked(), ['NAPTR peer.test', 'SRV _sip._udp.peer.test', 'A sip.peer.test', 'AAAA sip.peer.test']);
});

void t.test('over TCP, a refused connection moves to the next SRV target', async (t) => {
  const ok = await responder(t, 202);
  const closed = await freeTcpPort();
  const { send } = await setup(t, {
    'peer.test': { naptr: [naptr(10, 'SIP+D2T', '_sip._tcp.peer.test')] },
    '_sip._tcp.peer.test': { srv: [srv(0, closed, 'down.peer.test'), srv(1, ok.tcp, 'up.peer.test')] },
    'down.peer.test': { a: ['127.0.0.1'] },
    'up.peer.test': { a: ['127.0.0.1'] },
  });
  const res = await send();
  t.equal(res.status, 202);
  t.equal(ok.seen.length, 1);
  t.equal(ok.seen[0]!.transport, 'tcp');
});

void t.test('without NAPTR, SRV for each transport: a UDP target that never answers (Timer F) gives way to the next', async (t) => {
  const silent = createSocket('udp4');
  let copies = 0;
  silent.on('message', () => { copies++; });
  await new Promise<void>((r) => { silent.bind(0, '127.0.0.1', r); });
  t.teardown(() => { silent.close(); });
  const ok = await responder(t, 200);
  const { send, asked } = await setup(t, {
    'peer.test': { a: ['127.0.0.1'] },
    '_sip._udp.peer.test': { srv: [srv(0, silent.address().port), srv(1, ok.udp)] },
    'sip.peer.test': { a: ['127.0.0.1'] },
  });
  const res = await send();
  t.equal(res.status, 200);
  t.ok(copies >= 5, `the silent target got the request and its retransmissions (${copies})`);
  t.equal(ok.seen.length, 1);
  t.same(asked().slice(0, 3).sort(), ['NAPTR peer.test', 'SRV _sip._tcp.peer.test', 'SRV _sip._udp.peer.test'], '"SRV queries for those transport protocols it supports"');
});

void t.test('a target that answered 100 and then timed out is not failed over: 408 (RFC 3263 §4.3 "without ever having received any response")', async (t) => {
  const trying = createSocket('udp4');
  trying.on('message', (buf, rinfo) => {
    const req = parseDatagram(buf);
    if (req instanceof ParseError || req.kind !== 'request') return;
    trying.send(serialize(buildResponse(req.headers, 100, 'Trying', { toTag: 't1' })), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => { trying.bind(0, '127.0.0.1', r); });
  t.teardown(() => { trying.close(); });
  const ok = await responder(t, 200);
  const { send } = await setup(t, {
    '_sip._udp.peer.test': { srv: [srv(0, trying.address().port), srv(1, ok.udp)] },
    'sip.peer.test': { a: ['127.0.0.1'] },
  });
  const res = await send('sip:bob@peer.test;transport=udp');
  t.same(res, { status: 408, reason: 'Request Timeout', headers: [], local: true });
  t.equal(ok.seen.length, 0);
});

void t.test('when every target fails, the last failure is the answer', async (t) => {
  const one = await responder(t, 503);
  const two = await responder(t, 503);
  const { send } = await setup(t, {
    '_sip._udp.peer.test': { srv: [srv(0, one.udp), srv(1, two.udp)] },
    'sip.peer.test': { a: ['127.0.0.1'] },
  });
  const res = await send('sip:bob@peer.test;transport=udp');
  t.equal(res.status, 503);
  t.equal(res.local, undefined, "the peer's own 503");
  t.same([one.seen.length, two.seen.length], [1, 1]);
});

void t.test('a domain that does not exist: no target, a local 503 naming the resolution failure', async (t) => {
  const { send, asked } = await setup(t, {});
  const res = await send('sip:bob@nowhere.test');
  t.equal(res.status, 503);
  t.equal(res.local, true);
  t.equal(res.reason, 'Service Unavailable (no SIP server found for nowhere.test (nowhere.test: NXDOMAIN))');
  t.same(asked().sort(), ['A nowhere.test', 'AAAA nowhere.test', 'NAPTR nowhere.test', 'SRV _sip._tcp.nowhere.test', 'SRV _sip._udp.nowhere.test']);
});

void t.test('a SERVFAIL is named in the reason', async (t) => {
  const { send } = await setup(t, { 'broken.test': 'SERVFAIL' });
  const res = await send('sip:bob@broken.test:5060');
  t.equal(res.status, 503);
  t.match(res.reason, /broken\.test: SERVFAIL/);
});

void t.test('a numeric IP Request-URI asks DNS nothing', async (t) => {
  const ok = await responder(t, 200);
  const { send, dns } = await setup(t, {});
  const res = await send(`sip:bob@127.0.0.1:${ok.udp}`);
  t.equal(res.status, 200);
  t.same(dns.queries, []);
});

void t.test('an explicit port skips NAPTR and SRV: A/AAAA only', async (t) => {
  const ok = await responder(t, 200);
  const { send, asked } = await setup(t, {
    'peer.test': { a: ['127.0.0.1'], naptr: [naptr(10, 'SIP+D2U', '_sip._udp.peer.test')] },
    '_sip._udp.peer.test': { srv: [srv(0, 1)] },
  });
  const res = await send(`sip:bob@peer.test:${ok.udp}`);
  t.equal(res.status, 200);
  t.same(asked().sort(), ['A peer.test', 'AAAA peer.test']);
});

void t.test('an outbound proxy given by name is located per RFC 3263; the Request-URI is not', async (t) => {
  const proxy = await responder(t, 200);
  const { send, asked } = await setup(t, {
    '_sip._tcp.proxy.test': { srv: [srv(0, proxy.tcp, 'edge.proxy.test')] },
    'edge.proxy.test': { a: ['127.0.0.1'] },
  }, { outboundProxy: 'sip:proxy.test;transport=tcp' });
  const res = await send('sip:bob@peer.test');
  t.equal(res.status, 200);
  t.equal(proxy.seen[0]!.requestUri, 'sip:bob@peer.test');
  t.equal(proxy.seen[0]!.transport, 'tcp');
  t.same(asked(), ['SRV _sip._tcp.proxy.test', 'A edge.proxy.test', 'AAAA edge.proxy.test']);
});

void t.test('answers are cached: a second request asks DNS nothing', async (t) => {
  const ok = await responder(t, 200);
  const { send, dns } = await setup(t, {
    'peer.test': { naptr: [naptr(10, 'SIP+D2U', '_sip._udp.peer.test')] },
    '_sip._udp.peer.test': { srv: [srv(0, ok.udp)] },
    'sip.peer.test': { a: ['127.0.0.1'] },
  });
  t.equal((await send()).status, 200);
  const n = dns.queries.length;
  t.equal((await send()).status, 200);
  t.equal(dns.queries.length, n);
});
