// The presence core over a memory bus with fake edges (a scripted SIP side, a recording XMPP
// side), a memory store and a ManualClock: the wiring of outgoing.ts, watchers.ts, presence.ts.
import t, { type Test } from 'tap';
import { MemoryBus } from '../../gateway/bus/memory.ts';
import { SUBJECTS } from '../../gateway/bus/subjects.ts';
import type { SipSubscribeCommand, SubscribeResult, WatcherDecision, WatcherNotifyCommand, WatcherSubscribeRequest } from '../../gateway/bus/presence-subjects.ts';
import { ManualClock } from '../../gateway/clock.ts';
import type { ParleyConfig } from '../../gateway/config/types.ts';
import type { CoreContext } from '../../gateway/core/context.ts';
import { startPresence } from '../../gateway/core/presence/presence.ts';
import { createMetrics } from '../../gateway/http/metrics.ts';
import { silentLogger } from '../../gateway/log.ts';
import { MemoryPresenceStore } from '../../gateway/store/memory-presence-store.ts';
import { child, el, text, type XmlElement } from '../../translators/xml.ts';
import { parsePidf } from '../../translators/pidf.ts';

const config = (services: Array<'message' | 'presence'> = ['presence']): ParleyConfig => ({
  node: { id: 't', roles: ['core'] }, bus: { kind: 'memory' }, store: { path: '/nonexistent' }, http: { listen: '127.0.0.1:0' },
  sip: { listen: [], domains: ['corp.test'] },
  xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: 1, secret: 's', addressing: 'direct' }] },
  peers: [{ name: 'p', remote: { xmpp: ['xmpp.test'], sip: [] }, local: { domains: ['corp.test'], users: ['*'] }, services, direction: 'both', limits: {}, billing: {} }],
  log: { level: 'silent' },
});

const PIDF = (note: string) => new TextEncoder().encode(`<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:alice@corp.test"><tuple id="t1"><status><basic>open</basic></status></tuple><dm:person id="p"><rpid:activities><rpid:away/></rpid:activities><dm:note>${note}</dm:note></dm:person></presence>`);
const tick = async (n = 5): Promise<void> => { for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r)); };

function rig(t: Test, opts: { services?: Array<'message' | 'presence'>; store?: MemoryPresenceStore; answer?: (c: SipSubscribeCommand) => SubscribeResult } = {}) {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const store = opts.store ?? new MemoryPresenceStore();
  const commands: SipSubscribeCommand[] = [];
  const stanzas: XmlElement[] = [];
  const notifies: WatcherNotifyCommand[] = [];
  bus.serve(SUBJECTS.sipSubscribe, (d) => {
    const c = d as SipSubscribeCommand;
    commands.push(c);
    return opts.answer ? opts.answer(c) : { status: 200, expires: 600 };
  });
  bus.serve(SUBJECTS.xmppSend, (d) => { stanzas.push((d as { stanza: XmlElement }).stanza); return { ok: true }; });
  bus.subscribe(SUBJECTS.watcherNotify, (d) => { notifies.push(d as WatcherNotifyCommand); });
  const ctx = { config: config(opts.services), bus, queue: undefined as never, metrics: createMetrics().metrics, log: silentLogger, now: () => clock.now() } as CoreContext;
  const presence = startPresence(ctx, { store, clock });
  t.teardown(() => { presence.stop(); return bus.close(); });
  const fromXmpp = (attrs: Record<string, string>, ...kids: XmlElement[]): void => { bus.publish(SUBJECTS.xmppStanza, { domain: 'corp.test', stanza: el('presence', attrs, ...kids) }); };
  const notifyEvent = (c: SipSubscribeCommand, state: string, body = new Uint8Array(), extra: Record<string, unknown> = {}): void => {
    bus.publish(SUBJECTS.sipSubscriptionEvent, { kind: 'notify', key: c.key, gen: c.gen, state, body, ...extra });
  };
  const watch = (req: Partial<WatcherSubscribeRequest>): Promise<WatcherDecision> => bus.request(SUBJECTS.watcherSubscribe, {
    key: 'd1', existing: false, watcher: 'sip:carol@corp.test', target: 'sip:bob@xmpp.test', requestUri: 'sip:bob@xmpp.test', event: 'presence', expires: 600, accept: ['application/pidf+xml'], ...req,
  }) as Promise<WatcherDecision>;
  return { bus, clock, store, commands, stanzas, notifies, presence, fromXmpp, notifyEvent, watch };
}

