// SIP PUBLISH (RFC 3903) for an XMPP user, on a real SIP endpoint: the sip-presence role carries it
// to the presence core (memory bus, memory store, a ManualClock for the soft state), whose
// compositor answers and whose watchers NOTIFY the composed document; raw UDP peers as the EPA and
// the watchers. Published state reaches SIP watchers only: nothing goes to XMPP.
import t, { type Test } from 'tap';
import { MemoryBus } from '../../gateway/bus/memory.ts';
import { SUBJECTS } from '../../gateway/bus/subjects.ts';
import { ManualClock } from '../../gateway/clock.ts';
import type { ParleyConfig } from '../../gateway/config/types.ts';
import type { CoreContext } from '../../gateway/core/context.ts';
import { startPresence } from '../../gateway/core/presence/presence.ts';
import { createMetrics } from '../../gateway/http/metrics.ts';
import { silentLogger } from '../../gateway/log.ts';
import { bindSipPresence } from '../../gateway/roles/sip-presence.ts';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { SipRequest, SipResponse } from '../../gateway/sip/message.ts';
import { buildResponse } from '../../gateway/sip/response-builder.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { MemoryPresenceStore } from '../../gateway/store/memory-presence-store.ts';
import { parsePidf, type PidfDocument } from '../../translators/pidf.ts';
import type { XmlElement } from '../../translators/xml.ts';
import { asResponse, UdpPeer } from './sip/client.ts';
import { until } from '../harness/until.ts';

const config = {
  node: { id: 't', roles: ['core', 'sip'] }, bus: { kind: 'memory' }, store: { path: '/nonexistent' }, http: { listen: '127.0.0.1:0' },
  sip: { listen: [], domains: ['corp.test'] },
  xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: 1, secret: 's', addressing: 'direct' }] },
  peers: [
    { name: 'pub', remote: { xmpp: ['xmpp.test'], sip: [] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['presence', 'publish'], direction: 'both', limits: {}, billing: {} },
    { name: 'nopub', remote: { xmpp: ['nopub.test'], sip: [] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['presence'], direction: 'both', limits: {}, billing: {} },
  ],
  log: { level: 'silent' },
} as ParleyConfig;


const PIDF_DOC = (note: string, id = 'desk'): string => '<?xml version="1.0" encoding="UTF-8"?>\n'
  + '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@xmpp.test">'
  + `<tuple id="${id}"><status><basic>open</basic></status><note>${note}</note></tuple>`
  + '<dm:person id="p"><rpid:activities><rpid:on-the-phone/></rpid:activities></dm:person></presence>';

async function rig(t: Test, opts: { core?: boolean } = {}) {
  const store = new MemoryPresenceStore();
  await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
  await store.setXmppPresence('bob@xmpp.test', 'laptop', { resource: 'laptop', available: true, statuses: [{ text: 'At my desk' }] });
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const stanzas: XmlElement[] = [];
  bus.serve(SUBJECTS.xmppSend, (d) => { stanzas.push((d as { stanza: XmlElement }).stanza); return { ok: true }; });
  const metrics = createMetrics({ defaultMetrics: false });
  const ctx = { config, bus, queue: undefined as never, metrics: metrics.metrics, log: silentLogger, now: () => performance.now() } as CoreContext;
  const core = opts.core === false ? undefined : startPresence(ctx, { store, clock });
  const endpoint = new SipEndpoint({ listen: ['udp://127.0.0.1:0'], domains: ['*'], log: silentLogger });
  const role = bindSipPresence({ endpoint, bus, log: silentLogger });
  await endpoint.start();
  const port = endpoint.bound[0]!.port;
  const epa = new UdpPeer();
  await epa.bind();
  t.teardown(async () => {
    epa.close();
    role.unsubscribe();
    core?.stop();
    await endpoint.stop();
    await bus.close();
  });
  let n = 0;
  /** Sends a PUBLISH and resolves with its final response. */
  const publish = async (o: { uri?: string; from?: string; event?: string | null; expires?: number; ifMatch?: string; body?: string; type?: string }): Promise<SipResponse> => {
    const id = ++n;
    const body = Buffer.from(o.body ?? '', 'utf8');
    await epa.send(Buffer.concat([Buffer.from([
      `PUBLISH ${o.uri ?? 'sip:bob@xmpp.test'} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${epa.port};branch=z9hG4bK-pub-${id};rport`, 'Max-Forwards: 70',
      `From: <${o.from ?? 'sip:pbx@corp.test'}>;tag=p${id}`, `To: <${o.uri ?? 'sip:bob@xmpp.test'}>`, `Call-ID: pub-${id}@epa`, `CSeq: ${id} PUBLISH`,
      ...(o.event === null ? [] : [`Event: ${o.event ?? 'presence'}`]),
      ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []),
      ...(o.ifMatch !== undefined ? [`SIP-If-Match: ${o.ifMatch}`] : []),
      ...(body.length > 0 ? [`Content-Type: ${o.type ?? 'application/pidf+xml'}`] : []),
      `Content-Length: ${body.length}`, '', '',
    ].join('\r\n')), body]), port);
    const mine = (): SipResponse | undefined => epa.received.filter((m) => m.kind === 'response').map(asResponse)
      .find((r) => r.status >= 200 && r.headers.first('call-id') === `pub-${id}@epa`);
    if (!(await until(() => mine() !== undefined, 10_000))) throw new Error(`no final response to PUBLISH ${id}`);
    return mine()!;
  };
  return { store, bus, clock, stanzas, metrics, port, publish };
}

