// SIP PUBLISH (RFC 3903) for an XMPP user where the agreement grants `publish`, end to end on real
// peers: Prosody + an XMPP client (bob) ↔ Parley ↔ SIPp as the event publication agent and a raw
// SIP watcher (carol) subscribed to bob. The watcher sees bob's XMPP presence composed with the
// published tuple; refresh, remove, 412 and the restart (soft state gone: 412, republish) per
// RFC 3903; no agreement → 403. Published state never reaches XMPP.
import t from 'tap';
import { startProsody, type ProsodyHandle } from '../harness/prosody.ts';
import { connectClient, type XmppClient } from '../harness/xmpp-client.ts';
import { startParley, type ParleyHandle } from '../harness/parley.ts';
import { freeSipPort, freeTcpPort } from '../harness/ports.ts';
import { pidfDocument, sippPublishEsc, type EpaPublishOptions } from '../harness/sipp-presence.ts';
import { parseSipMessage, type SipMessage } from '../harness/sip-trace.ts';
import { rawWatcher, type RawWatcher } from '../harness/raw-watcher.ts';
import { el, type XmlElement } from '../../translators/xml.ts';
import { parsePidf, type PidfDocument } from '../../translators/pidf.ts';

const SECRET = 'component-secret';
let prosody: ProsodyHandle;
let parley: ParleyHandle;
let bob: XmppClient;
let carol: RawWatcher;
let sipPort: number;

const BOB = 'sip:bob@xmpp.test';
const PBX = 'sip:pbx@corp.test';

t.before(async () => {
  prosody = await startProsody({ vhost: 'xmpp.test', users: [{ user: 'bob', password: 'bobpw' }], components: [{ domain: 'corp.test', secret: SECRET }] });
  sipPort = await freeSipPort();
  parley = await startParley({
    node: { id: 'e2e-publish' },
    bus: 'memory',
    sip: { listen: [`udp://127.0.0.1:${sipPort}`], domains: ['corp.test'] },
    xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: prosody.componentPort, secret: SECRET, addressing: 'direct' }] },
    peers: [
      { name: 'xmpp-test', remote: { xmpp: ['xmpp.test'] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['message', 'presence', 'publish'] },
      { name: 'no-publish', remote: { xmpp: ['other.test'] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['message', 'presence'] },
    ],
  }, { httpPort: await freeTcpPort() });
  await parley.ready();
  bob = await connectClient({ port: prosody.c2sPort, jid: 'bob@xmpp.test', password: 'bobpw', resource: 'laptop' });
  await bob.iq(el('iq', { type: 'get' }, el('query', { xmlns: 'jabber:iq:roster' })));
});

t.teardown(async () => {
  carol?.close();
  await bob?.close();
  await parley?.stop();
  await prosody?.stop();
});

interface Published { ok: boolean; response: SipMessage | undefined; errors: string }

/** One PUBLISH through SIPp; the final response read from SIPp's trace. */
const publish = async (o: Omit<EpaPublishOptions, 'remote' | 'presentity' | 'from'> & { presentity?: string; from?: string }): Promise<Published> => {
  const pub = await sippPublishEsc({ remote: `127.0.0.1:${sipPort}`, presentity: BOB, from: PBX, ...o });
  const r = await pub.done;
  const response = r.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes)).find((m) => (m.status ?? 0) >= 200);
  return { ok: r.ok, response, errors: r.errors + r.messages };
};
/** The assertion message: what was expected, and SIPp's trace when it did not happen. */
const said = (p: Published, what: string): string => (p.ok ? what : `${what}\n${p.errors}`);
const etagOf = (p: Published): string => p.response?.header('SIP-ETag') ?? '';
const pidfOf = (m: SipMessage): PidfDocument | undefined => {
  const d = parsePidf(m.body.toString('utf8'));
  return d.ok ? d.value : undefined;
};
const notes = (d: PidfDocument | undefined): string[] => d?.tuples.flatMap((x) => x.notes.map((n) => n.text)) ?? [];
const desk = (note: string): string => pidfDocument(BOB, { note, activity: 'on-the-phone' }).replace('<tuple id="t1"><status><basic>open</basic></status></tuple>',
  `<tuple id="desk-phone"><status><basic>open</basic></status><note>${note}</note></tuple>`);

let tag = '';

t.test('1. a SIP watcher of bob is active and sees his XMPP presence', async (t) => {
  // bob's presence is set before anyone watches him: what carol sees of it is what Prosody sends
  // her JID right after bob's approval (RFC 6121 §3.1.5), nothing bob sends afterwards.
  bob.send(el('presence', {}, el('status', {}, 'At my desk')));
  carol = await rawWatcher({ proxy: `127.0.0.1:${sipPort}`, presentity: BOB, watcher: 'sip:carol@corp.test' });
  await bob.nextStanza((s) => s.name === 'presence' && s.attrs.type === 'subscribe' && (s.attrs.from ?? '').startsWith('carol@corp.test'), 10_000);
  bob.send(el('presence', { type: 'subscribed', to: 'carol@corp.test' }));
  const n = await carol.waitNotify((m) => /^active/.test(m.header('Subscription-State') ?? '') && m.body.toString('utf8').includes('At my desk'), 10_000);
  t.same(pidfOf(n)?.tuples.map((x) => x.id), ['SID-6c6170746f70'], 'bob\'s laptop tuple');
  t.equal(pidfOf(n)?.tuples[0]?.basic, 'open', 'bob is available');
});

