// Presence both ways, end to end on real peers (issue #5): Prosody + XMPP clients ↔ Parley ↔
// Kamailio (presence server of corp.test) ↔ SIPp publishing and watching.
import t from 'tap';
import { startProsody, type ProsodyHandle } from '../harness/prosody.ts';
import { connectClient, type XmppClient } from '../harness/xmpp-client.ts';
import { startParley, type ParleyHandle } from '../harness/parley.ts';
import { startKamailioPresence, type KamailioPresenceHandle } from '../harness/kamailio-presence.ts';
import { freeSipPort, freeTcpPort } from '../harness/ports.ts';
import { pidfDocument, sippPublish, sippWatch } from '../harness/sipp-presence.ts';
import { parseSipMessage } from '../harness/sip-trace.ts';
import { rawWatcher } from '../harness/raw-watcher.ts';
import { udpExchange } from '../harness/raw-sip.ts';
import { child, el, text, type XmlElement } from '../../translators/xml.ts';
import { parsePidf } from '../../translators/pidf.ts';

const SECRET = 'component-secret';
let prosody: ProsodyHandle;
let kamailio: KamailioPresenceHandle;
let parley: ParleyHandle;
let bob: XmppClient;
let sipPort: number;

const presenceFrom = (from: string, type?: string) => (s: XmlElement): boolean =>
  s.name === 'presence' && (s.attrs.from ?? '').split('/')[0] === from && s.attrs.type === type;

t.before(async () => {
  prosody = await startProsody({
    vhost: 'xmpp.test',
    users: [{ user: 'bob', password: 'bobpw' }],
    components: [{ domain: 'corp.test', secret: SECRET }],
  });
  sipPort = await freeSipPort();
  kamailio = await startKamailioPresence({ domain: 'corp.test', routes: [{ domain: 'xmpp.test', to: `127.0.0.1:${sipPort}` }] });
  parley = await startParley({
    node: { id: 'e2e-presence' },
    bus: 'memory',
    sip: { listen: [`udp://127.0.0.1:${sipPort}`, `tcp://127.0.0.1:${sipPort}`], outboundProxy: kamailio.uri('udp'), domains: ['corp.test'] },
    xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: prosody.componentPort, secret: SECRET, addressing: 'direct' }] },
    peers: [{ name: 'xmpp-test', remote: { xmpp: ['xmpp.test'] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['message', 'presence'] }],
  }, { httpPort: await freeTcpPort(), keepDir: true });
  await parley.ready();
  bob = await connectClient({ port: prosody.c2sPort, jid: 'bob@xmpp.test', password: 'bobpw', resource: 'laptop' });
  // An interested resource (RFC 6121 §2.1.6): only those get subscription states and roster pushes.
  await bob.iq(el('iq', { type: 'get' }, el('query', { xmlns: 'jabber:iq:roster' })));
});

t.teardown(async () => {
  await bob?.close();
  await parley?.stop();
  await kamailio?.stop();
  await prosody?.stop();
});

/** PUBLISHes through SIPp; resolves with the time just before SIPp was started (an upper bound for latency). */
const publish = async (note: string, activity?: string): Promise<number> => {
  const started = performance.now();
  const pub = await sippPublish({ remote: kamailio.address, presentity: 'sip:alice@corp.test', body: pidfDocument('sip:alice@corp.test', { note, ...(activity !== undefined && { activity }) }) });
  const r = await pub.done;
  if (!r.ok) throw new Error(`PUBLISH failed\n${r.errors}\n${kamailio.logs().slice(-2000)}`);
  return started;
};

const statusText = (s: XmlElement): string | undefined => {
  const st = child(s, 'status');
  return st && text(st);
};

t.test('1. bob subscribes to alice@corp.test; alice PUBLISHes away "At lunch" to Kamailio; bob sees show away + status within 1 s', async (t) => {
  bob.send(el('presence', { type: 'subscribe', to: 'alice@corp.test', id: 'sub1' }));
  const subscribed = await bob.nextStanza(presenceFrom('alice@corp.test', 'subscribed'), 10_000);
  t.ok(subscribed, 'NOTIFY active → subscribed');
  t.match(kamailio.logs(), /request SUBSCRIBE sip:alice@corp\.test .* event=presence/, 'Kamailio got the SUBSCRIBE (Event: presence)');
  const published = await publish('At lunch', 'away');
  const p = await bob.nextStanza((s) => presenceFrom('alice@corp.test')(s) && statusText(s) === 'At lunch', 5000);
  const latency = performance.now() - published;
  t.equal(text(child(p, 'show')!), 'away', '<show>away</show>');
  t.equal(statusText(p), 'At lunch', '<status>At lunch</status>');
  t.ok(latency < 1000, `within 1 s of starting the SIPp PUBLISH (${latency.toFixed(0)} ms, SIPp start-up included)`);
});

