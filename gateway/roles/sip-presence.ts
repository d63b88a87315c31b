// Binds the SIP edge's event dialogs (RFC 6665) to the bus for presence: the gateway's own
// SUBSCRIBE dialogs (XMPP user → SIP presentity), watcher SUBSCRIBEs (SIP watcher → XMPP user)
// and their NOTIFYs, PUBLISH refusal. Decisions are the core's; this file only carries them.
import type { Bus, Subscription } from '../bus/bus.ts';
import type {
  SipSubscribeCommand, SipSubscriptionEvent, SubscribeResult, WatcherDecision, WatcherEndedEvent, WatcherNotify, WatcherNotifyCommand, WatcherSubscribeRequest,
} from '../bus/presence-subjects.ts';
import { SUBJECTS } from '../bus/subjects.ts';
import type { Logger } from '../log.ts';
import type { ClientSubscription, FinalResponse, IncomingRequest, IncomingSubscribe, ServerSubscription, SipEndpoint, SubscribeDecision } from '../sip/endpoint.ts';
import { addressUri, inDialogRouting, routeSet } from '../sip/dialog.ts';
import { serialize } from '../xmpp/xml-serialize.ts';

export const PIDF_TYPE = 'application/pidf+xml';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

export interface SipPresenceContext { endpoint: SipEndpoint; bus: Bus; log: Logger }

interface Outgoing { gen: number; sub: ClientSubscription }

function header(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+)/.exec(v);
  return m ? Number(m[1]) : undefined;
}

export function resultOf(r: FinalResponse): SubscribeResult {
  const out: SubscribeResult = { status: r.status, reason: r.reason };
  const expires = seconds(header(r.headers, 'expires'));
  if (expires !== undefined) out.expires = expires;
  const min = r.minExpires ?? seconds(header(r.headers, 'min-expires'));
  if (min !== undefined) out.minExpires = min;
  const retry = seconds(header(r.headers, 'retry-after'));
  if (retry !== undefined) out.retryAfter = retry;
  return out;
}

// One document is often NOTIFYed to many watchers (the core reuses it): serialise it once.
const bodies = new WeakMap<object, Buffer>();

/** The PIDF document as the bytes of a NOTIFY body. */
export function pidfBody(n: WatcherNotify): Buffer | undefined {
  if (n.pidf === undefined) return undefined;
  let body = bodies.get(n.pidf);
  if (body === undefined) {
    body = Buffer.from(XML_DECLARATION + serialize(n.pidf).xml, 'utf8');
    bodies.set(n.pidf, body);
  }
  return body;
}

/** What it takes to send a NOTIFY in a watcher dialog without the dialog layer (after a restart). */
export interface StoredDialog { callId: string; localTag: string; remoteTag: string; localUri: string; remoteUri: string; remoteTarget: string; routeSet: string[] }

export function storedDialog(req: IncomingRequest): StoredDialog | undefined {
  const remoteTarget = addressUri(req.header('contact'));
  if (remoteTarget === undefined || req.from.tag === undefined || req.localTag === undefined) return undefined;
  return {
    callId: req.callId, localTag: req.localTag, remoteTag: req.from.tag, localUri: req.to.uri, remoteUri: req.from.uri,
    remoteTarget, routeSet: routeSet(req.headers('record-route'), 'uas'),
  };
}

/** The edge's key of a watcher dialog: Call-ID, the watcher's tag and ours (RFC 3261 §12). */
function watcherKey(req: IncomingRequest): string {
  return `${req.callId}\u0000${req.from.tag ?? ''}\u0000${req.localTag ?? ''}`;
}