t.test('2. SIPp PUBLISHes for bob → 200 with SIP-ETag; carol\'s NOTIFY carries bob\'s XMPP tuple and the published one', async (t) => {
  const before = carol.notifies.length;
  const presences = (): number => bob.pending().filter((s: XmlElement) => s.name === 'presence').length;
  const bobHad = presences();
  const p = await publish({ body: desk('On a call'), expires: 600 });
  t.ok(p.ok, said(p, '200'));
  tag = etagOf(p);
  t.match(tag, /^[A-Za-z0-9_-]{16}$/, 'SIP-ETag');
  t.equal(p.response?.header('Expires'), '600');
  const n = await carol.waitNotify((m) => carol.notifies.indexOf(m) >= before && m.body.toString('utf8').includes('On a call'), 5000);
  const doc = pidfOf(n);
  t.match(n.header('Subscription-State') ?? '', /^active/);
  t.same(doc?.tuples.map((x) => x.id), ['SID-6c6170746f70', 'desk-phone'], 'composed: XMPP tuple + published tuple');
  t.same(notes(doc), ['At my desk', 'On a call']);
  t.same(doc?.person?.activities, ['on-the-phone']);
  // Published state is NOTIFY only: no stanza reaches bob (nor anyone) from it.
  await new Promise((r) => setTimeout(r, 500));
  t.equal(presences(), bobHad, 'no XMPP presence came out of the PUBLISH');
});

t.test('3. refresh with SIP-If-Match → 200, a new entity tag, no NOTIFY; the old tag then gets 412', async (t) => {
  const before = carol.notifies.length;
  const p = await publish({ ifMatch: tag, expires: 900 });
  t.ok(p.ok, said(p, '200'));
  const fresh = etagOf(p);
  t.match(fresh, /\S/);
  t.not(fresh, tag, 'a fresh SIP-ETag');
  t.equal(p.response?.header('Expires'), '900');
  const spent = await publish({ ifMatch: tag, expect: 412 });
  t.ok(spent.ok, said(spent, 'the spent tag: 412 Conditional Request Failed'));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(carol.notifies.length, before, 'a refresh changes no state: no NOTIFY');
  tag = fresh;
});

t.test('4. a bogus entity tag → 412', async (t) => {
  const p = await publish({ ifMatch: 'no-such-tag', expect: 412 });
  t.ok(p.ok, said(p, '412'));
  t.equal(p.response?.status, 412);
});

t.test('5. remove with Expires: 0 → 200; carol\'s NOTIFY no longer has the published tuple', async (t) => {
  const before = carol.notifies.length;
  const p = await publish({ ifMatch: tag, expires: 0 });
  t.ok(p.ok, said(p, '200'));
  t.equal(p.response?.header('Expires'), '0');
  const n = await carol.waitNotify((m) => carol.notifies.indexOf(m) >= before, 5000);
  t.same(pidfOf(n)?.tuples.map((x) => x.id), ['SID-6c6170746f70'], 'only bob\'s XMPP tuple');
  t.notOk(n.body.toString('utf8').includes('On a call'));
});

t.test('6. without an agreement granting publish → 403 with the policy\'s reason', async (t) => {
  const none = await publish({ presentity: 'sip:dan@elsewhere.test', body: desk('x'), expect: 403 });
  t.ok(none.ok, said(none, '403'));
  t.equal(none.response?.startLine, 'SIP/2.0 403 no peering agreement between corp.test and elsewhere.test');
  const notGranted = await publish({ presentity: 'sip:erin@other.test', body: desk('x'), expect: 403 });
  t.ok(notGranted.ok, said(notGranted, '403'));
  t.equal(notGranted.response?.startLine, 'SIP/2.0 403 agreement no-publish does not grant publish');
  t.equal(await parley.metric('parley_policy_decisions_total{decision="refuse",reason="no-agreement"}'), 1, 'counted as policy decisions');
  t.equal(await parley.metric('parley_policy_decisions_total{decision="refuse",reason="service-not-granted"}'), 1);
});

t.test('7. a restart loses the soft state: the EPA\'s refresh gets 412 and it publishes again (RFC 3903)', async (t) => {
  const p = await publish({ body: desk('Before the restart') });
  t.ok(p.ok, said(p, '200'));
  await parley.kill();
  await parley.start();
  await parley.ready();
  const refresh = await publish({ ifMatch: etagOf(p), expect: 412 });
  t.ok(refresh.ok, said(refresh, 'refresh after the restart: 412'));
  const before = carol.notifies.length;
  const again = await publish({ body: desk('After the restart') });
  t.ok(again.ok, said(again, 'the initial PUBLISH again: 200'));
  // carol's dialog was restored from the store; the republished state reaches it.
  const n = await carol.waitNotify((m) => carol.notifies.indexOf(m) >= before && m.body.toString('utf8').includes('After the restart'), 5000);
  t.same(notes(pidfOf(n)), ['At my desk', 'After the restart'], 'carol sees the republished state composed again');
});
