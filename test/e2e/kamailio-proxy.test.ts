// Kamailio as a record-routing proxy in front of Parley (issue #4): SIPp ↔ Kamailio ↔ Parley ↔
// Prosody ↔ an XMPP client, both directions, on loopback.
//   R-URI host xmpp.test → Parley (the XMPP side)      R-URI host corp.test → SIPp UAS (corporate users)
import t from 'tap';
import { startProsody, type ProsodyHandle } from '../harness/prosody.ts';
import { connectClient, type XmppClient } from '../harness/xmpp-client.ts';
import { startParley, type ParleyHandle } from '../harness/parley.ts';
import { startKamailio, type KamailioHandle } from '../harness/kamailio.ts';
import { freeSipPort, freeTcpPort } from '../harness/ports.ts';
import { sippMessageUac, sippMessageUas } from '../harness/sipp-message.ts';
import { parseSipMessage, type SipMessage } from '../harness/sip-trace.ts';
import type { SippResult } from '../harness/sipp.ts';
import { child, el, text, type XmlElement } from '../../translators/xml.ts';

const SECRET = 'component-secret';
const BODY = 'Grüße 👋🏽 via the proxy, 你好 e\u0301\tend\n';

let prosody: ProsodyHandle;
let parley: ParleyHandle;
let kamailio: KamailioHandle;
let bob: XmppClient;
let sipPort: number;
let uasPort: number;

const all = (m: SipMessage, name: string): string[] =>
  m.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
const received = (r: SippResult): SipMessage[] =>
  r.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes));
const isMessageFrom = (from: string) => (s: XmlElement) => s.name === 'message' && (s.attrs.from ?? '').startsWith(from);
/** Kamailio's log lines, polled: a reply is logged by a worker just before it is relayed. */
async function kamailioLine(re: RegExp, timeoutMs = 2000): Promise<string | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = kamailio.logs().split('\n').find((l) => re.test(l));
    if (line !== undefined || Date.now() > until) return line;
    await new Promise((r) => setTimeout(r, 25));
  }
}
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

t.before(async () => {
  prosody = await startProsody({
    vhost: 'xmpp.test',
    users: [{ user: 'bob', password: 'bobpw' }],
    components: [{ domain: 'corp.test', secret: SECRET }],
  });
  sipPort = await freeSipPort();
  uasPort = await freeSipPort();
  kamailio = await startKamailio({
    routes: [
      { domain: 'xmpp.test', to: `127.0.0.1:${sipPort}` },
      { domain: 'corp.test', to: `127.0.0.1:${uasPort}` },
    ],
  });
  parley = await startParley({
    node: { id: 'e2e-kamailio' },
    bus: 'memory',
    sip: {
      listen: [`udp://127.0.0.1:${sipPort}`, `tcp://127.0.0.1:${sipPort}`],
      outboundProxy: kamailio.uri('udp'),
      domains: ['corp.test'],
    },
    xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: prosody.componentPort, secret: SECRET, addressing: 'direct' }] },
    peers: [{ name: 'xmpp-test', remote: { xmpp: ['xmpp.test'] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['message'] }],
  }, { httpPort: await freeTcpPort() });
  await parley.ready();
  bob = await connectClient({ port: prosody.c2sPort, jid: 'bob@xmpp.test', password: 'bobpw', resource: 'laptop' });
});

t.teardown(async () => {
  await bob?.close();
  await parley?.stop();
  await kamailio?.stop();
  await prosody?.stop();
});