export function bindSipPresence(ctx: SipPresenceContext): Subscription {
  const { endpoint, bus, log } = ctx;
  const outgoing = new Map<string, Outgoing>();
  const watchers = new Map<string, ServerSubscription>();
  const keys = new WeakMap<ServerSubscription, string>();

  endpoint.allowEvents(['presence']);

  // PUBLISH (RFC 3903) to an XMPP user: the gateway is not an event state compositor; XMPP users
  // publish on the XMPP side. Refused cleanly, never absorbed (issue #5).
  endpoint.onRequest('PUBLISH', () => ({ status: 403, reason: 'Forbidden (this gateway does not accept PUBLISH; SUBSCRIBE instead)' }));

  // ---- the gateway's own subscriptions ----
  const subscribe = (cmd: Extract<SipSubscribeCommand, { op: 'subscribe' }>): Promise<FinalResponse> => {
    const old = outgoing.get(cmd.key);
    if (old && !old.sub.ended) old.sub.unsubscribe().catch(() => {});
    let sawTerminated = false;
    let established = false;
    const publish = (ev: SipSubscriptionEvent): void => { bus.publish(SUBJECTS.sipSubscriptionEvent, ev); };
    const sub = endpoint.subscribe({
      requestUri: cmd.requestUri, from: cmd.from, to: cmd.to, event: 'presence', accept: [PIDF_TYPE], expires: cmd.expires,
    }, {
      onNotify(n) {
        const s = n.subscriptionState;
        if (s.state === 'terminated') sawTerminated = true;
        const ev: SipSubscriptionEvent = { kind: 'notify', key: cmd.key, gen: cmd.gen, state: s.state, body: n.body };
        if (s.reason !== undefined) ev.reason = s.reason;
        if (s.retryAfter !== undefined) ev.retryAfter = s.retryAfter;
        if (s.expires !== undefined) ev.expires = s.expires;
        if (n.contentType !== undefined) ev.contentType = n.contentType;
        publish(ev);
        return { status: 200 };
      },
      onTerminated(info) {
        if (outgoing.get(cmd.key)?.sub === sub) outgoing.delete(cmd.key);
        // The core already heard the terminating NOTIFY, or the non-2xx of the SUBSCRIBE.
        if (sawTerminated || !established) return;
        const ev: SipSubscriptionEvent = { kind: 'terminated', key: cmd.key, gen: cmd.gen };
        if (info.reason !== undefined) ev.reason = info.reason;
        if (info.retryAfter !== undefined) ev.retryAfter = info.retryAfter;
        if (info.status !== undefined) ev.status = info.status;
        publish(ev);
      },
    });
    outgoing.set(cmd.key, { gen: cmd.gen, sub });
    return sub.established.then((r) => {
      established = r.status >= 200 && r.status < 300;
      return r;
    });
  };

  const subs: Subscription[] = [
    bus.serve(SUBJECTS.sipSubscribe, async (data): Promise<SubscribeResult> => {
      const cmd = data as SipSubscribeCommand;
      if (cmd.op === 'subscribe') return resultOf(await subscribe(cmd));
      const entry = outgoing.get(cmd.key);
      if (!entry || entry.gen !== cmd.gen || entry.sub.ended) return { status: 481, reason: 'Subscription Does Not Exist' };
      if (cmd.op === 'refresh') return resultOf(await entry.sub.refresh(cmd.expires));
      outgoing.delete(cmd.key);
      return resultOf(await entry.sub.unsubscribe());
    }),
    bus.subscribe(SUBJECTS.watcherNotify, (data) => {
      const cmd = data as WatcherNotifyCommand;
      const sub = watchers.get(cmd.key);
      if (sub && !sub.ended) {
        sendNotify(sub, cmd.notify);
        return;
      }
      if (!sub && cmd.dialog !== undefined && cmd.expiresAt !== undefined) {
        notifyRestored(cmd.key, JSON.parse(cmd.dialog) as StoredDialog, cmd.expiresAt, cmd.notify);
        return;
      }
      const ev: WatcherEndedEvent = { key: cmd.key, why: 'unknown' };
      bus.publish(SUBJECTS.watcherEnded, ev);
    }),
  ];

  // A dialog opened before a restart: the dialog layer no longer holds it, so its NOTIFYs are sent
  // here from the stored state (RFC 3261 §12.2.1.1 routing). CSeq restarts above anything the old
  // process used (seconds since the epoch; the old one counted up from 1) (ours). A refresh of
  // such a dialog gets 481 from the layer and the watcher subscribes again (RFC 6665 §4.1.2.2).
  const restoredSeq = new Map<string, number>();
  const notifyRestored = (key: string, d: StoredDialog, expiresAt: number, n: WatcherNotify): void => {
    const remaining = Math.floor((expiresAt - Date.now()) / 1000);
    const expired = remaining <= 0;
    const cseq = (restoredSeq.get(key) ?? Math.floor(Date.now() / 1000) % 2_000_000_000) + 1;
    restoredSeq.set(key, cseq);
    const state = expired ? 'terminated;reason=timeout' : n.state === 'terminated' ? `terminated${n.reason !== undefined ? `;reason=${n.reason}` : ''}` : `${n.state};expires=${remaining}`;
    const body = expired ? undefined : pidfBody(n);
    const routing = inDialogRouting(d);
    endpoint.sendRequest({
      method: 'NOTIFY', requestUri: routing.requestUri, nextHop: routing.nextHop, route: routing.route,
      from: { uri: d.localUri }, to: { uri: d.remoteUri }, callId: d.callId, fromTag: d.localTag, toTag: d.remoteTag, cseq, contact: true,
      headers: [['Event', 'presence'], ['Subscription-State', state], ...(body !== undefined ? [['Content-Type', PIDF_TYPE] as [string, string]] : [])],
      ...(body !== undefined && { body }),
    }).then((r) => {
      if (expired || n.state === 'terminated' || r.status === 481 || r.status === 408) {
        restoredSeq.delete(key);
        const ev: WatcherEndedEvent = { key, why: expired ? 'expired' : r.status >= 300 ? 'notify-failed' : 'terminated' };
        bus.publish(SUBJECTS.watcherEnded, ev);
      }
    }, (err: unknown) => { log.warn({ err }, 'presence NOTIFY (restored dialog) failed'); });
  };

  const sendNotify = (sub: ServerSubscription, n: WatcherNotify): void => {
    const body = pidfBody(n);
    sub.notify({ state: n.state, ...(n.reason !== undefined && { reason: n.reason }), ...(body !== undefined && { body, contentType: PIDF_TYPE }) })
      .catch((err: unknown) => { log.warn({ err }, 'presence NOTIFY failed'); });
  };

  // ---- watchers ----
  endpoint.onSubscribe(async (s: IncomingSubscribe): Promise<SubscribeDecision> => {
    const existing = s.subscription;
    const key = existing !== undefined ? (keys.get(existing) ?? watcherKey(s.request)) : watcherKey(s.request);
    const ask: WatcherSubscribeRequest = {
      key, existing: existing !== undefined, watcher: s.request.from.uri, target: s.request.to.uri, requestUri: s.request.requestUri,
      event: s.event, expires: s.expires, accept: s.accept,
    };
    const dialog = existing === undefined ? storedDialog(s.request) : undefined;
    if (dialog !== undefined) ask.dialog = JSON.stringify(dialog);
    let d: WatcherDecision;
    try {
      d = (await bus.request(SUBJECTS.watcherSubscribe, ask, { timeoutMs: 8000 })) as WatcherDecision;
    } catch (err) {
      log.warn({ err }, 'core did not answer a presence SUBSCRIBE');
      return { status: 503, reason: 'Gateway not ready', headers: [['Retry-After', '5']] };
    }
    const decision: SubscribeDecision = { status: d.status };
    if (d.reason !== undefined) decision.reason = d.reason;
    if (d.expires !== undefined) decision.expires = d.expires;
    if (d.headers !== undefined) decision.headers = d.headers;
    decision.onAccepted = (sub) => {
      if (!keys.has(sub)) {
        keys.set(sub, key);
        watchers.set(key, sub);
        sub.onEnded((why) => {
          if (watchers.get(key) === sub) watchers.delete(key);
          const ev: WatcherEndedEvent = { key, why };
          bus.publish(SUBJECTS.watcherEnded, ev);
        });
      }
      if (d.notify !== undefined) sendNotify(sub, d.notify);
    };
    return decision;
  });

  return {
    unsubscribe() {
      for (const s of subs) s.unsubscribe();
    },
  };
}