/** A watcher on its own socket: SUBSCRIBEs, answers every NOTIFY 200, keeps them. */
async function watcher(t: Test, port: number, who: string) {
  const peer = new UdpPeer();
  await peer.bind();
  t.teardown(() => { peer.close(); });
  const answered = new Set<SipRequest>();
  const notifies = (): SipRequest[] => peer.received.filter((m): m is SipRequest => m.kind === 'request' && m.method === 'NOTIFY');
  const timer = setInterval(() => {
    for (const n of notifies()) {
      if (answered.has(n)) continue;
      answered.add(n);
      void peer.send(serialize(buildResponse(n.headers, 200, 'OK', { toTag: 'w' })), port);
    }
  }, 5);
  t.teardown(() => { clearInterval(timer); });
  await peer.send([
    'SUBSCRIBE sip:bob@xmpp.test SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-sub-${who};rport`, 'Max-Forwards: 70',
    `From: <sip:${who}@corp.test>;tag=${who}`, 'To: <sip:bob@xmpp.test>', `Call-ID: sub-${who}@w`, 'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:${who}@127.0.0.1:${peer.port}>`, 'Event: presence', 'Accept: application/pidf+xml', 'Expires: 600', 'Content-Length: 0', '', '',
  ].join('\r\n'), port);
  if (!(await until(() => notifies().length === 1))) throw new Error(`${who}: no immediate NOTIFY`);
  /** Waits for the next NOTIFY after the `seen` first ones; its PIDF read. */
  const next = async (seen: number): Promise<{ state: string; pidf: PidfDocument | undefined }> => {
    if (!(await until(() => notifies().length > seen))) throw new Error(`${who}: no NOTIFY after ${seen}`);
    const m = notifies()[seen]!;
    const doc = m.body.length > 0 ? parsePidf(m.body.toString('utf8')) : undefined;
    return { state: m.headers.first('subscription-state') ?? '', pidf: doc?.ok ? doc.value : undefined };
  };
  return { notifies, next };
}

const etag = (r: SipResponse): string => r.headers.first('sip-etag') ?? '';
const tupleIds = (d: PidfDocument | undefined): string[] => d?.tuples.map((x) => x.id) ?? [];
const allNotes = (d: PidfDocument | undefined): string[] => d?.tuples.flatMap((x) => x.notes.map((n) => n.text)) ?? [];