t.test('XMPP subscribe → SUBSCRIBE from the XMPP user\'s SIP URI; NOTIFY active → subscribed, then the presence', async (t) => {
  const r = rig(t);
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  t.same(r.commands[0], { op: 'subscribe', key: 'bob@xmpp.test\u0000sip:alice@corp.test', gen: 1, requestUri: 'sip:alice@corp.test', from: { uri: 'sip:bob@xmpp.test' }, to: { uri: 'sip:alice@corp.test' }, expires: 3600 });
  r.notifyEvent(r.commands[0]!, 'active', PIDF('At lunch'));
  await tick();
  t.same(r.stanzas.map((s) => s.attrs.type ?? 'available'), ['subscribed', 'available']);
  const p = r.stanzas[1]!;
  t.equal(p.attrs.from, 'alice@corp.test/t1', 'from the resource the tuple id names');
  t.equal(text(child(p, 'show')!), 'away');
  t.equal(text(child(p, 'status')!), 'At lunch');
  t.equal((await r.store.getOutgoing('bob@xmpp.test', 'sip:alice@corp.test'))?.confirmed, true, 'kept in the store');
  t.ok(await r.store.getSipPresence('sip:alice@corp.test'), 'the last state is kept');
});

t.test('the dialog is refreshed before it expires (ManualClock), and a probe is answered from the last state', async (t) => {
  const r = rig(t);
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  r.notifyEvent(r.commands[0]!, 'active', PIDF('busy day'));
  await tick();
  r.clock.advance(539_000);
  t.equal(r.commands.length, 1, 'not yet');
  r.clock.advance(1000);
  await tick();
  t.same(r.commands[1], { op: 'refresh', key: 'bob@xmpp.test\u0000sip:alice@corp.test', gen: 1, expires: 3600 }, 'refreshed a minute before the 600 s granted');
  r.stanzas.length = 0;
  r.fromXmpp({ type: 'probe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  t.equal(text(child(r.stanzas[0]!, 'status')!), 'busy day', 'probe answered from the last NOTIFY');
});

t.test('a 403 to the SUBSCRIBE → unsubscribed, and nothing is kept', async (t) => {
  const r = rig(t, { answer: () => ({ status: 403 }) });
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  t.equal(r.stanzas[0]?.attrs.type, 'unsubscribed');
  t.same(await r.store.listOutgoing(), []);
});

/** bob subscribed to alice, who is shown online (resource t1); the stanzas so far cleared. */
async function aliceOnline(t: Test): Promise<ReturnType<typeof rig>> {
  const r = rig(t);
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  r.notifyEvent(r.commands[0]!, 'active', PIDF('At lunch'));
  await tick();
  r.stanzas.length = 0;
  return r;
}

t.test('NOTIFY terminated;reason=rejected after an open document → unsubscribed, then unavailable from each resource shown online (RFC 6121 §3.2.2)', async (t) => {
  const r = await aliceOnline(t);
  r.notifyEvent(r.commands[0]!, 'terminated', new Uint8Array(), { reason: 'rejected' });
  await tick(10);
  t.same(r.stanzas.map((s) => [s.attrs.type, s.attrs.from]), [['unsubscribed', 'alice@corp.test'], ['unavailable', 'alice@corp.test/t1']]);
});

t.test('XMPP unsubscribe of a confirmed subscription → unavailable from the resources shown online (RFC 6121 §3.3.3)', async (t) => {
  const r = await aliceOnline(t);
  r.fromXmpp({ type: 'unsubscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick(10);
  t.same(r.stanzas.map((s) => [s.attrs.type, s.attrs.from]), [['unavailable', 'alice@corp.test/t1']]);
});

t.test('rejected before any document → unsubscribed only (no resource was shown online)', async (t) => {
  const r = rig(t, { answer: () => ({ status: 603 }) });
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick(10);
  t.same(r.stanzas.map((s) => s.attrs.type), ['unsubscribed']);
});

t.test('XMPP unsubscribe → Expires 0 on the dialog; the stored subscription is deleted', async (t) => {
  const r = rig(t);
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  r.fromXmpp({ type: 'unsubscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  t.same(r.commands.at(-1), { op: 'unsubscribe', key: 'bob@xmpp.test\u0000sip:alice@corp.test', gen: 1 });
  t.same(await r.store.listOutgoing(), []);
});

t.test('without the presence service in the agreement the subscribe is refused (forbidden) and no SUBSCRIBE leaves', async (t) => {
  const r = rig(t, { services: ['message'] });
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test', id: 's1' });
  await tick();
  t.same(r.commands, []);
  t.equal(r.stanzas[0]?.attrs.type, 'error');
  t.ok(child(child(r.stanzas[0]!, 'error')!, 'forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
});

t.test('after a restart the stored subscriptions are SUBSCRIBEd again', async (t) => {
  const store = new MemoryPresenceStore();
  await store.putOutgoing({ jid: 'bob@xmpp.test', presentity: 'sip:alice@corp.test', confirmed: true, expires: 3600, attempts: 0, createdAt: 1 });
  const r = rig(t, { store });
  t.equal(await r.presence.resumed, 1);
  await tick();
  t.equal(r.commands[0]?.op, 'subscribe');
});

t.test('the dialog state of an established SUBSCRIBE is stored; after a restart that old dialog is ended (end-stale) and a new one SUBSCRIBEd', async (t) => {
  const store = new MemoryPresenceStore();
  const r = rig(t, { store, answer: (c) => (c.op === 'subscribe' ? { status: 200, expires: 600, dialog: '[{"callId":"old"}]' } : { status: 200 }) });
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  t.equal((await store.getOutgoing('bob@xmpp.test', 'sip:alice@corp.test'))?.dialog, '[{"callId":"old"}]', 'stored with the subscription');
  const again = rig(t, { store });
  t.equal(await again.presence.resumed, 1);
  await tick();
  t.same(again.commands.map((c) => c.op).sort(), ['end-stale', 'subscribe']);
  t.same(again.commands.find((c) => c.op === 'end-stale'), { op: 'end-stale', key: 'bob@xmpp.test\u0000sip:alice@corp.test', gen: 0, dialog: '[{"callId":"old"}]' });
  t.equal((await store.getOutgoing('bob@xmpp.test', 'sip:alice@corp.test'))?.dialog, undefined, 'the new SUBSCRIBE\'s 2xx carried no dialog: none is kept');
});

t.test('a SIP watcher: 200 + NOTIFY pending + XMPP subscribe; subscribed → NOTIFY active; presence → NOTIFY; refresh → current state, no XMPP', async (t) => {
  const r = rig(t);
  const d = await r.watch({});
  t.same(d, { status: 200, reason: 'OK', expires: 600, notify: { state: 'pending' } });
  await tick();
  t.same(r.stanzas.map((s) => [s.attrs.type, s.attrs.from, s.attrs.to]), [['subscribe', 'carol@corp.test', 'bob@xmpp.test']]);
  r.fromXmpp({ type: 'subscribed', from: 'bob@xmpp.test', to: 'carol@corp.test' });
  await tick();
  t.equal(r.notifies[0]?.notify.state, 'active');
  r.fromXmpp({ from: 'bob@xmpp.test/laptop', to: 'carol@corp.test' }, el('show', {}, 'dnd'), el('status', {}, 'In a meeting'));
  await tick();
  const doc = parsePidf(r.notifies[1]!.notify.pidf!);
  t.ok(doc.ok && doc.value.person?.activities.includes('busy') && doc.value.tuples[0]?.basic === 'open', 'open + busy');
  r.stanzas.length = 0;
  const refresh = await r.watch({ existing: true, requestUri: 'sip:gw@127.0.0.1:5060' });
  t.equal(refresh.notify?.state, 'active', 'the refresh gets the current state');
  t.ok(refresh.notify?.pidf, 'with the document');
  await tick();
  t.same(r.stanzas, [], 'no XMPP traffic for a refresh');
});

t.test('watcher expiry ends the dialog only; Expires 0 sends XMPP unsubscribe and withdraws the approval', async (t) => {
  const r = rig(t);
  await r.store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
  const d = await r.watch({});
  t.equal(d.notify?.state, 'active', 'already approved: active at once');
  await tick();
  t.same(r.stanzas.map((s) => s.attrs.type), ['probe'], 'presence unknown: probe');
  r.bus.publish(SUBJECTS.watcherEnded, { key: 'd1', why: 'expired' });
  await tick();
  t.same(await r.store.listWatchers(), [], 'the dialog is gone');
  t.equal(await r.store.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), true, 'the approval stays');
  await r.watch({ key: 'd2' });
  r.stanzas.length = 0;
  const end = await r.watch({ key: 'd2', existing: true, expires: 0, requestUri: 'sip:gw@127.0.0.1:5060' });
  t.equal(end.notify?.state, 'terminated');
  await tick();
  t.same(r.stanzas.map((s) => s.attrs.type), ['unsubscribe']);
  t.equal(await r.store.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), false);
});

t.test('watcher refusals: 489 for another event, 423 below 60 s, 403 without agreement or for a foreign watcher, 404 for a local target', async (t) => {
  const r = rig(t);
  t.same((await r.watch({ event: 'dialog' })).status, 489);
  t.same((await r.watch({ expires: 5 })).status, 423);
  t.same((await r.watch({ watcher: 'sip:eve@elsewhere.test' })).status, 403);
  t.same((await r.watch({ requestUri: 'sip:alice@corp.test' })).status, 404);
  const r2 = rig(t, { services: ['message'] });
  t.same((await r2.watch({})).status, 403);
});

t.test('XMPP unsubscribed → NOTIFY terminated;reason=rejected and the dialog is forgotten', async (t) => {
  const r = rig(t);
  await r.watch({});
  r.fromXmpp({ type: 'unsubscribed', from: 'bob@xmpp.test', to: 'carol@corp.test' });
  await tick();
  t.same(r.notifies.at(-1)?.notify, { state: 'terminated', reason: 'rejected' });
  t.same(await r.store.listWatchers(), []);
});

t.test('subscribed immediately followed by the owner\'s presence (RFC 6121 §3.1.5, one stream): the watcher\'s NOTIFY carries it', async (t) => {
  const r = rig(t);
  await r.watch({});
  await tick();
  r.fromXmpp({ type: 'subscribed', from: 'bob@xmpp.test', to: 'carol@corp.test' });
  r.fromXmpp({ from: 'bob@xmpp.test/laptop', to: 'carol@corp.test' }, el('status', {}, 'At my desk'));
  await tick(20);
  const last = r.notifies.at(-1)?.notify;
  t.equal(last?.state, 'active');
  const doc = parsePidf(last?.pidf ?? '');
  t.ok(doc.ok && doc.value.tuples[0]?.basic === 'open', 'bob is available in the last NOTIFY');
  t.same(await r.store.getXmppPresence('bob@xmpp.test'), [{ resource: 'laptop', available: true, statuses: [{ text: 'At my desk' }] }], 'bob\'s presence is kept');
});

t.test('unsubscribed immediately followed by unavailable (RFC 6121 §3.2.2, as Prosody sends them): the rejected watcher gets no NOTIFY after the terminated one and bob\'s state for his other watchers is untouched', async (t) => {
  const r = rig(t);
  await r.store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
  await r.store.setApproval('bob@xmpp.test', 'sip:dave@corp.test', true);
  await r.store.setXmppPresence('bob@xmpp.test', 'laptop', { resource: 'laptop', available: true, statuses: [] });
  await r.watch({});
  await r.watch({ key: 'd2', watcher: 'sip:dave@corp.test' });
  await tick();
  r.notifies.length = 0;
  r.fromXmpp({ type: 'unsubscribed', from: 'bob@xmpp.test', to: 'carol@corp.test' });
  r.fromXmpp({ type: 'unavailable', from: 'bob@xmpp.test/laptop', to: 'carol@corp.test' });
  await tick(20);
  t.same(r.notifies.map((n) => [n.key, n.notify.state]), [['d1', 'terminated']], 'carol: terminated;reason=rejected, and nothing after it');
  t.equal((await r.store.getXmppPresence('bob@xmpp.test'))[0]?.available, true, 'the unavailable meant "carol may no longer see bob", not "bob went offline"');
  const refresh = await r.watch({ key: 'd2', watcher: 'sip:dave@corp.test', existing: true, requestUri: 'sip:gw@127.0.0.1:5060' });
  const doc = parsePidf(refresh.notify?.pidf ?? '');
  t.ok(doc.ok && doc.value.tuples[0]?.basic === 'open', 'dave still sees bob available');
});

t.test('NOTIFYs of a SIP presentity in quick succession reach the XMPP subscriber in order, and the last one is the state kept', async (t) => {
  const r = rig(t);
  r.fromXmpp({ type: 'subscribe', from: 'bob@xmpp.test', to: 'alice@corp.test' });
  await tick();
  const doc = (tuples: string) => new TextEncoder().encode(`<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@corp.test">${tuples}</presence>`);
  const tuple = (id: string, basic: string, note: string): string => `<tuple id="${id}"><status><basic>${basic}</basic></status><note>${note}</note></tuple>`;
  r.notifyEvent(r.commands[0]!, 'active', doc(tuple('desk', 'open', 'one') + tuple('mobile', 'open', 'two')));
  r.notifyEvent(r.commands[0]!, 'active', doc(tuple('mobile', 'closed', 'three')));
  await tick(20);
  t.same(r.stanzas.map((s) => [s.attrs.type ?? 'available', s.attrs.from]), [
    ['subscribed', 'alice@corp.test'], ['available', 'alice@corp.test/desk'], ['available', 'alice@corp.test/mobile'], ['unavailable', 'alice@corp.test/mobile'],
  ], 'subscribed, then the first NOTIFY\'s tuples, then the second\'s');
  t.match((await r.store.getSipPresence('sip:alice@corp.test'))?.pidf, /three/, 'the last NOTIFY is the last known state');
});

t.test('a SUBSCRIBE and a presence of the same user both reading his state from the store: the presence is not lost from memory', async (t) => {
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  class SlowStore extends MemoryPresenceStore {
    override async getXmppPresence(jid: string): ReturnType<MemoryPresenceStore['getXmppPresence']> {
      await gate;
      return super.getXmppPresence(jid);
    }
  }
  const r = rig(t, { store: new SlowStore() });
  await r.store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
  await r.store.putWatcher({ id: 'd1', watcher: 'sip:carol@corp.test', target: 'bob@xmpp.test', expiresAt: Date.now() + 600_000 });
  r.fromXmpp({ from: 'bob@xmpp.test/laptop', to: 'carol@corp.test' }, el('status', {}, 'At my desk'));
  const first = r.watch({ existing: true, requestUri: 'sip:gw@127.0.0.1:5060' });
  await tick();
  open();
  await first;
  await tick();
  const again = await r.watch({ existing: true, requestUri: 'sip:gw@127.0.0.1:5060' });
  const doc = parsePidf(again.notify?.pidf ?? '');
  t.ok(doc.ok && doc.value.tuples[0]?.basic === 'open', 'a later refresh sees bob available, as the store says');
});
