// Walking skeleton, end to end on real peers: SIPp ↔ Parley ↔ Prosody ↔ an XMPP client (issue #3).
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { startProsody, type ProsodyHandle } from '../harness/prosody.ts';
import { connectClient, type XmppClient } from '../harness/xmpp-client.ts';
import { startParley, type ParleyHandle } from '../harness/parley.ts';
import { freeSipPort, freeTcpPort } from '../harness/ports.ts';
import { sippMessageUac, sippMessageUas } from '../harness/sipp-message.ts';
import { parseSipMessage } from '../harness/sip-trace.ts';
import { statuses, tcpExchange, udpExchange } from '../harness/raw-sip.ts';
import { child, el, text, type XmlElement } from '../../translators/xml.ts';

const SECRET = 'component-secret';
const CORPUS = new URL('../../fixtures/sip/rfc4475/', import.meta.url);
// Every kind of text a corporate user types: accents, emoji with a skin-tone modifier and ZWJ,
// CJK, a combining mark (NOT normalised), RTL, a tab and newlines. No CR: Prosody re-serialises
// stanzas writing CR raw, and XML parsing turns CRLF into LF (XML 1.0 §2.11) — Parley itself writes
// CR as &#13; (test/unit/gateway/xmpp/xml-serialize.test.ts).
const BODY = 'Grüße 👋🏽 👩‍💻 你好，世界 e\u0301 שלום\tend\nline 2\n';

let prosody: ProsodyHandle;
let parley: ParleyHandle;
let bob: XmppClient;
let sipPort: number;
let uasPort: number;

const isMessageFrom = (from: string) => (s: XmlElement) => s.name === 'message' && (s.attrs.from ?? '').startsWith(from);
const sipRemote = () => `127.0.0.1:${sipPort}`;

t.before(async () => {
  prosody = await startProsody({
    vhost: 'xmpp.test',
    users: [{ user: 'bob', password: 'bobpw' }],
    components: [{ domain: 'corp.test', secret: SECRET }, { domain: 'other.test', secret: SECRET }],
  });
  sipPort = await freeSipPort();
  uasPort = await freeSipPort();
  parley = await startParley({
    node: { id: 'e2e' },
    bus: 'memory',
    sip: {
      listen: [`udp://127.0.0.1:${sipPort}`, `tcp://127.0.0.1:${sipPort}`],
      outboundProxy: `sip:127.0.0.1:${uasPort};transport=udp`,
      domains: ['corp.test', 'other.test'],
    },
    xmpp: {
      components: [
        { domain: 'corp.test', host: '127.0.0.1', port: prosody.componentPort, secret: SECRET, addressing: 'direct' },
        { domain: 'other.test', host: '127.0.0.1', port: prosody.componentPort, secret: SECRET, addressing: 'direct' },
      ],
    },
    // Only corp.test ↔ xmpp.test federates; other.test has no agreement.
    peers: [{ name: 'xmpp-test', remote: { xmpp: ['xmpp.test'] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['message'] }],
  }, { httpPort: await freeTcpPort() });
  await parley.ready();
  bob = await connectClient({ port: prosody.c2sPort, jid: 'bob@xmpp.test', password: 'bobpw', resource: 'laptop' });
});

t.teardown(async () => {
  await bob?.close();
  await parley?.stop();
  await prosody?.stop();
});

async function sipToBob(t: Test, body: string): Promise<XmlElement> {
  const uac = await sippMessageUac({ remote: sipRemote(), body });
  const r = await uac.done;
  t.ok(r.ok, `SIPp UAC saw a 2xx\n${r.errors}`);
  return bob.nextStanza(isMessageFrom('alice@corp.test'), 5000);
}

t.test('1. a SIP MESSAGE reaches the XMPP user from alice@corp.test with a byte-identical body, and SIPp sees 202', async (t) => {
  const uac = await sippMessageUac({ remote: sipRemote(), body: BODY });
  const r = await uac.done;
  t.ok(r.ok, `SIPp UAC call succeeded\n${r.errors}`);
  const final = r.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes)).find((m) => (m.status ?? 0) >= 200);
  t.equal(final?.status, 202, 'RFC 3428: 202 Accepted, once the hand-off is durable');
  const msg = await bob.nextStanza(isMessageFrom('alice@corp.test'), 5000);
  t.equal(msg.attrs.from, 'alice@corp.test');
  t.equal(msg.attrs.type, 'chat', 'SIP → XMPP uses type chat (RFC 7572)');
  const body = child(msg, 'body');
  t.ok(body, 'has a <body>');
  t.equal(Buffer.from(text(body!)).toString('hex'), Buffer.from(BODY).toString('hex'), 'body bytes identical (no normalisation)');
});

