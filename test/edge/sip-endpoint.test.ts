// The SIP endpoint over real UDP and TCP sockets on 127.0.0.1.
import t from 'tap';
import type { Test } from 'tap';
import { createSocket } from 'node:dgram';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingRequest } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import { parseDatagram } from '../../gateway/sip/parser.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { buildResponse } from '../../gateway/sip/response-builder.ts';
import { ParseError } from '../../gateway/sip/parse-error.ts';
import { asResponse, request, status, TcpPeer, UdpPeer } from './sip/client.ts';

async function endpoint(t: Test, extra: Partial<ConstructorParameters<typeof SipEndpoint>[0]> = {}) {
  const ep = new SipEndpoint({ listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'], domains: ['example.com'], log: silentLogger, ...extra });
  const seen: IncomingRequest[] = [];
  ep.onRequest('MESSAGE', (req) => { seen.push(req); return { status: 202, headers: [['X-Seen', String(seen.length)]] }; });
  await ep.start();
  t.teardown(() => ep.stop());
  const udp = ep.bound.find((b) => b.transport === 'udp')!.port;
  const tcp = ep.bound.find((b) => b.transport === 'tcp')!.port;
  return { ep, seen, udp, tcp };
}

async function udpPeer(t: Test): Promise<UdpPeer> {
  const p = new UdpPeer();
  await p.bind();
  t.teardown(() => { p.close(); });
  return p;
}

void t.test('MESSAGE over UDP reaches the handler once and is answered with its reply', async (t) => {
  const { seen, udp } = await endpoint(t);
  const peer = await udpPeer(t);
  await peer.send(request('MESSAGE', { port: peer.port, body: 'héllo', contentType: 'text/plain;charset=UTF-8' }), udp);
  const [res] = await peer.waitFor(1);
  t.equal(status(res), 202);
  const r = asResponse(res);
  t.match(r.headers.first('to'), /;tag=/, 'final response carries a To tag');
  t.match(r.headers.first('via'), /rport=\d+;received=127\.0\.0\.1/, 'rport and received added (RFC 3581)');
  t.equal(r.headers.first('x-seen'), '1');
  t.equal(r.headers.first('server'), 'Parley');
  t.equal(seen.length, 1);
  t.equal(seen[0]!.body.toString('utf8'), 'héllo', 'body is byte-exact (Content-Length in bytes)');
  t.equal(seen[0]!.from.displayName, 'Alice');
  t.equal(seen[0]!.from.tag, 'a1');
  t.equal(seen[0]!.header('f'), '"Alice" <sip:alice@example.net>;tag=a1', 'compact names accepted');
  t.equal(seen[0]!.transport, 'udp');
  t.equal(seen[0]!.contentType, 'text/plain;charset=UTF-8');
});

void t.test('MESSAGE over TCP reaches the handler and the connection stays open', async (t) => {
  const { seen, tcp } = await endpoint(t);
  const peer = await TcpPeer.open(tcp);
  t.teardown(() => { peer.close(); });
  peer.send(request('MESSAGE', { port: 5060, transport: 'TCP', body: 'one', contentType: 'text/plain' }));
  peer.send(request('MESSAGE', { port: 5060, transport: 'TCP', body: 'two', contentType: 'text/plain' }));
  const got = await peer.waitFor(2);
  t.same(got.map(status), [202, 202]);
  t.same(seen.map((r) => r.body.toString()), ['one', 'two']);
  t.equal(peer.closed, false);
});

void t.test('a UDP retransmission gets the same final response and the handler runs once (RFC 3261 §17.2.2)', async (t) => {
  const { seen, udp } = await endpoint(t);
  const peer = await udpPeer(t);
  const msg = request('MESSAGE', { port: peer.port, body: 'x', contentType: 'text/plain' });
  await peer.send(msg, udp);
  await peer.waitFor(1);
  await peer.send(msg, udp);
  const got = await peer.waitFor(2);
  t.equal(got.length, 2);
  t.equal(seen.length, 1);
  t.equal(serialize(got[0]!).toString(), serialize(got[1]!).toString(), 'identical responses');
});

void t.test('a retransmission while the handler is pending gets 100 Trying over UDP', async (t) => {
  const { ep, udp } = await endpoint(t);
  let release!: () => void;
  let calls = 0;
  ep.onRequest('MESSAGE', async () => { calls++; await new Promise<void>((r) => { release = r; }); return { status: 200 }; });
  const peer = await udpPeer(t);
  const msg = request('MESSAGE', { port: peer.port, body: 'x', contentType: 'text/plain' });
  await peer.send(msg, udp);
  await new Promise((r) => setTimeout(r, 50));
  await peer.send(msg, udp);
  await peer.waitFor(1);
  release();
  const got = await peer.waitFor(2);
  t.same(got.map(status), [100, 200]);
  t.equal(calls, 1);
});

void t.test('OPTIONS is answered 200 with Allow and Accept', async (t) => {
  const { udp } = await endpoint(t);
  const peer = await udpPeer(t);
  await peer.send(request('OPTIONS', { port: peer.port }), udp);
  const r = asResponse((await peer.waitFor(1))[0]);
  t.equal(r.status, 200);
  t.equal(r.headers.first('allow'), 'OPTIONS, MESSAGE, CANCEL');
  t.equal(r.headers.first('accept'), 'text/plain, message/cpim');
});

void t.test('a known method without handler gets 405 with Allow, an unknown one 501 with Allow', async (t) => {
  const { udp } = await endpoint(t);
  const peer = await udpPeer(t);
  await peer.send(request('SUBSCRIBE', { port: peer.port }), udp);
  await peer.send(request('FOO', { port: peer.port }), udp);
  const got = (await peer.waitFor(2)).map(asResponse).sort((a, b) => a.status - b.status);
  t.same(got.map((r) => r.status), [405, 501]);
  for (const r of got) t.equal(r.headers.first('allow'), 'OPTIONS, MESSAGE, CANCEL');
});

void t.test('a handler exception becomes 500', async (t) => {
  const { ep, udp } = await endpoint(t);
  ep.onRequest('MESSAGE', () => { throw new Error('boom'); });
  const peer = await udpPeer(t);
  await peer.send(request('MESSAGE', { port: peer.port, body: 'x', contentType: 'text/plain' }), udp);
  t.equal(status((await peer.waitFor(1))[0]), 500);
});

void t.test('MESSAGE with a body type we do not take gets 415 with Accept; other domains 404', async (t) => {
  const { udp, seen } = await endpoint(t);
  const peer = await udpPeer(t);
  await peer.send(request('MESSAGE', { port: peer.port, body: '<x/>', contentType: 'application/xml' }), udp);
  const r = asResponse((await peer.waitFor(1))[0]);
  t.equal(r.status, 415);
  t.equal(r.headers.first('accept'), 'text/plain, message/cpim');
  await peer.send(request('MESSAGE', { port: peer.port, body: 'x', contentType: 'text/plain', uri: 'sip:bob@elsewhere.example' }), udp);
  t.equal(status((await peer.waitFor(2))[1]), 404);
  t.equal(seen.length, 0);
});

void t.test('CANCEL that matches no transaction gets 481; ACK is absorbed', async (t) => {
  const { udp } = await endpoint(t);
  const peer = await udpPeer(t);
  await peer.send(request('ACK', { port: peer.port }), udp);
  await peer.send(request('CANCEL', { port: peer.port }), udp);
  const got = await peer.waitFor(2, 300);
  t.same(got.map(status), [481]);
});

void t.test('malformed input over UDP: 400 when answerable, silence otherwise; the endpoint keeps serving', async (t) => {
  const { udp } = await endpoint(t);
  const peer = await udpPeer(t);
  const good = request('OPTIONS', { port: peer.port });
  await peer.send(good.slice(0, 60), udp); // truncated: no headers to answer with
  await peer.send(Buffer.from([0, 1, 2, 255, 13, 10, 13, 10, 7]), udp); // garbage
  await peer.send(good.replace('Content-Length: 0', 'Content-Length: 5'), udp); // longer than the datagram
  const got = await peer.waitFor(1);
  t.equal(status(got[0]), 400);
  t.match(asResponse(got[0]).reason, /Content-Length/);
  await peer.send(good, udp);
  t.equal(status((await peer.waitFor(2))[1]), 200);
  t.equal(peer.received.length, 2);
});

void t.test('bad Content-Length over TCP: 400, then the connection is closed', async (t) => {
  const { tcp } = await endpoint(t);
  const peer = await TcpPeer.open(tcp);
  t.teardown(() => { peer.close(); });
  peer.send(request('OPTIONS', { port: 5060, transport: 'TCP' }).replace('Content-Length: 0', 'Content-Length: -1'));
  const got = await peer.waitFor(1);
  t.equal(status(got[0]), 400);
  t.ok(await peer.waitClose(), 'closed');
  const again = await TcpPeer.open(tcp);
  t.teardown(() => { again.close(); });
  again.send(request('OPTIONS', { port: 5060, transport: 'TCP' }));
  t.equal(status((await again.waitFor(1))[0]), 200, 'still serving');
});

void t.test('garbage over TCP closes the connection', async (t) => {
  const { tcp } = await endpoint(t);
  const peer = await TcpPeer.open(tcp);
  t.teardown(() => { peer.close(); });
  peer.send('\x00\x01garbage\r\n\r\n');
  t.ok(await peer.waitClose());
  t.equal(peer.received.length, 0);
});

void t.test('sendRequest over UDP resolves with the final response, 1xx ignored', async (t) => {
  const { ep } = await endpoint(t);
  const uas = createSocket('udp4');
  await new Promise<void>((r) => { uas.bind(0, '127.0.0.1', r); });
  t.teardown(() => { uas.close(); });
  let got: string | undefined;
  uas.on('message', (buf, rinfo) => {
    const req = parseDatagram(buf);
    if (req instanceof ParseError || req.kind !== 'request') return;
    got = buf.toString();
    for (const code of [100, 200]) {
      const res = buildResponse(req.headers, code, code === 100 ? 'Trying' : 'OK', { toTag: 'x' });
      uas.send(serialize(res), rinfo.port, rinfo.address);
    }
  });
  const port = uas.address().port;
  const res = await ep.sendRequest({
    method: 'MESSAGE', requestUri: `sip:carol@127.0.0.1:${port}`, from: { uri: 'sip:alice@example.com', displayName: 'Alice' },
    to: { uri: 'sip:carol@example.org' }, headers: [['Content-Type', 'text/plain;charset=UTF-8']], body: Buffer.from('hi ✓'),
  });
  t.equal(res.status, 200);
  t.equal(res.local, undefined);
  t.match(got, /^MESSAGE sip:carol@127\.0\.0\.1:\d+ SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK\w+;rport\r\nMax-Forwards: 70\r\n/);
  t.match(got, /\r\nContent-Length: 6\r\n\r\nhi ✓$/);
  t.match(got, /From: "Alice" <sip:alice@example\.com>;tag=\w+/);
});

void t.test('sendRequest over TCP, with an outbound proxy, reuses the connection', async (t) => {
  const server = await endpoint(t);
  server.ep.onRequest('MESSAGE', () => ({ status: 200 }));
  const { ep } = await endpoint(t, { outboundProxy: `sip:127.0.0.1:${server.tcp};transport=tcp` });
  const spec = { method: 'MESSAGE', requestUri: 'sip:bob@example.com', from: { uri: 'sip:alice@example.net' }, to: { uri: 'sip:bob@example.com' }, headers: [['Content-Type', 'text/plain']] as Array<[string, string]>, body: Buffer.from('x') };
  const a = await ep.sendRequest(spec);
  const b = await ep.sendRequest(spec);
  t.same([a.status, b.status], [200, 200]);
});

void t.test('Timer F: a request nobody answers resolves 408, local (RFC 3261 §17.1.2.2)', async (t) => {
  const { ep } = await endpoint(t, { timers: { T1: 10, T2: 40, T4: 50 } });
  const silent = createSocket('udp4');
  let copies = 0;
  silent.on('message', () => { copies++; });
  await new Promise<void>((r) => { silent.bind(0, '127.0.0.1', r); });
  t.teardown(() => { silent.close(); });
  const res = await ep.sendRequest({ method: 'MESSAGE', requestUri: `sip:x@127.0.0.1:${silent.address().port}`, from: { uri: 'sip:a@example.com' }, to: { uri: 'sip:x@example.com' } });
  t.same(res, { status: 408, reason: 'Request Timeout', headers: [], local: true });
  t.ok(copies >= 5, `Timer E retransmitted (${copies} copies)`);
});

void t.test('a transport failure resolves 503, local', async (t) => {
  const { ep } = await endpoint(t);
  const res = await ep.sendRequest({ method: 'MESSAGE', requestUri: 'sip:x@127.0.0.1:1;transport=tcp', from: { uri: 'sip:a@example.com' }, to: { uri: 'sip:x@example.com' } });
  t.equal(res.status, 503);
  t.equal(res.local, true);
});
