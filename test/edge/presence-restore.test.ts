// A restart of Parley's presence path with a watcher dialog open: the core over a memory bus and a
// memory store kept across the "restart", the sip-presence role on a real SIP endpoint, and a raw
// UDP watcher. After the restart the dialog is back in the dialog layer (roles/sip-presence.ts
// restore()): its refresh is answered 200 + NOTIFY of the current state with no XMPP traffic, and an
// unrefreshed one ends with NOTIFY terminated;reason=timeout (RFC 6665 §4.2.1.2, §4.2.2).
import t, { type Test } from 'tap';
import { MemoryBus } from '../../gateway/bus/memory.ts';
import { SUBJECTS } from '../../gateway/bus/subjects.ts';
import type { ParleyConfig } from '../../gateway/config/types.ts';
import type { CoreContext } from '../../gateway/core/context.ts';
import { startPresence } from '../../gateway/core/presence/presence.ts';
import { createMetrics } from '../../gateway/http/metrics.ts';
import { silentLogger } from '../../gateway/log.ts';
import { bindSipPresence } from '../../gateway/roles/sip-presence.ts';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { SipRequest } from '../../gateway/sip/message.ts';
import { buildResponse } from '../../gateway/sip/response-builder.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { MemoryPresenceStore } from '../../gateway/store/memory-presence-store.ts';
import type { XmlElement } from '../../translators/xml.ts';
import { asResponse, UdpPeer } from './sip/client.ts';
import { until } from '../harness/until.ts';

const config = {
  node: { id: 't', roles: ['core', 'sip'] }, bus: { kind: 'memory' }, store: { path: '/nonexistent' }, http: { listen: '127.0.0.1:0' },
  sip: { listen: [], domains: ['corp.test'] },
  xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: 1, secret: 's', addressing: 'direct' }] },
  peers: [{ name: 'p', remote: { xmpp: ['xmpp.test'], sip: [] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['presence'], direction: 'both', limits: {}, billing: {} }],
  log: { level: 'silent' },
} as ParleyConfig;


/** One life of the gateway (core + sip edge) on a shared store. */
async function life(t: Test, store: MemoryPresenceStore) {
  const bus = new MemoryBus();
  const stanzas: XmlElement[] = [];
  bus.serve(SUBJECTS.xmppSend, (d) => { stanzas.push((d as { stanza: XmlElement }).stanza); return { ok: true }; });
  const ctx = { config, bus, queue: undefined as never, metrics: createMetrics().metrics, log: silentLogger, now: () => performance.now() } as CoreContext;
  const core = startPresence(ctx, { store });
  const endpoint = new SipEndpoint({ listen: ['udp://127.0.0.1:0'], domains: ['*'], log: silentLogger });
  const role = bindSipPresence({ endpoint, bus, log: silentLogger });
  await endpoint.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    role.unsubscribe();
    core.stop();
    await endpoint.stop();
    await bus.close();
  };
  t.teardown(stop);
  return { bus, stanzas, endpoint, role, port: endpoint.bound[0]!.port, stop };
}

const requests = (p: UdpPeer, method: string): SipRequest[] => p.received.filter((m): m is SipRequest => m.kind === 'request' && m.method === method);
const responses = (p: UdpPeer) => p.received.filter((m) => m.kind === 'response').map(asResponse);
const answer = (p: UdpPeer, req: SipRequest, port: number): Promise<void> => p.send(serialize(buildResponse(req.headers, 200, 'OK', { toTag: 'x' })), port);

function subscribe(p: UdpPeer, o: { callId: string; cseq: number; toTag?: string; uri?: string; expires?: number }): string {
  return [
    `SUBSCRIBE ${o.uri ?? 'sip:bob@xmpp.test'} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bK-${o.callId.replace(/\W/g, '')}-${o.cseq};rport`, 'Max-Forwards: 70',
    'From: <sip:carol@corp.test>;tag=c1', `To: <sip:bob@xmpp.test>${o.toTag !== undefined ? `;tag=${o.toTag}` : ''}`, `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} SUBSCRIBE`, `Contact: <sip:carol@127.0.0.1:${p.port}>`, 'Event: presence', 'Accept: application/pidf+xml',
    `Expires: ${o.expires ?? 600}`, 'Content-Length: 0', '', '',
  ].join('\r\n');
}

