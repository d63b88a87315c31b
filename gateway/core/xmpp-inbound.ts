// XMPP stanza → SIP: admit, translate, send MESSAGE; a SIP error comes back as a
// <message type='error'> (RFC 7247 §7); an XMPP error for a message from SIP is logged and counted.
import { gatewayError, type GatewayError } from '../../translators/errors.ts';
import { xmppErrorForSipFailure, xmppErrorReply, xmppMessageToSip } from '../../translators/message.ts';
import { child, type XmlElement } from '../../translators/xml.ts';
import { SUBJECTS, type SipSendReply, type SipSendRequest, type XmppStanzaEvent } from '../bus/subjects.ts';
import { admit } from '../policy/admission.ts';
import { bucketFor, type RateLimiter } from '../policy/rate-limit.ts';
import type { CoreContext } from './context.ts';
import type { OriginTracker } from './origin-tracker.ts';
import { refusalError } from './refusal.ts';
import { addressingOf, componentByDomain, jidDomain, uriParts } from './routing.ts';

const DIRECTION = 'xmpp-to-sip';
const STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
/** RFC 3261 §18.1.1: above this a request needs a congestion-controlled transport. */
const UDP_SAFE_BYTES = 1300;

export interface XmppInboundDeps { ctx: CoreContext; limiter: RateLimiter; origins: OriginTracker }

export async function handleXmppStanza(deps: XmppInboundDeps, ev: XmppStanzaEvent): Promise<void> {
  const { ctx } = deps;
  const { stanza } = ev;
  ctx.metrics.stanzas.inc({ direction: 'in', kind: stanza.name });
  if (stanza.name !== 'message') return; // presence: issue #5; iq is answered by the edge
  if (stanza.attrs.type === 'error') {
    reportXmppError(deps, stanza);
    return;
  }
  const component = componentByDomain(ctx.config, ev.domain);
  if (!component) return;
  const translated = xmppMessageToSip(stanza, addressingOf(component));
  if (!translated.ok) return bounce(deps, stanza, translated.error, 'none');
  const out = translated.value;
  if ('ignore' in out) return;

  const local = uriParts(out.requestUri);
  const remoteDomain = jidDomain(stanza.attrs.from ?? '');
  if (!local) return bounce(deps, stanza, gatewayError('address-malformed'), 'none');
  const verdict = admit(ctx.config.peers, {
    service: 'message', direction: 'inbound',
    local: { user: local.user, domain: local.domain }, remote: { network: 'xmpp', domain: remoteDomain }, bytes: out.body.byteLength,
  });
  if (!verdict.ok) {
    ctx.metrics.policyDecisions.inc({ decision: 'refuse', reason: verdict.code });
    ctx.log.info({ id: stanza.attrs.id, code: verdict.code, reason: verdict.reason }, 'XMPP message refused by policy');
    return bounce(deps, stanza, refusalError(verdict.code, verdict.reason), verdict.peer ?? 'none');
  }
  const peer = verdict.peer;
  const bucket = bucketFor(peer.limits);
  if (bucket && !deps.limiter.take(peer.name, bucket, ctx.now())) {
    ctx.metrics.policyDecisions.inc({ decision: 'refuse', reason: 'rate-limited' });
    return bounce(deps, stanza, gatewayError('rate-limited', `rate limit of agreement ${peer.name} exceeded`), peer.name);
  }
  // MAPPINGS §3: over UDP a request above 1300 bytes is refused, never truncated.
  if (proxyTransport(ctx) === 'udp' && out.body.byteLength + 600 > UDP_SAFE_BYTES) {
    ctx.metrics.policyDecisions.inc({ decision: 'refuse', reason: 'too-large-for-udp' });
    return bounce(deps, stanza, gatewayError('too-large', 'message too large for the SIP route (UDP, 1300 bytes); use a TCP route'), peer.name);
  }
  ctx.metrics.policyDecisions.inc({ decision: 'admit', reason: 'agreement' });

  const request: SipSendRequest = { method: 'MESSAGE', requestUri: out.requestUri, from: { uri: out.from }, to: { uri: out.to }, headers: out.headers, body: out.body };
  let final: SipSendReply;
  try {
    final = (await ctx.bus.request(SUBJECTS.sipSend, request, { timeoutMs: 40_000 })) as SipSendReply;
  } catch (err) {
    ctx.log.warn({ err, id: stanza.attrs.id }, 'SIP edge did not take the message');
    return bounce(deps, stanza, gatewayError('not-ready', 'the SIP side of the gateway is not available'), peer.name);
  }
  ctx.metrics.sipOutbound.inc({ method: 'MESSAGE', status: final.status });
  if (final.status >= 200 && final.status < 300) {
    ctx.metrics.messages.inc({ direction: DIRECTION, agreement: peer.name, outcome: 'delivered' });
    ctx.metrics.messageBytes.inc({ direction: DIRECTION, agreement: peer.name }, out.body.byteLength);
    return;
  }
  ctx.metrics.messages.inc({ direction: DIRECTION, agreement: peer.name, outcome: `sip-${final.status}` });
  await send(ctx, xmppErrorForSipFailure(stanza, final.status));
}

async function bounce(deps: XmppInboundDeps, stanza: XmlElement, err: GatewayError, agreement: string): Promise<void> {
  deps.ctx.metrics.messages.inc({ direction: DIRECTION, agreement, outcome: err.code });
  await send(deps.ctx, xmppErrorReply(stanza, err.code, err.detail));
}

async function send(ctx: CoreContext, stanza: XmlElement): Promise<void> {
  try {
    await ctx.bus.request(SUBJECTS.xmppSend, { stanza }, { timeoutMs: 10_000 });
  } catch (err) {
    ctx.log.warn({ err }, 'could not send an error stanza');
  }
}

// An error for a message we delivered from SIP: the SIP request was answered 202 long ago.
// Until IMDN exists, it is logged and counted (MAPPINGS §3).
function reportXmppError(deps: XmppInboundDeps, stanza: XmlElement): void {
  const error = child(stanza, 'error');
  const condition = error?.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === STANZAS_NS);
  const name = condition && typeof condition !== 'string' ? condition.name : 'undefined-condition';
  const origin = stanza.attrs.id !== undefined ? deps.origins.take(stanza.attrs.id) : undefined;
  deps.ctx.metrics.xmppDeliveryErrors.inc({ condition: name });
  deps.ctx.log.warn({ id: stanza.attrs.id, condition: name, from: stanza.attrs.from, origin }, 'XMPP delivery error for a message from SIP');
}

function proxyTransport(ctx: CoreContext): string {
  const proxy = ctx.config.sip.outboundProxy;
  if (proxy === undefined) return 'udp';
  if (proxy.startsWith('sips:')) return 'tls';
  const m = /;transport=([a-z]+)/i.exec(proxy);
  return m?.[1]?.toLowerCase() ?? 'udp';
}
