// The presence core: XMPP presence stanzas and the SIP edge's presence events in, subscriptions
// both ways (outgoing.ts: XMPP user → SIP presentity; watchers.ts: SIP watcher → XMPP user), and
// SIP PUBLISH for XMPP users (publish.ts, compositor.ts: soft state in memory, composed into the
// watchers' NOTIFYs). Presence flows only where an agreement grants the `presence` service,
// PUBLISH only where it grants `publish` too.
import { jidToSipUser, sipUriToXmppUser, sipUserToJid, xmppUserToSipUri } from '../../../translators/address.ts';
import { formatJid } from '../../../translators/jid.ts';
import { xmppErrorReply } from '../../../translators/message.ts';
import type { XmlElement } from '../../../translators/xml.ts';
import type { SipPublishRequest, SipSubscriptionEvent, WatcherEndedEvent, WatcherSubscribeRequest } from '../../bus/presence-subjects.ts';
import { SUBJECTS, CORE_QUEUE, type XmppStanzaEvent } from '../../bus/subjects.ts';
import type { Subscription } from '../../bus/bus.ts';
import { systemClock, type Clock } from '../../clock.ts';
import { FifoMap } from '../../fifo-map.ts';
import { admit } from '../../policy/admission.ts';
import type { PresenceStore } from '../../store/presence-store.ts';
import type { CoreContext } from '../context.ts';
import { refusalError } from '../refusal.ts';
import { addressingOf, componentByDomain, componentForSipDomain, jidDomain, uriParts } from '../routing.ts';
import { EventStateCompositor, type PublishPolicy } from './compositor.ts';
import type { OutgoingPolicy } from './outgoing-fsm.ts';
import { OutgoingSubscriptions } from './outgoing.ts';
import { handlePublish } from './publish.ts';
import type { WatcherPolicy } from './watcher-rules.ts';
import { Watchers } from './watchers.ts';
import { SerialQueues } from './serial.ts';
import { readPresence, type ReadPresence } from './xmpp-presence.ts';

export const PRESENCE_QUEUE = `${CORE_QUEUE}-presence`;

export interface PresenceOptions {
  store: PresenceStore;
  clock?: Clock;
  outgoing?: OutgoingPolicy;
  watchers?: WatcherPolicy;
  publish?: PublishPolicy;
}

export interface PresenceCore {
  readonly outgoing: OutgoingSubscriptions;
  readonly watchers: Watchers;
  /** The state SIP publishers published for XMPP users (in memory: gone with a restart). */
  readonly compositor: EventStateCompositor;
  /** Resolves once stored subscriptions were re-established (after a restart). */
  readonly resumed: Promise<number>;
  stop(): void;
}

