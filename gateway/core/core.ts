// The core role: subscribes to the edges' events on the bus and answers them.
import { SUBJECTS, CORE_QUEUE, type EdgeStatusEvent, type SipRequestEvent, type SipReplyEvent, type XmppStanzaEvent } from '../bus/subjects.ts';
import type { Subscription } from '../bus/bus.ts';
import { RateLimiter } from '../policy/rate-limit.ts';
import type { CoreContext } from './context.ts';
import { Delivery } from './delivery.ts';
import { OriginTracker } from './origin-tracker.ts';
import { startPresence } from './presence/presence.ts';
import { handleSipMessage } from './sip-inbound.ts';
import { handleXmppStanza } from './xmpp-inbound.ts';

export interface Core { stop(): void }

export function startCore(ctx: CoreContext): Core {
  const limiter = new RateLimiter();
  const origins = new OriginTracker();
  const delivery = new Delivery(ctx, origins);
  const boot = Date.now().toString(36);
  let counter = 0;
  const nextId = (): string => `${ctx.config.node.id}-${boot}-${(++counter).toString(36)}`;

  const subs: Subscription[] = [
    ctx.bus.serve(SUBJECTS.sipRequest, async (data): Promise<SipReplyEvent> => {
      const req = data as SipRequestEvent;
      if (req.method !== 'MESSAGE') return { status: 405, reason: 'Method Not Allowed' };
      return handleSipMessage({ ctx, limiter, delivery, nextId }, req);
    }, { queue: CORE_QUEUE }),
    ctx.bus.subscribe(SUBJECTS.xmppStanza, (data) => {
      handleXmppStanza({ ctx, limiter, origins }, data as XmppStanzaEvent).catch((err: unknown) => {
        ctx.log.error({ err }, 'stanza handling failed');
      });
    }, { queue: CORE_QUEUE }),
    ctx.bus.subscribe(SUBJECTS.edgeStatus, (data) => {
      const ev = data as EdgeStatusEvent;
      if (ev.edge === 'xmpp' && ev.online) delivery.retryPending(ev.name);
    }),
  ];
  delivery.start();
  const presence = ctx.presence && startPresence(ctx, { store: ctx.presence });
  return {
    stop() {
      presence?.stop();
      delivery.stop();
      for (const s of subs) s.unsubscribe();
    },
  };
}
