// Binds the XMPP edge to the bus: stanzas in → core, `xmpp.send` commands → stanzas out.
import type { Bus, Subscription } from '../bus/bus.ts';
import { SUBJECTS, type EdgeStatusEvent, type XmppSendReply, type XmppSendRequest, type XmppStanzaEvent } from '../bus/subjects.ts';
import type { GatewayMetrics } from '../http/metrics.ts';
import type { Logger } from '../log.ts';
import { ComponentOfflineError, type XmppEdge } from '../xmpp/edge.ts';

export interface XmppRoleContext { edge: XmppEdge; bus: Bus; metrics: GatewayMetrics; log: Logger; domains: readonly string[] }

export function bindXmppRole(ctx: XmppRoleContext): Subscription {
  for (const d of ctx.domains) ctx.metrics.edgeConnected.set({ edge: 'xmpp', name: d }, 0);
  ctx.edge.onStanza((stanza, domain) => {
    const ev: XmppStanzaEvent = { domain, stanza };
    ctx.bus.publish(SUBJECTS.xmppStanza, ev);
  });
  ctx.edge.onStatus((domain, online, reason) => {
    ctx.metrics.edgeConnected.set({ edge: 'xmpp', name: domain }, online ? 1 : 0);
    const ev: EdgeStatusEvent = { edge: 'xmpp', name: domain, online };
    if (reason !== undefined) ev.reason = reason;
    ctx.log.info({ domain, online, reason }, online ? 'XMPP component online' : 'XMPP component offline');
    ctx.bus.publish(SUBJECTS.edgeStatus, ev);
  });
  return ctx.bus.serve(SUBJECTS.xmppSend, async (data): Promise<XmppSendReply> => {
    try {
      await ctx.edge.send((data as XmppSendRequest).stanza);
      return { ok: true };
    } catch (err) {
      if (err instanceof ComponentOfflineError) return { ok: false, reason: 'offline' };
      return { ok: false, reason: 'error', detail: (err as Error).message };
    }
  });
}