export function startPresence(ctx: CoreContext, opts: PresenceOptions): PresenceCore {
  const { config, bus, log } = ctx;
  const send = async (stanza: XmlElement): Promise<void> => {
    await bus.request(SUBJECTS.xmppSend, { stanza }, { timeoutMs: 10_000 });
  };
  const ok = <T>(r: { ok: true; value: T } | { ok: false }): T | undefined => (r.ok ? r.value : undefined);
  // A local SIP user's JID: its domain's component decides the addressing (direct or escaped).
  const jidOfSipUser = (uri: string): string | undefined => {
    const parts = uriParts(uri);
    const component = parts && componentForSipDomain(config, parts.domain);
    if (!component) return undefined;
    const jid = ok(sipUserToJid(uri, addressingOf(component)));
    return jid && formatJid({ ...jid, resource: undefined });
  };
  const sipUriOfJid = (jid: string, domain: string): string | undefined => {
    const component = componentByDomain(config, domain);
    return component && ok(jidToSipUser(jid, addressingOf(component)));
  };
  const sipUriOfXmppUser = (jid: string): string | undefined => ok(xmppUserToSipUri(jid));
  const xmppUserOfSipUri = (uri: string): string | undefined => {
    const jid = ok(sipUriToXmppUser(uri));
    return jid && formatJid({ ...jid, resource: undefined });
  };

  // Address mapping runs on every stanza of a fan-out: remember recent answers (bounded) (ours).
  const memo = <A extends unknown[]>(fn: (...a: A) => string | undefined, max = 10_000): ((...a: A) => string | undefined) => {
    const seen = new FifoMap<string | undefined>(max);
    return (...a: A) => {
      const key = a.join('\u0000');
      if (seen.has(key)) return seen.get(key);
      const v = fn(...a);
      seen.set(key, v);
      return v;
    };
  };
  const clock = opts.clock ?? systemClock;
  const mapped = {
    jidOfSipUser: memo(jidOfSipUser), sipUriOfJid: memo(sipUriOfJid), sipUriOfXmppUser: memo(sipUriOfXmppUser), xmppUserOfSipUri: memo(xmppUserOfSipUri),
  };
  const outgoing = new OutgoingSubscriptions({
    ctx, store: opts.store, clock, send, jidOfSipUser: mapped.jidOfSipUser, sipUriOfXmppUser: mapped.sipUriOfXmppUser,
    ...(opts.outgoing !== undefined && { policy: opts.outgoing }),
  });
  const fail = (what: string) => (err: unknown): void => { log.error({ err }, what); };
  const compositor = new EventStateCompositor({
    clock, ...(opts.publish !== undefined && { policy: opts.publish }),
    onChange: (owner) => { watchers.onPublished(owner).catch(fail('published presence not NOTIFYed')); },
  });
  const watchers = new Watchers({
    ctx, store: opts.store, send, ...mapped, publishedOf: (owner) => compositor.documents(owner),
    ...(opts.watchers !== undefined && { policy: opts.watchers }),
  });

  const ownerQueues = new SerialQueues((err) => { fail('presence stanza handling failed')(err); });
  const onStanza = async (ev: XmppStanzaEvent, p: ReadPresence): Promise<void> => {
    const local = mapped.sipUriOfJid(p.to, ev.domain);
    const localParts = local === undefined ? undefined : uriParts(local);
    if (local === undefined || localParts === undefined) return;
    const remote = { network: 'xmpp' as const, domain: jidDomain(p.from) };
    switch (p.kind) {
      case 'subscribe':
      case 'probe':
      case 'unsubscribe': {
        if (p.kind !== 'unsubscribe') {
          const verdict = admit(config.peers, { service: 'presence', direction: 'inbound', local: { user: localParts.user, domain: localParts.domain }, remote });
          if (!verdict.ok) {
            ctx.metrics.policyDecisions.inc({ decision: 'refuse', reason: verdict.code });
            log.info({ from: p.from, to: p.to, code: verdict.code }, 'presence subscription refused by policy');
            await send(xmppErrorReply(ev.stanza, refusalError(verdict.code, verdict.reason).code));
            return;
          }
        }
        outgoing.handle(p.from, local, { type: p.kind === 'subscribe' ? 'xmpp-subscribe' : p.kind === 'probe' ? 'xmpp-probe' : 'xmpp-unsubscribe' });
        return;
      }
      case 'subscribed':
      case 'unsubscribed':
        await watchers.onXmppSubscription(p.kind, p.from, p.to, ev.domain);
        return;
      case 'available':
      case 'unavailable':
        if (p.presence) await watchers.onXmppPresence(p.from, p.presence, p.to, ev.domain);
        return;
      default:
        log.debug({ from: p.from, to: p.to }, 'presence error stanza');
    }
  };

  const subs: Subscription[] = [
    bus.subscribe(SUBJECTS.xmppStanza, (data) => {
      const ev = data as XmppStanzaEvent;
      const p = ev.stanza.name === 'presence' ? readPresence(ev.stanza) : undefined;
      if (!p) return;
      // What an XMPP user's server sends about that user reaches us in order on one stream
      // (RFC 6121 §3.1.5: `subscribed`, then the user's current presence; §3.2.2: `unsubscribed`,
      // then `unavailable`), and its effect depends on that order: the presence counts only once
      // the approval is stored, the unavailable must not count once it is withdrawn. The handlers
      // await the store, so one user's stanzas are handled one after the other (other users'
      // concurrently). No probe after `subscribed`: the server sends the presence unasked; a probe
      // would only bring it a second time (and a second NOTIFY) per approval.
      // subscribe/probe/unsubscribe go to outgoing.ts synchronously: they keep their order.
      if (p.kind === 'subscribed' || p.kind === 'unsubscribed' || p.kind === 'available' || p.kind === 'unavailable') {
        ownerQueues.run(p.from, () => onStanza(ev, p));
      } else {
        onStanza(ev, p).catch(fail('presence stanza handling failed'));
      }
    }, { queue: PRESENCE_QUEUE }),
    bus.subscribe(SUBJECTS.sipSubscriptionEvent, (data) => { outgoing.onSipEvent(data as SipSubscriptionEvent); }, { queue: CORE_QUEUE }),
    bus.serve(SUBJECTS.watcherSubscribe, (data) => watchers.onSubscribe(data as WatcherSubscribeRequest), { queue: CORE_QUEUE }),
    bus.subscribe(SUBJECTS.watcherEnded, (data) => { watchers.onEnded(data as WatcherEndedEvent).catch(fail('watcher end not recorded')); }, { queue: CORE_QUEUE }),
    bus.serve(SUBJECTS.watcherDialogs, () => watchers.storedDialogs(), { queue: CORE_QUEUE }),
    bus.serve(SUBJECTS.sipPublish, (data) => handlePublish({ ctx, compositor, xmppUserOfSipUri: mapped.xmppUserOfSipUri }, data as SipPublishRequest), { queue: CORE_QUEUE }),
  ];
  const resumed = outgoing.resumeAll();
  resumed.then((n) => { if (n > 0) log.info({ subscriptions: n }, 're-establishing presence subscriptions'); }, fail('presence subscriptions not resumed'));

  return {
    outgoing, watchers, compositor, resumed,
    stop() {
      outgoing.stop();
      compositor.clear();
      for (const s of subs) s.unsubscribe();
    },
  };
}