t.test('2. bob → alice@corp.test arrives at the SIP UAS with R-URI, From, To, charset and a byte Content-Length', async (t) => {
  const uas = await sippMessageUas({ port: uasPort, status: 200 });
  bob.send(el('message', { to: 'alice@corp.test', type: 'chat', id: 'm2' }, el('body', {}, BODY)));
  const r = await uas.done;
  t.ok(r.ok, `SIPp UAS answered one MESSAGE\n${r.errors}`);
  const got = r.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes)).find((m) => m.method === 'MESSAGE');
  t.ok(got, 'UAS received a MESSAGE');
  if (!got) return;
  t.equal(got.requestUri, 'sip:alice@corp.test', 'Request-URI');
  t.match(got.header('From') ?? got.header('f'), /<sip:bob@xmpp\.test>;tag=/, 'From is the sender, with a tag');
  t.match(got.header('To') ?? got.header('t'), /<sip:alice@corp\.test>/, 'To');
  t.equal((got.header('Content-Type') ?? got.header('c'))?.replace(/\s/g, '').toLowerCase(), 'text/plain;charset=utf-8', 'text/plain with charset=UTF-8');
  t.equal(Number(got.header('Content-Length') ?? got.header('l')), Buffer.byteLength(BODY), 'Content-Length in bytes');
  t.equal(got.body.toString('hex'), Buffer.from(BODY).toString('hex'), 'exact body');
});

const errorRows: Array<[number, string, string]> = [
  [404, 'item-not-found', 'cancel'],
  [480, 'recipient-unavailable', 'wait'],
  [503, 'service-unavailable', 'cancel'],
];
for (const [status, condition, type] of errorRows) {
  t.test(`3. SIP ${status} for bob's message comes back as an error stanza: ${condition} (RFC 7247 §7)`, async (t) => {
    const uas = await sippMessageUas({ port: uasPort, status });
    const id = `err-${status}`;
    bob.send(el('message', { to: 'alice@corp.test', type: 'chat', id }, el('body', {}, 'are you there?')));
    const r = await uas.done;
    t.ok(r.ok, 'UAS answered');
    const err = await bob.nextStanza((s) => s.name === 'message' && s.attrs.id === id, 5000);
    t.equal(err.attrs.type, 'error');
    t.equal(err.attrs.from, 'alice@corp.test');
    const e = child(err, 'error');
    t.equal(e?.attrs.type, type, `error type ${type}`);
    t.ok(e && child(e, condition, 'urn:ietf:params:xml:ns:xmpp-stanzas'), `condition ${condition}`);
  });
}

t.test('4a. a MESSAGE to a domain without an agreement is refused 403', async (t) => {
  const uac = await sippMessageUac({ remote: sipRemote(), ruri: 'sip:carol@nopeer.test', to: 'sip:carol@nopeer.test', body: 'hi', expect: 403 });
  const r = await uac.done;
  t.ok(r.ok, `SIPp saw 403\n${r.errors}`);
  t.ok((await parley.metric('parley_policy_decisions_total{decision="refuse",reason="no-agreement"}')) ?? 0 >= 1, 'the refusal is counted with its reason');
});

t.test('4b. a stanza to a local domain without an agreement is refused: forbidden', async (t) => {
  bob.send(el('message', { to: 'carol@other.test', type: 'chat', id: 'noagr' }, el('body', {}, 'hi')));
  const err = await bob.nextStanza((s) => s.attrs.id === 'noagr', 5000);
  t.equal(err.attrs.type, 'error');
  const e = child(err, 'error');
  t.ok(e && child(e, 'forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas'), 'forbidden');
  t.equal(e?.attrs.type, 'auth');
});