t.test('2. a SIP watcher subscribes through Kamailio to bob@xmpp.test; bob approves and goes dnd → NOTIFY with open, RPID busy and the note', async (t) => {
  const watcher = await sippWatch({ remote: kamailio.address, presentity: 'sip:bob@xmpp.test', watcher: 'sip:carol@corp.test', until: 'busy', after: 'unsubscribe', timeoutMs: 20_000 });
  const ask = await bob.nextStanza(presenceFrom('carol@corp.test', 'subscribe'), 10_000);
  t.ok(ask, 'an XMPP subscribe from the watcher\'s JID');
  bob.send(el('presence', { type: 'subscribed', to: 'carol@corp.test' }));
  bob.send(el('presence', {}, el('show', {}, 'dnd'), el('status', {}, 'In a meeting')));
  const r = await watcher.done;
  t.ok(r.ok, `SIPp watcher ran its scenario\n${r.errors}`);
  const notifies = r.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes)).filter((m) => m.method === 'NOTIFY');
  t.match(notifies[0]?.header('Subscription-State') ?? '', /^pending/, 'the immediate NOTIFY is pending (RFC 6665 §4.2.1.2)');
  const busy = notifies.find((m) => m.body.toString('utf8').includes('busy'));
  t.ok(busy, 'a NOTIFY with RPID busy');
  if (busy) {
    t.match(busy.header('Subscription-State') ?? '', /^active/);
    t.match(busy.header('Content-Type') ?? '', /application\/pidf\+xml/);
    const doc = parsePidf(busy.body.toString('utf8'));
    t.ok(doc.ok, 'a valid PIDF');
    if (doc.ok) {
      t.ok(doc.value.tuples.some((tu) => tu.basic === 'open'), 'basic open');
      t.same(doc.value.person?.activities, ['busy'], 'RPID busy');
      t.ok(doc.value.tuples.some((tu) => tu.notes.some((n) => n.text === 'In a meeting')), 'the note');
    }
  }
  const last = notifies.at(-1);
  t.match(last?.header('Subscription-State') ?? '', /^terminated/, 'Expires 0 → final NOTIFY terminated');
  t.ok(await bob.nextStanza(presenceFrom('carol@corp.test', 'unsubscribe'), 5000), 'and an XMPP unsubscribe from the watcher');
});

t.test('3. a restart of Parley (kill -9) keeps both subscriptions working', async (t) => {
  // A watcher that stays subscribed across the restart (a raw UA: SIPp would exit), approved by bob.
  const dave = await rawWatcher({ proxy: kamailio.address, presentity: 'sip:bob@xmpp.test', watcher: 'sip:dave@corp.test' });
  t.teardown(() => { dave.close(); });
  await bob.nextStanza(presenceFrom('dave@corp.test', 'subscribe'), 10_000);
  bob.send(el('presence', { type: 'subscribed', to: 'dave@corp.test' }));
  await dave.waitNotify((m) => /^active/.test(m.header('Subscription-State') ?? '') && m.body.toString('utf8').includes('busy'));
  t.pass('dave is active and sees bob busy');

  const UNSUBSCRIBE = /request SUBSCRIBE sip:127\.0\.0\.1:\d+ from .* event=presence expires=0/g;
  const ended = kamailio.logs().match(UNSUBSCRIBE)?.length ?? 0;
  await parley.kill();
  await parley.start();
  await parley.ready();

  // The SUBSCRIBE dialog of the killed process is ended at Kamailio (best effort), not left to expire.
  const until = Date.now() + 5000;
  while ((kamailio.logs().match(UNSUBSCRIBE)?.length ?? 0) === ended && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.equal(kamailio.logs().match(UNSUBSCRIBE)?.length ?? 0, ended + 1, 'Kamailio got SUBSCRIBE Expires: 0 in the old dialog');

  // The XMPP → SIP subscription is re-established from the store: alice's state comes again, and a new PUBLISH crosses.
  const again = await bob.nextStanza((s) => presenceFrom('alice@corp.test')(s) && statusText(s) === 'At lunch', 10_000);
  t.ok(again, 'after the restart Parley re-SUBSCRIBEd and forwarded alice\'s current state');
  await publish('On the phone', 'on-the-phone');
  const p = await bob.nextStanza((s) => presenceFrom('alice@corp.test')(s) && statusText(s) === 'On the phone', 5000);
  t.equal(text(child(p, 'show')!), 'dnd', 'on-the-phone → dnd');

  // The watcher dialog opened before the restart still gets bob's changes.
  bob.send(el('presence', {}, el('show', {}, 'away'), el('status', {}, 'Back at 3')));
  const n = await dave.waitNotify((m) => m.body.toString('utf8').includes('Back at 3'), 5000);
  t.match(n.header('Subscription-State') ?? '', /^active;expires=\d+/, 'NOTIFY active in the old dialog, after the restart');
  t.match(n.body.toString('utf8'), /away/, 'away');

  // Its refresh is answered by the restored dialog (not 481), with a NOTIFY of the current state.
  const before = dave.notifies.length;
  t.equal(await dave.refresh(600), 200, 'a refresh of the dialog opened before the restart gets 200');
  const fresh = await dave.waitNotify((m) => dave.notifies.indexOf(m) >= before, 5000);
  t.match(fresh.header('Subscription-State') ?? '', /^active;expires=(600|599)$/, 'and an immediate NOTIFY active (RFC 6665 §4.2.1.2)');
  t.match(fresh.body.toString('utf8'), /Back at 3/, 'with bob\'s current state');

  // A SIPp watcher that comes back anew: the approval survived, so NOTIFY active at once, no new XMPP subscribe.
  const w2 = await sippWatch({ remote: kamailio.address, presentity: 'sip:bob@xmpp.test', watcher: 'sip:dave@corp.test', until: 'basic[^>]*>open', after: 'unsubscribe', timeoutMs: 20_000 });
  const r = await w2.done;
  t.ok(r.ok, `dave is served again in a new dialog\n${r.errors}`);
  const first = r.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes)).find((m) => m.method === 'NOTIFY');
  t.match(first?.header('Subscription-State') ?? '', /^active/, 'the first NOTIFY is active: the approval survived the restart');
  t.match(first?.body.toString('utf8') ?? '', /Back at 3/, 'with bob\'s last known presence');
  t.ok(await bob.nextStanza(presenceFrom('dave@corp.test', 'unsubscribe'), 5000), 'unsubscribe from dave after Expires 0');
});