for (const transport of ['udp', 'tcp'] as const) {
  t.test(`SIPp (${transport}) → Kamailio → Parley → XMPP: the message arrives and the 202 comes back through Kamailio`, async (t) => {
    const uac = await sippMessageUac({ remote: kamailio.address, transport, body: BODY, expect: 202 });
    const r = await uac.done;
    t.ok(r.ok, `SIPp saw 202 from Kamailio\n${r.errors}`);
    const final = received(r).find((m) => (m.status ?? 0) >= 200);
    t.equal(final?.status, 202, '202 Accepted relayed by Kamailio');
    const vias = final ? all(final, 'Via') : [];
    t.equal(vias.length, 1, 'Kamailio removed its own Via: only SIPp\'s is left (RFC 3261 §16.7 step 3)');
    t.match(vias[0] ?? '', new RegExp(`^SIP/2\\.0/${transport.toUpperCase()} 127\\.0\\.0\\.1:${uac.port};`, 'i'), 'SIPp\'s Via');

    const msg = await bob.nextStanza(isMessageFrom('alice@corp.test'), 5000);
    t.equal(msg.attrs.from, 'alice@corp.test');
    t.equal(Buffer.from(text(child(msg, 'body')!)).toString('hex'), Buffer.from(BODY).toString('hex'), 'body bytes identical');

    // Kamailio logs each reply it receives: from where, and with which top Via.
    const reply = await kamailioLine(new RegExp(`reply 202 \\S+ for MESSAGE from 127\\.0\\.0\\.1:${sipPort} \\(udp\\)`));
    t.ok(reply, 'Parley sent its 202 to Kamailio (not to SIPp)');
    t.match(reply ?? '', new RegExp(`via <SIP/2\\.0/UDP 127\\.0\\.0\\.1:${kamailio.port};branch=z9hG4bK`), 'the 202\'s top Via is Kamailio\'s: Parley saw Kamailio\'s Via and answered along it');
  });
}

t.test('XMPP → Parley → Kamailio (outbound proxy) → SIPp UAS: Record-Route and Via added, body intact', async (t) => {
  const uas = await sippMessageUas({ port: uasPort, status: 200 });
  t.teardown(() => uas.stop());
  bob.send(el('message', { to: 'alice@corp.test', type: 'chat', id: 'via-proxy' }, el('body', {}, BODY)));
  const r = await uas.done;
  t.ok(r.ok, `SIPp UAS answered one MESSAGE\n${r.errors}`);
  const got = received(r).find((m) => m.method === 'MESSAGE');
  t.ok(got, 'UAS received a MESSAGE');
  if (!got) return;
  t.equal(got.requestUri, 'sip:alice@corp.test', 'Request-URI unchanged by the proxy');
  const vias = all(got, 'Via');
  t.equal(vias.length, 2, 'two Vias: Kamailio on top of Parley');
  t.match(vias[0] ?? '', new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${kamailio.port};branch=z9hG4bK`), 'top Via is Kamailio\'s');
  t.match(vias[1] ?? '', new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${sipPort};.*branch=z9hG4bK`), 'then Parley\'s');
  t.match(vias[1] ?? '', /;rport=\d+/, 'Parley asked for rport and Kamailio filled it in (RFC 3581)');
  const rr = all(got, 'Record-Route');
  t.equal(rr.length, 1, 'one Record-Route');
  t.match(rr[0] ?? '', new RegExp(`^<sip:${esc(kamailio.address)};lr`), 'Kamailio\'s Record-Route, loose routing');
  t.equal(got.header('Max-Forwards'), '69', 'Max-Forwards decremented by the proxy');
  t.match(got.header('From') ?? '', /<sip:bob@xmpp\.test>;tag=/, 'From');
  t.equal(Number(got.header('Content-Length')), Buffer.byteLength(BODY), 'Content-Length in bytes');
  t.equal(got.body.toString('hex'), Buffer.from(BODY).toString('hex'), 'body intact');
  t.ok(await kamailioLine(/request MESSAGE sip:alice@corp\.test from 127\.0\.0\.1:\d+ \(udp\)/), 'Kamailio routed it');
  t.same(bob.pending().filter((s) => s.name === 'message' && s.attrs.id === 'via-proxy'), [], 'no error came back to bob');
});

t.test('a 404 from the UAS, relayed by Kamailio, comes back to the XMPP sender as item-not-found', async (t) => {
  const uas = await sippMessageUas({ port: uasPort, status: 404 });
  t.teardown(() => uas.stop());
  bob.send(el('message', { to: 'nobody@corp.test', type: 'chat', id: 'via-proxy-404' }, el('body', {}, 'anyone?')));
  t.ok((await uas.done).ok, 'UAS answered 404');
  const err = await bob.nextStanza((s) => s.name === 'message' && s.attrs.id === 'via-proxy-404', 5000);
  t.equal(err.attrs.type, 'error');
  t.equal(err.attrs.from, 'nobody@corp.test');
  const e = child(err, 'error');
  t.equal(e?.attrs.type, 'cancel');
  t.ok(e && child(e, 'item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'), 'item-not-found (RFC 7247 §7)');
  t.ok(await kamailioLine(new RegExp(`reply 404 \\S.* for MESSAGE from 127\\.0\\.0\\.1:${uasPort} \\(udp\\)`)), 'the 404 went through Kamailio');
});
