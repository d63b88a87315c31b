// Binds the SIP edge to the bus: requests in → core, `sip.send` commands → SIP requests out.
import type { Bus, Subscription } from '../bus/bus.ts';
import { SUBJECTS, type SipReplyEvent, type SipRequestEvent, type SipSendReply, type SipSendRequest } from '../bus/subjects.ts';
import type { GatewayMetrics } from '../http/metrics.ts';
import type { Logger } from '../log.ts';
import type { IncomingRequest, OutgoingRequestSpec, SipEndpoint } from '../sip/endpoint.ts';

export interface SipRoleContext { endpoint: SipEndpoint; bus: Bus; metrics: GatewayMetrics; log: Logger; now(): number }

export function bindSipRole(ctx: SipRoleContext): Subscription {
  ctx.endpoint.onRequest('MESSAGE', async (req) => {
    const reply = await askCore(ctx, toEvent(req, ctx.now()));
    ctx.metrics.sipRequests.inc({ method: req.method, status: reply.status });
    const out: { status: number; reason?: string; headers?: Array<[string, string]> } = { status: reply.status };
    if (reply.reason !== undefined) out.reason = reply.reason;
    if (reply.headers !== undefined) out.headers = reply.headers;
    return out;
  });
  return ctx.bus.serve(SUBJECTS.sipSend, async (data): Promise<SipSendReply> => {
    const r = data as SipSendRequest;
    const spec: OutgoingRequestSpec = { method: r.method, requestUri: r.requestUri, from: r.from, to: r.to };
    if (r.callId !== undefined) spec.callId = r.callId;
    if (r.headers !== undefined) spec.headers = r.headers;
    if (r.body !== undefined) spec.body = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
    const final = await ctx.endpoint.sendRequest(spec);
    const reply: SipSendReply = { status: final.status, reason: final.reason, headers: final.headers };
    if (final.local) reply.local = true;
    return reply;
  });
}

async function askCore(ctx: SipRoleContext, ev: SipRequestEvent): Promise<SipReplyEvent> {
  try {
    return (await ctx.bus.request(SUBJECTS.sipRequest, ev, { timeoutMs: 8000 })) as SipReplyEvent;
  } catch (err) {
    // The whole gateway cannot serve (no core): the one case for 503 (RFC 3261 §21.5.4).
    ctx.log.warn({ err, callId: ev.callId }, 'core did not answer');
    return { status: 503, reason: 'Gateway not ready', headers: [['Retry-After', '5']] };
  }
}

function toEvent(req: IncomingRequest, now: number): SipRequestEvent {
  const ev: SipRequestEvent = {
    method: req.method, requestUri: req.requestUri, from: req.from, to: req.to, callId: req.callId, cseq: req.cseq,
    body: req.body, transport: req.transport, remote: req.remote, receivedAt: now,
  };
  if (req.contentType !== undefined) ev.contentType = req.contentType;
  const lang = req.header('Content-Language');
  if (lang !== undefined) ev.contentLanguage = lang;
  const subject = req.header('Subject');
  if (subject !== undefined) ev.subject = subject;
  return ev;
}
