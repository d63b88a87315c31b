// SIP MESSAGE → XMPP: route, admit, translate, hand off durably, and only then answer 202.
import { sipResponseFor, gatewayError, type GatewayError } from '../../translators/errors.ts';
import { ACCEPTED_CONTENT_TYPES, sipMessageToXmpp } from '../../translators/message.ts';
import type { SipReplyEvent, SipRequestEvent } from '../bus/subjects.ts';
import { admit } from '../policy/admission.ts';
import { bucketFor, type RateLimiter } from '../policy/rate-limit.ts';
import type { CoreContext } from './context.ts';
import type { Delivery } from './delivery.ts';
import { refusalError } from './refusal.ts';
import { addressingOf, componentForSipDomain, uriParts } from './routing.ts';

const DIRECTION = 'sip-to-xmpp';

export interface SipInboundDeps { ctx: CoreContext; limiter: RateLimiter; delivery: Delivery; nextId(): string }

export async function handleSipMessage(deps: SipInboundDeps, req: SipRequestEvent): Promise<SipReplyEvent> {
  const { ctx } = deps;
  const refuse = (err: GatewayError, agreement = 'none'): SipReplyEvent => {
    ctx.metrics.messages.inc({ direction: DIRECTION, agreement, outcome: err.code });
    const r = sipResponseFor(err);
    const reply: SipReplyEvent = { status: r.status, reason: r.reason };
    if (err.code === 'unsupported-media') reply.headers = [['Accept', ACCEPTED_CONTENT_TYPES.join(', ')]];
    return reply;
  };

  const from = uriParts(req.from.uri);
  const target = uriParts(req.requestUri);
  if (!from || !target) return refuse(gatewayError('address-malformed'));
  const { config } = ctx;
  if (!config.sip.domains.includes(from.domain)) {
    return decision(ctx, refuse(gatewayError('no-agreement', `sender domain ${from.domain} is not served by this gateway`)), 'sender-domain');
  }
  if (config.sip.domains.includes(target.domain)) {
    return refuse(gatewayError('unknown-domain', `${target.domain} is a SIP domain of this gateway, not an XMPP destination`));
  }
  const component = componentForSipDomain(config, from.domain);
  if (!component) return refuse(gatewayError('unknown-domain', `no XMPP component serves ${from.domain}`));

  const verdict = admit(config.peers, {
    service: 'message', direction: 'outbound',
    local: { user: from.user, domain: from.domain }, remote: { network: 'xmpp', domain: target.domain }, bytes: req.body.byteLength,
  });
  if (!verdict.ok) {
    ctx.log.info({ callId: req.callId, code: verdict.code, reason: verdict.reason }, 'SIP MESSAGE refused by policy');
    return decision(ctx, refuse(refusalError(verdict.code, verdict.reason), verdict.peer), verdict.code);
  }
  const peer = verdict.peer;
  const bucket = bucketFor(peer.limits);
  if (bucket && !deps.limiter.take(peer.name, bucket, ctx.now())) {
    return decision(ctx, refuse(gatewayError('rate-limited', `rate limit of agreement ${peer.name} exceeded`), peer.name), 'rate-limited');
  }

  const id = deps.nextId();
  const input: Parameters<typeof sipMessageToXmpp>[0] = { requestUri: req.requestUri, from: req.from.uri, to: req.to.uri, body: req.body, id };
  if (req.contentType !== undefined) input.contentType = req.contentType;
  if (req.contentLanguage !== undefined) input.contentLanguage = req.contentLanguage;
  if (req.subject !== undefined) input.subject = req.subject;
  const translated = sipMessageToXmpp(input, addressingOf(component));
  if (!translated.ok) return refuse(translated.error, peer.name);
  ctx.metrics.policyDecisions.inc({ decision: 'admit', reason: 'agreement' });

  try {
    await deps.delivery.handOff({
      domain: component.domain, stanza: translated.value.stanza,
      origin: { callId: req.callId, from: req.from.uri, agreement: peer.name },
    });
  } catch (err) {
    ctx.log.error({ err, callId: req.callId }, 'durable hand-off failed');
    return refuse(gatewayError('not-ready', 'the gateway cannot store messages'), peer.name);
  }
  ctx.metrics.handoffSeconds.observe({ direction: DIRECTION }, (ctx.now() - req.receivedAt) / 1000);
  ctx.metrics.messages.inc({ direction: DIRECTION, agreement: peer.name, outcome: 'accepted' });
  ctx.metrics.messageBytes.inc({ direction: DIRECTION, agreement: peer.name }, req.body.byteLength);
  // RFC 3428 §7: 202 — accepted for delivery by a store-and-forward hop, not yet delivered.
  return { status: 202, reason: 'Accepted' };
}

function decision(ctx: CoreContext, reply: SipReplyEvent, reason: string): SipReplyEvent {
  ctx.metrics.policyDecisions.inc({ decision: 'refuse', reason });
  return reply;
}
