// SIP PUBLISH for XMPP users, RFC 3903 §6 steps 1–3 (publish.ts): routing to a presentity, the
// event package, and the policy decision (publish granted by an agreement), counted like the others.
import t from 'tap';
import { ManualClock } from '../../../../../gateway/clock.ts';
import type { ParleyConfig, PeerConfig } from '../../../../../gateway/config/types.ts';
import { EventStateCompositor } from '../../../../../gateway/core/presence/compositor.ts';
import { handlePublish, type PublishDeps } from '../../../../../gateway/core/presence/publish.ts';
import type { SipPublishRequest } from '../../../../../gateway/bus/presence-subjects.ts';
import type { GatewayMetrics } from '../../../../../gateway/http/metrics.ts';
import { silentLogger } from '../../../../../gateway/log.ts';

const peer = (name: string, xmpp: string[], services: PeerConfig['services']): PeerConfig => ({
  name, remote: { xmpp, sip: [] }, local: { domains: ['corp.test'], users: ['*'] }, services, direction: 'both', limits: {}, billing: {},
});
const config = {
  sip: { listen: [], domains: ['corp.test'] },
  peers: [peer('pub', ['xmpp.test'], ['message', 'presence', 'publish']), peer('nopub', ['nopub.test'], ['message', 'presence'])],
} as unknown as ParleyConfig;
const PIDF = new TextEncoder().encode('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@xmpp.test"><tuple id="desk"><status><basic>open</basic></status></tuple></presence>');

function rig() {
  const decisions: Array<Record<string, string | number>> = [];
  const metrics = { policyDecisions: { inc: (l: Record<string, string | number>) => { decisions.push(l); } } } as unknown as GatewayMetrics;
  const compositor = new EventStateCompositor({ clock: new ManualClock(), onChange: () => {}, newEtag: () => 'tag' });
  const deps: PublishDeps = {
    ctx: { config, metrics, log: silentLogger }, compositor,
    xmppUserOfSipUri: (uri) => /^sip:([^@;>]+@[^@;>]+)$/.exec(uri)?.[1],
  };
  const publish = (r: Partial<SipPublishRequest>) => handlePublish(deps, {
    requestUri: 'sip:bob@xmpp.test', from: 'sip:pbx@corp.test', event: 'presence', contentType: 'application/pidf+xml', body: PIDF, ...r,
  });
  return { decisions, compositor, publish };
}

t.test('allowed: the agreement grants publish → the compositor answers (200, SIP-ETag); counted as admitted', async (t) => {
  const r = rig();
  t.same(r.publish({ expires: '600' }), { status: 200, reason: 'OK', headers: [['SIP-ETag', 'tag'], ['Expires', '600']] });
  t.same(r.decisions, [{ decision: 'admit', reason: 'agreement' }]);
  t.same(r.compositor.documents('bob@xmpp.test').map((d) => d.tuples[0]!.id), ['desk'], 'kept for bob\'s JID');
});

t.test('step 1: a Request-URI that names no XMPP user, or one of our SIP users, is 404; nothing counted', async (t) => {
  const r = rig();
  t.same(r.publish({ requestUri: 'tel:+123' }), { status: 404, reason: 'the Request-URI is not an XMPP user\'s address', headers: [] });
  t.same(r.publish({ requestUri: 'sip:alice@corp.test' }), { status: 404, reason: 'corp.test is a SIP domain of this gateway: its users publish to their presence server', headers: [] });
  t.same(r.decisions, []);
});

t.test('step 2 before step 3: another event package is 489 whatever the agreement', async (t) => {
  const r = rig();
  for (const requestUri of ['sip:bob@xmpp.test', 'sip:dan@elsewhere.test']) {
    t.same(r.publish({ requestUri, event: 'dialog' }), { status: 489, reason: 'Bad Event', headers: [['Allow-Events', 'presence']] });
    t.equal(r.publish({ requestUri, event: undefined }).status, 489, 'no Event header');
  }
  t.same(r.decisions, []);
});

t.test('step 3: refusals are policy decisions with their reason code, answered 403 naming the cause', async (t) => {
  const r = rig();
  const rows: Array<[Partial<SipPublishRequest>, string, string]> = [
    [{ from: 'sip:bob@xmpp.test' }, 'sender-domain', 'the publisher xmpp.test is not served by this gateway'],
    [{ from: 'garbage' }, 'sender-domain', 'the publisher garbage is not served by this gateway'],
    [{ requestUri: 'sip:dan@elsewhere.test' }, 'no-agreement', 'no peering agreement between corp.test and elsewhere.test'],
    [{ requestUri: 'sip:dan@nopub.test' }, 'service-not-granted', 'agreement nopub does not grant publish'],
  ];
  for (const [req, code, reason] of rows) {
    r.decisions.length = 0;
    t.same(r.publish(req), { status: 403, reason, headers: [] }, code);
    t.same(r.decisions, [{ decision: 'refuse', reason: code }], `counted: ${code}`);
  }
  t.equal(r.compositor.size, 0, 'nothing published');
});