const malformed: Array<[string, Buffer]> = [
  ['truncated headers', Buffer.from('MESSAGE sip:bob@xmpp.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKtrunc\r\nFrom: <sip:alice@corp.test>;tag=1\r\nTo: <sip')],
  ['Content-Length larger than the body', Buffer.from('MESSAGE sip:bob@xmpp.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKbadcl\r\nFrom: <sip:alice@corp.test>;tag=1\r\nTo: <sip:bob@xmpp.test>\r\nCall-ID: badcl@x\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: 9999\r\n\r\nshort')],
  ['negative Content-Length', Buffer.from('MESSAGE sip:bob@xmpp.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKneg\r\nFrom: <sip:alice@corp.test>;tag=1\r\nTo: <sip:bob@xmpp.test>\r\nCall-ID: neg@x\r\nCSeq: 1 MESSAGE\r\nContent-Length: -5\r\n\r\nhello')],
  ['garbage bytes', Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a, 0x80, 0x81])],
];

t.test('5. malformed SIP over UDP and TCP gets 400 or is dropped, and Parley keeps serving', async (t) => {
  for (const [name, bytes] of malformed) {
    const udp = statuses(await udpExchange(sipPort, bytes, 300));
    t.ok(udp.length === 0 || udp.every((s) => s === 400), `UDP ${name}: ${udp.join(',') || 'dropped'}`);
    const tcp = await tcpExchange(sipPort, bytes, 600);
    const st = statuses(tcp.data);
    t.ok(st.length === 0 || st.every((s) => s === 400), `TCP ${name}: ${st.join(',') || 'no answer'}${tcp.closedByServer ? ', closed' : ''}`);
  }
  t.ok(parley.alive(), 'the process is alive');
  const options = Buffer.from('OPTIONS sip:corp.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKopt1\r\nFrom: <sip:probe@corp.test>;tag=1\r\nTo: <sip:corp.test>\r\nCall-ID: opt1@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n');
  t.same(statuses(await udpExchange(sipPort, options, 500)), [200], 'OPTIONS answered 200 afterwards');
  const msg = await sipToBob(t, 'still here');
  t.equal(text(child(msg, 'body')!), 'still here', 'messages still flow');
});

/** RFC 4475 messages retargeted at our domains (headers only; the bytes of the body stay exact). */
async function corpusMessage(name: string): Promise<Buffer> {
  const raw = await readFile(new URL(name, CORPUS));
  const sep = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, sep).toString('latin1').replaceAll('example.com', 'corp.test').replaceAll('example.org', 'xmpp.test')
    // Responses over UDP go to the Via's sent-by unless rport asks for the source port (RFC 3581).
    .replace(/^Via: SIP\/2\.0\/\w+ [^;\r\n]+/m, 'Via: SIP/2.0/UDP 127.0.0.1:5999;rport');
  return Buffer.concat([Buffer.from(head, 'latin1'), raw.subarray(sep)]);
}

t.test('7b. SIP bodies with control characters never reach the XMPP stream raw; the component stays connected', async (t) => {
  const intmeth = statuses(await udpExchange(sipPort, await corpusMessage('intmeth.dat'), 500));
  t.same(intmeth, [501], 'intmeth.dat (unknown method, NUL/BEL/DEL in To): 501');
  const mpart = await udpExchange(sipPort, await corpusMessage('mpart01.dat'), 500);
  t.same(statuses(mpart), [415], 'mpart01.dat (multipart body with NULs): 415');
  t.match(mpart.map((b) => b.toString('latin1')).join(''), /\r\nAccept: *text\/plain/i, 'the 415 lists what we take in Accept');
  const ctl = Buffer.from('MESSAGE sip:bob@xmpp.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKctl1\r\nFrom: <sip:alice@corp.test>;tag=1\r\nTo: <sip:bob@xmpp.test>\r\nCall-ID: ctl1@x\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 9\r\n\r\nNUL\u0000BEL\u0007!');
  t.same(statuses(await udpExchange(sipPort, ctl, 500)), [400], 'a text/plain body with NUL and BEL: 400 (refused, not altered)');
  t.equal((await parley.get('/readyz')).status, 200, 'the component is still connected');
  const msg = await sipToBob(t, 'after the poison');
  t.equal(text(child(msg, 'body')!), 'after the poison');
  t.same(bob.pending().filter((s) => s.name === 'message'), [], 'bob got nothing else');
});

