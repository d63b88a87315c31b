// Presence dialogs over time (issue #5, acceptance 3): a SIP watcher that stops refreshing is
// ended by expiry (NOTIFY terminated;reason=timeout) while the XMPP roster approval stays; the
// gateway's own SUBSCRIBE, granted only 60 s by Kamailio, is refreshed and keeps working.
// Real time: ~65 s (the shortest subscription either side accepts is 60 s).
import t from 'tap';
import { startProsody, type ProsodyHandle } from '../harness/prosody.ts';
import { connectClient, type XmppClient } from '../harness/xmpp-client.ts';
import { startParley, type ParleyHandle } from '../harness/parley.ts';
import { startKamailioPresence, type KamailioPresenceHandle } from '../harness/kamailio-presence.ts';
import { freeSipPort, freeTcpPort } from '../harness/ports.ts';
import { pidfDocument, sippPublish } from '../harness/sipp-presence.ts';
import { rawWatcher } from '../harness/raw-watcher.ts';
import { child, el, text, type XmlElement } from '../../translators/xml.ts';

const SECRET = 'component-secret';
let prosody: ProsodyHandle;
let kamailio: KamailioPresenceHandle;
let parley: ParleyHandle;
let bob: XmppClient;

const presenceFrom = (from: string, type?: string) => (s: XmlElement): boolean =>
  s.name === 'presence' && (s.attrs.from ?? '').split('/')[0] === from && s.attrs.type === type;

t.before(async () => {
  prosody = await startProsody({ vhost: 'xmpp.test', users: [{ user: 'bob', password: 'bobpw' }], components: [{ domain: 'corp.test', secret: SECRET }] });
  const sipPort = await freeSipPort();
  kamailio = await startKamailioPresence({ domain: 'corp.test', routes: [{ domain: 'xmpp.test', to: `127.0.0.1:${sipPort}` }], maxExpires: 60 });
  parley = await startParley({
    node: { id: 'e2e-presence-expiry' }, bus: 'memory',
    sip: { listen: [`udp://127.0.0.1:${sipPort}`], outboundProxy: kamailio.uri('udp'), domains: ['corp.test'] },
    xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: prosody.componentPort, secret: SECRET, addressing: 'direct' }] },
    peers: [{ name: 'xmpp-test', remote: { xmpp: ['xmpp.test'] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['presence'] }],
  }, { httpPort: await freeTcpPort() });
  await parley.ready();
  bob = await connectClient({ port: prosody.c2sPort, jid: 'bob@xmpp.test', password: 'bobpw', resource: 'laptop' });
  await bob.iq(el('iq', { type: 'get' }, el('query', { xmlns: 'jabber:iq:roster' })));
});

t.teardown(async () => {
  await bob?.close();
  await parley?.stop();
  await kamailio?.stop();
  await prosody?.stop();
});

t.test('expiry without refresh ends the watcher dialog only; the gateway refreshes its own 60 s subscription', async (t) => {
  // Gateway → Kamailio: granted 60 s.
  bob.send(el('presence', { type: 'subscribe', to: 'alice@corp.test' }));
  await bob.nextStanza(presenceFrom('alice@corp.test', 'subscribed'), 10_000);
  // Watcher → Parley: 60 s, never refreshed.
  const carol = await rawWatcher({ proxy: kamailio.address, presentity: 'sip:bob@xmpp.test', watcher: 'sip:carol@corp.test', expires: 60 });
  t.teardown(() => { carol.close(); });
  await bob.nextStanza(presenceFrom('carol@corp.test', 'subscribe'), 10_000);
  bob.send(el('presence', { type: 'subscribed', to: 'carol@corp.test' }));
  await carol.waitNotify((m) => /^active/.test(m.header('Subscription-State') ?? ''), 5000);

  const ended = await carol.waitNotify((m) => /^terminated/.test(m.header('Subscription-State') ?? ''), 70_000);
  t.match(ended.header('Subscription-State') ?? '', /terminated;\s*reason=timeout/, 'the watcher dialog expired: NOTIFY terminated;reason=timeout');
  t.notOk(bob.pending().some(presenceFrom('carol@corp.test', 'unsubscribe')), 'no XMPP unsubscribe: the roster approval stays');

  const refreshes = kamailio.logs().match(/request SUBSCRIBE sip:127\.0\.0\.1:\d+ from .* event=presence expires=3600/g)?.length ?? 0;
  t.ok(refreshes >= 1, `the gateway refreshed its subscription before the 60 s ran out (${refreshes} refresh(es))`);
  const pub = await sippPublish({ remote: kamailio.address, presentity: 'sip:alice@corp.test', body: pidfDocument('sip:alice@corp.test', { activity: 'away', note: 'Still here' }) });
  t.ok((await pub.done).ok, 'PUBLISH');
  const p = await bob.nextStanza((s) => presenceFrom('alice@corp.test')(s) && child(s, 'status') !== undefined && text(child(s, 'status')!) === 'Still here', 5000);
  t.ok(p, 'after more than 60 s the gateway\'s subscription still carries alice\'s presence');
});