t.test('PUBLISH → 200 + SIP-ETag and the approved watcher gets the composed NOTIFY; refresh, modify, expiry, remove; nothing to XMPP', async (t) => {
  const r = await rig(t);
  const carol = await watcher(t, r.port, 'carol');
  const first = await carol.next(0);
  t.match(first.state, /^active/);
  t.same(tupleIds(first.pidf), ['SID-6c6170746f70'], 'before any PUBLISH: bob\'s XMPP tuple only');
  const dave = await watcher(t, r.port, 'dave'); // not approved: pending, and an XMPP subscribe
  t.match((await dave.next(0)).state, /^pending/);

  const ok = await r.publish({ expires: 600, body: PIDF_DOC('On a call') });
  t.equal(ok.status, 200, ok.reason);
  t.match(etag(ok), /^[A-Za-z0-9_-]{16}$/, 'a SIP-ETag');
  t.equal(ok.headers.first('expires'), '600');
  const composed = await carol.next(1);
  t.match(composed.state, /^active/);
  t.same(tupleIds(composed.pidf), ['SID-6c6170746f70', 'desk'], 'XMPP tuple + published tuple');
  t.same(allNotes(composed.pidf), ['At my desk', 'On a call']);
  t.same(composed.pidf?.person?.activities, ['on-the-phone']);
  t.equal(composed.pidf?.entity, 'sip:bob@xmpp.test');

  const refreshed = await r.publish({ ifMatch: etag(ok), expires: 900 });
  t.equal(refreshed.status, 200, 'refresh');
  t.not(etag(refreshed), etag(ok), 'a fresh entity tag');
  t.equal(refreshed.headers.first('expires'), '900');
  t.equal((await r.publish({ ifMatch: etag(ok) })).status, 412, 'the spent tag no longer matches');

  const modified = await r.publish({ ifMatch: etag(refreshed), body: PIDF_DOC('Call ended') });
  t.equal(modified.status, 200, 'modify');
  t.same(allNotes((await carol.next(2)).pidf), ['At my desk', 'Call ended'], 'NOTIFY of the modified state');

  r.clock.advance(3_601_000);
  const expired = await carol.next(3);
  t.same(tupleIds(expired.pidf), ['SID-6c6170746f70'], 'expiry: NOTIFY without the published tuple');
  t.equal((await r.publish({ ifMatch: etag(modified) })).status, 412, 'expired state: 412');

  const again = await r.publish({ body: PIDF_DOC('Back on a call') });
  t.same(allNotes((await carol.next(4)).pidf), ['At my desk', 'Back on a call']);
  const removed = await r.publish({ ifMatch: etag(again), expires: 0 });
  t.equal(removed.status, 200, 'remove');
  t.equal(removed.headers.first('expires'), '0');
  t.match(etag(removed), /\S/, 'with a SIP-ETag too');
  t.same(tupleIds((await carol.next(5)).pidf), ['SID-6c6170746f70'], 'remove: NOTIFY without the published tuple');

  t.equal(dave.notifies().length, 1, 'the watcher bob has not approved got nothing published');
  t.same(r.stanzas.map((s) => `${s.name}/${s.attrs.type ?? ''}`), ['presence/subscribe'], 'XMPP saw only dave\'s subscribe: published state never goes to XMPP');
});

t.test('the RFC 3903 §6 refusals over SIP: 489 (Allow-Events), 412, 400, 415 (Accept), 423 (Min-Expires), 403 by policy (counted), 404', async (t) => {
  const r = await rig(t);
  const dialog = await r.publish({ event: 'dialog', body: PIDF_DOC('x') });
  t.equal(dialog.status, 489);
  t.equal(dialog.headers.first('allow-events'), 'presence');
  t.equal((await r.publish({ event: null, uri: 'sip:dan@nopub.test' })).status, 489, 'no Event, even without the agreement');
  t.equal((await r.publish({ ifMatch: 'bogus', expires: 600 })).status, 412);
  t.equal((await r.publish({ expires: 600 })).status, 400, 'initial without body');
  t.equal((await r.publish({ body: '<presence' })).status, 400, 'unreadable PIDF');
  const type = await r.publish({ body: 'hello', type: 'text/plain' });
  t.equal(type.status, 415);
  t.equal(type.headers.first('accept'), 'application/pidf+xml');
  const brief = await r.publish({ expires: 30, body: PIDF_DOC('x') });
  t.equal(brief.status, 423);
  t.equal(brief.headers.first('min-expires'), '60');
  t.equal((await r.publish({ expires: 86_400, body: PIDF_DOC('x') })).headers.first('expires'), '3600', 'capped');
  const nopub = await r.publish({ uri: 'sip:dan@nopub.test', body: PIDF_DOC('x') });
  t.equal(nopub.status, 403);
  t.equal(nopub.reason, 'agreement nopub does not grant publish');
  const foreign = await r.publish({ from: 'sip:bob@xmpp.test', body: PIDF_DOC('x') });
  t.equal(foreign.status, 403);
  t.equal(foreign.reason, 'the publisher xmpp.test is not served by this gateway');
  t.equal((await r.publish({ uri: 'sip:alice@corp.test', body: PIDF_DOC('x') })).status, 404, 'one of our SIP users: not ours to compose');
  const metrics = await r.metrics.render();
  t.match(metrics, /parley_policy_decisions_total\{decision="refuse",reason="service-not-granted"\} 1/);
  t.match(metrics, /parley_policy_decisions_total\{decision="refuse",reason="sender-domain"\} 1/);
});

t.test('no core answering: 503 with Retry-After (the one case for 503)', async (t) => {
  const r = await rig(t, { core: false });
  const a = await r.publish({ body: PIDF_DOC('x') });
  t.equal(a.status, 503);
  t.equal(a.headers.first('retry-after'), '5');
});