t.test('an XMPP error for a message from SIP (already answered 202) is logged and counted', async (t) => {
  const series = 'parley_xmpp_delivery_errors_total{condition="service-unavailable"}';
  const before = (await parley.metric(series)) ?? 0;
  // Prosody bounces a message to an account that does not exist with service-unavailable.
  const uac = await sippMessageUac({ remote: sipRemote(), ruri: 'sip:nobody@xmpp.test', to: 'sip:nobody@xmpp.test', body: 'anyone?' });
  t.ok((await uac.done).ok, 'the SIP sender got its 202: the hand-off was durable');
  const until = Date.now() + 5000;
  let after = before;
  while (Date.now() < until && after === before) {
    await new Promise((r) => setTimeout(r, 50));
    after = (await parley.metric(series)) ?? 0;
  }
  t.equal(after, before + 1, series);
  t.match(await parley.logs(), /XMPP delivery error for a message from SIP/, 'logged');
});

t.test('/metrics, /healthz and /readyz on http.listen', async (t) => {
  const health = await parley.get('/healthz');
  t.equal(health.status, 200);
  const ready = await parley.get('/readyz');
  t.equal(ready.status, 200);
  t.same(JSON.parse(ready.body), { ready: true, checks: { bus: true, store: true, xmpp: true, sip: true } });
  const metrics = await parley.get('/metrics');
  t.equal(metrics.status, 200);
  for (const name of ['parley_messages_total', 'parley_sip_requests_total', 'parley_policy_decisions_total', 'parley_edge_connected', 'parley_delivery_queue_depth', 'parley_handoff_seconds_bucket']) {
    t.match(metrics.body, new RegExp(`^${name}\\{`, 'm'), name);
  }
  t.equal(await parley.metric('parley_edge_connected{edge="xmpp",name="corp.test"}'), 1, 'the component link is up');
  t.ok(((await parley.metric('parley_messages_total{direction="sip-to-xmpp",agreement="xmpp-test",outcome="accepted"}')) ?? 0) >= 3, 'accepted SIP → XMPP messages are counted per agreement');
});

t.test('6. Prosody restarted mid-test: the component reconnects and traffic flows again', async (t) => {
  await bob.close();
  await prosody.restart();
  await parley.ready(20_000);
  bob = await connectClient({ port: prosody.c2sPort, jid: 'bob@xmpp.test', password: 'bobpw', resource: 'laptop' });
  const msg = await sipToBob(t, 'after restart ✓');
  t.equal(text(child(msg, 'body')!), 'after restart ✓');
  const uas = await sippMessageUas({ port: uasPort, status: 200 });
  bob.send(el('message', { to: 'alice@corp.test', type: 'chat', id: 'after' }, el('body', {}, 'back')));
  t.ok((await uas.done).ok, 'and XMPP → SIP flows too');
});

t.test('8. a MESSAGE acknowledged with 202 survives kill -9 of Parley while the XMPP server is down', async (t) => {
  await bob.close();
  await prosody.stop();
  const body = 'acknowledged, then crashed 💾';
  const uac = await sippMessageUac({ remote: sipRemote(), body });
  t.ok((await uac.done).ok, '202 while the component is down: the hand-off is durable, not the delivery');
  await parley.kill();
  prosody = await startProsody({
    vhost: 'xmpp.test', users: [{ user: 'bob', password: 'bobpw' }],
    components: [{ domain: 'corp.test', secret: SECRET }, { domain: 'other.test', secret: SECRET }],
    c2sPort: prosody.c2sPort, componentPort: prosody.componentPort,
  });
  bob = await connectClient({ port: prosody.c2sPort, jid: 'bob@xmpp.test', password: 'bobpw', resource: 'laptop' });
  await parley.start();
  await parley.ready(20_000);
  const msg = await bob.nextStanza(isMessageFrom('alice@corp.test'), 10_000);
  t.equal(text(child(msg, 'body')!), body, 'redelivered after the restart');
});
