// SIP PUBLISH (RFC 3903) for an XMPP user, steps 1 to 3 of RFC 3903 §6 (docs/presence.md): the
// Request-URI must be an XMPP user's address, the event package presence (489 otherwise), and the
// publisher one of our SIP users whose agreement with the presentity's XMPP domain grants `publish`
// (and `presence`): each refusal is a policy decision with its reason code, counted as the others.
// Then the compositor (compositor.ts) does steps 4 to 7. Published state is composed into what the
// user's SIP watchers are NOTIFYed; it never becomes XMPP presence.
import { gatewayError, sipResponseFor, type GatewayError } from '../../../translators/errors.ts';
import type { SipPublishReply, SipPublishRequest } from '../../bus/presence-subjects.ts';
import { admit } from '../../policy/admission.ts';
import type { CoreContext } from '../context.ts';
import { refusalError } from '../refusal.ts';
import { jidDomain, uriParts } from '../routing.ts';
import { badEvent, type EventStateCompositor, type PublishAnswer } from './compositor.ts';

export interface PublishDeps {
  ctx: Pick<CoreContext, 'config' | 'metrics' | 'log'>;
  compositor: EventStateCompositor;
  /** The XMPP user (bare JID) a SIP URI names, if any. */
  xmppUserOfSipUri(uri: string): string | undefined;
}

const reply = (a: PublishAnswer): SipPublishReply => ({ status: a.status, reason: a.reason, headers: a.headers.map(([k, v]) => [k, v]) });

const refusal = (err: GatewayError): SipPublishReply => {
  const r = sipResponseFor(err);
  return { status: r.status, reason: r.reason, headers: [] };
};

export function handlePublish(deps: PublishDeps, req: SipPublishRequest): SipPublishReply {
  const { config, metrics, log } = deps.ctx;
  // Step 1: a presentity the gateway composes state for: an XMPP user, not one of our SIP users.
  const presentity = deps.xmppUserOfSipUri(req.requestUri);
  if (presentity === undefined) return refusal(gatewayError('unknown-domain', 'the Request-URI is not an XMPP user\'s address'));
  const domain = jidDomain(presentity);
  if (config.sip.domains.includes(domain)) {
    return refusal(gatewayError('unknown-domain', `${domain} is a SIP domain of this gateway: its users publish to their presence server`));
  }
  // Step 2: the event package.
  const bad = badEvent(req.event);
  if (bad !== undefined) return reply(bad);
  // Step 3: the publisher is authorised by an agreement granting publish.
  const refuse = (reason: string, err: GatewayError): SipPublishReply => {
    metrics.policyDecisions.inc({ decision: 'refuse', reason });
    log.info({ from: req.from, presentity, code: reason, reason: err.detail }, 'SIP PUBLISH refused by policy');
    return refusal(err);
  };
  const publisher = uriParts(req.from);
  if (publisher === undefined || !config.sip.domains.includes(publisher.domain)) {
    return refuse('sender-domain', gatewayError('no-agreement', `the publisher ${publisher?.domain ?? req.from} is not served by this gateway`));
  }
  const verdict = admit(config.peers, {
    service: 'publish', direction: 'outbound', local: { user: publisher.user, domain: publisher.domain }, remote: { network: 'xmpp', domain },
  });
  if (!verdict.ok) return refuse(verdict.code, refusalError(verdict.code, verdict.reason));
  metrics.policyDecisions.inc({ decision: 'admit', reason: 'agreement' });
  // Steps 4 to 7.
  return reply(deps.compositor.publish({ presentity, expires: req.expires, ifMatch: req.ifMatch, contentType: req.contentType, body: req.body }));
}