t.test('4. bob unsubscribes from alice → in-dialog SUBSCRIBE with Expires: 0 to Kamailio', async (t) => {
  const UNSUBSCRIBE = /request SUBSCRIBE sip:127\.0\.0\.1:\d+ from .* event=presence expires=0/g;
  const before = kamailio.logs().match(UNSUBSCRIBE)?.length ?? 0;
  bob.send(el('presence', { type: 'unsubscribe', to: 'alice@corp.test' }));
  const until = Date.now() + 5000;
  while ((kamailio.logs().match(UNSUBSCRIBE)?.length ?? 0) === before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.equal(kamailio.logs().match(UNSUBSCRIBE)?.length ?? 0, before + 1, 'Kamailio got one SUBSCRIBE Expires: 0 on the dialog');
});

t.test('5. a PUBLISH to a mapped XMPP address is refused 403 where no agreement grants publish (not our role), the reason phrase naming the cause', async (t) => {
  const rows: Array<[string, RegExp]> = [
    ['sip:carol@corp.test', /SIP\/2\.0 403 agreement xmpp-test does not grant publish/],
    ['sip:bob@xmpp.test', /SIP\/2\.0 403 the publisher xmpp\.test is not served by this gateway/],
  ];
  for (const [from, answer] of rows) {
    const pub = await sippPublish({ remote: kamailio.address, presentity: 'sip:bob@xmpp.test', from, body: pidfDocument('sip:bob@xmpp.test', { note: 'x' }) });
    const r = await pub.done;
    t.notOk(r.ok, `the PUBLISH from ${from} is not accepted`);
    t.match(r.errors + r.messages, answer, '403 with the policy\'s reason');
  }
});

t.test('5b. a PUBLISH for another event package (or none) is refused 489 Bad Event (RFC 3903 §6 step 2)', async (t) => {
  const publishRaw = (event: string | undefined): Buffer => Buffer.from([
    'PUBLISH sip:bob@xmpp.test SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKpub${event ?? 'none'}`, 'Max-Forwards: 70',
    'From: <sip:carol@corp.test>;tag=pb1', 'To: <sip:bob@xmpp.test>', `Call-ID: pub-${event ?? 'none'}@x`, 'CSeq: 1 PUBLISH',
    ...(event !== undefined ? [`Event: ${event}`] : []), 'Expires: 600', 'Content-Length: 0', '', '',
  ].join('\r\n'));
  for (const event of ['dialog', undefined]) {
    const replies = (await udpExchange(sipPort, publishRaw(event), 1000)).map((b) => parseSipMessage(b));
    t.equal(replies[0]?.status, 489, `489 Bad Event (Event: ${event ?? 'absent'})`);
    t.match(replies[0]?.header('Allow-Events') ?? '', /presence/);
  }
});

t.test('6. a SUBSCRIBE for another event package is refused 489 with Allow-Events: presence', async (t) => {
  const req = Buffer.from([
    'SUBSCRIBE sip:bob@xmpp.test SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bKbadevent', 'Max-Forwards: 70',
    'From: <sip:carol@corp.test>;tag=be1', 'To: <sip:bob@xmpp.test>', 'Call-ID: badevent@x', 'CSeq: 1 SUBSCRIBE',
    'Contact: <sip:carol@127.0.0.1:5999>', 'Event: dialog', 'Expires: 600', 'Content-Length: 0', '', '',
  ].join('\r\n'));
  const replies = (await udpExchange(sipPort, req, 1000)).map((b) => parseSipMessage(b));
  t.equal(replies[0]?.status, 489, '489 Bad Event');
  t.match(replies[0]?.header('Allow-Events') ?? '', /presence/, 'Allow-Events: presence');
});