t.test('after a restart a watcher dialog is restored: its refresh gets 200 and a NOTIFY of the current state, no XMPP traffic', async (t) => {
  const store = new MemoryPresenceStore();
  await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
  await store.setXmppPresence('bob@xmpp.test', 'laptop', { resource: 'laptop', available: true, show: 'dnd', statuses: [{ text: 'In a meeting' }] });
  const peer = new UdpPeer();
  await peer.bind();
  t.teardown(() => { peer.close(); });

  const one = await life(t, store);
  t.equal(await one.role.restore(), 0, 'nothing to restore at first');
  await peer.send(subscribe(peer, { callId: 'r1@w', cseq: 1 }), one.port);
  t.ok(await until(() => responses(peer).length === 1 && requests(peer, 'NOTIFY').length === 1));
  const ok = responses(peer)[0]!;
  t.equal(ok.status, 200, ok.reason);
  const toTag = /;tag=([^;\s]+)/.exec(ok.headers.first('to') ?? '')?.[1];
  const n1 = requests(peer, 'NOTIFY')[0]!;
  t.match(n1.headers.first('subscription-state'), /^active/);
  await answer(peer, n1, one.port);
  t.equal((await store.listWatchers()).length, 1, 'the dialog is stored');
  await one.stop();

  const two = await life(t, store);
  t.equal(await two.role.restore(), 1, 'one dialog restored');
  await peer.send(subscribe(peer, { callId: 'r1@w', cseq: 2, toTag: toTag!, uri: `sip:gw@127.0.0.1:${two.port}`, expires: 300 }), two.port);
  t.ok(await until(() => responses(peer).length === 2 && requests(peer, 'NOTIFY').length === 2));
  const refreshed = responses(peer)[1]!;
  t.equal(refreshed.status, 200, 'the refresh after the restart is answered 200, not 481');
  t.equal(refreshed.headers.first('expires'), '300');
  const n2 = requests(peer, 'NOTIFY')[1]!;
  t.match(n2.headers.first('subscription-state'), /^active;expires=(300|299)$/, 'NOTIFY active with the new expiry');
  t.match(n2.body.toString('utf8'), /busy/, 'with the current state (dnd → RPID busy)');
  t.match(n2.body.toString('utf8'), /In a meeting/);
  t.ok(Number(n2.headers.first('cseq')!.split(' ')[0]) > Number(n1.headers.first('cseq')!.split(' ')[0]), 'CSeq above the old process\'s');
  t.equal(n2.headers.first('call-id'), 'r1@w');
  t.match(n2.headers.first('from'), new RegExp(`;tag=${toTag}$`), 'in the same dialog');
  await answer(peer, n2, two.port);
  t.same(two.stanzas, [], 'no XMPP traffic for the refresh');
  t.ok(((await store.listWatchers())[0]?.expiresAt ?? 0) > Date.now() + 290_000, 'the stored expiry follows the refresh');
});

t.test('after a restart an unrefreshed restored dialog (stored before snapshots had CSeqs) ends with NOTIFY terminated;reason=timeout and is forgotten', async (t) => {
  const store = new MemoryPresenceStore();
  const peer = new UdpPeer();
  await peer.bind();
  t.teardown(() => { peer.close(); });
  const dialog = JSON.stringify({
    callId: 'old@w', localTag: 'gw9', remoteTag: 'c9', localUri: 'sip:bob@xmpp.test', remoteUri: 'sip:carol@corp.test',
    remoteTarget: `sip:carol@127.0.0.1:${peer.port}`, routeSet: [],
  });
  await store.putWatcher({ id: 'old@w\u0000c9\u0000gw9', watcher: 'sip:carol@corp.test', target: 'bob@xmpp.test', expiresAt: Date.now() + 300, dialog });
  await store.putWatcher({ id: 'bad', watcher: 'sip:carol@corp.test', target: 'bob@xmpp.test', expiresAt: Date.now() + 300, dialog: '{not json' });
  const two = await life(t, store);
  t.equal(await two.role.restore(), 1, 'the readable one is restored');
  t.ok(await until(() => requests(peer, 'NOTIFY').length === 1, 3000), 'a NOTIFY at expiry');
  const n = requests(peer, 'NOTIFY')[0]!;
  t.equal(n.headers.first('subscription-state'), 'terminated;reason=timeout');
  t.equal(n.headers.first('event'), 'presence');
  t.ok(Number(n.headers.first('cseq')!.split(' ')[0]) > 1_700_000_000, 'CSeq restarts above anything the old process used (epoch seconds)');
  await answer(peer, n, two.port);
  const deadline = Date.now() + 2000;
  while ((await store.listWatchers()).some((w) => w.id !== 'bad') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.same((await store.listWatchers()).map((w) => w.id), ['bad'], 'the expired dialog is forgotten');
});

t.test('a NOTIFY for a stored dialog the restore pass has not reached restores it on the way', async (t) => {
  const store = new MemoryPresenceStore();
  const peer = new UdpPeer();
  await peer.bind();
  t.teardown(() => { peer.close(); });
  const two = await life(t, store);
  const dialog = JSON.stringify({
    callId: 'lazy@w', localTag: 'gw8', remoteTag: 'c8', localUri: 'sip:bob@xmpp.test', remoteUri: 'sip:carol@corp.test',
    remoteTarget: `sip:carol@127.0.0.1:${peer.port}`, routeSet: [], localSeq: 3, event: 'presence', requestUri: 'sip:bob@xmpp.test',
  });
  two.bus.publish(SUBJECTS.watcherNotify, { key: 'k', notify: { state: 'pending' }, dialog, expiresAt: Date.now() + 60_000 });
  t.ok(await until(() => requests(peer, 'NOTIFY').length === 1));
  t.match(requests(peer, 'NOTIFY')[0]!.headers.first('subscription-state'), /^pending;expires=(60|59)$/);
  await answer(peer, requests(peer, 'NOTIFY')[0]!, two.port);
  const ended: unknown[] = [];
  two.bus.subscribe(SUBJECTS.watcherEnded, (d) => { ended.push(d); });
  t.equal(await two.role.restore(), 0);
  two.bus.publish(SUBJECTS.watcherNotify, { key: 'gone', notify: { state: 'pending' }, dialog, expiresAt: Date.now() + 60_000 });
  t.ok(await until(() => ended.length === 1));
  t.same(ended, [{ key: 'gone', why: 'unknown' }], 'after the restore pass an unknown dialog is reported gone');
});
