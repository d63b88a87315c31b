// Binds the SIP edge's event dialogs (RFC 6665) to the bus for presence: the gateway's own
// SUBSCRIBE dialogs (XMPP user → SIP presentity), watcher SUBSCRIBEs (SIP watcher → XMPP user)
// and their NOTIFYs, and PUBLISH (RFC 3903) for XMPP users. Decisions are the core's; this file
// only carries them.
import type { Bus, Subscription } from '../bus/bus.ts';
import type {
  SipPublishReply, SipPublishRequest, SipSubscribeCommand, SipSubscriptionEvent, SubscribeResult, WatcherDecision, WatcherDialogsReply, WatcherEndedEvent,
  WatcherNotify, WatcherNotifyCommand, WatcherSubscribeRequest,
} from '../bus/presence-subjects.ts';
import { SUBJECTS } from '../bus/subjects.ts';
import type { Logger } from '../log.ts';
import type {
  ClientSubscription, EndReason, FinalResponse, IncomingRequest, IncomingSubscribe, NotifySpec, ServerSubscription, SipEndpoint, SubscribeDecision, SubscriptionSnapshot,
} from '../sip/endpoint.ts';
import type { DialogState } from '../sip/dialog.ts';
import { flat } from '../sip/compact-string.ts';
import { staleUnsubscribe } from '../sip/subscription-client.ts';
import { serialize } from '../xmpp/xml-serialize.ts';

export const PIDF_TYPE = 'application/pidf+xml';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

export interface SipPresenceContext { endpoint: SipEndpoint; bus: Bus; log: Logger }

export interface SipPresenceBinding extends Subscription {
  /**
   * Restores the watcher dialogs served before a restart (asks the core for the stored ones):
   * call once the endpoint is listening. Resolves with how many were restored.
   */
  restore(): Promise<number>;
}

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

/**
 * The PIDF document as the bytes of a NOTIFY body. The bytes get an ArrayBuffer of their own:
 * Buffer.from() of a short string is a slice of the shared 64 KiB allocation pool, and each body
 * the core keeps as its user's current document (10,000 of them) held a whole pool slab alive
 * (150 MiB of ArrayBuffers measured at 100,000 subscriptions).
 */
export function pidfBody(n: WatcherNotify): Buffer | undefined {
  if (n.pidf === undefined) return undefined;
  let body = bodies.get(n.pidf);
  if (body === undefined) {
    const text = XML_DECLARATION + serialize(n.pidf).xml;
    body = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
    body.write(text, 'utf8');
    bodies.set(n.pidf, body);
  }
  return body;
}

/**
 * A stored watcher dialog (the JSON the core keeps) as a snapshot for the dialog layer. Dialogs
 * stored before snapshots existed lack the CSeqs, the event and the Request-URI: presence, and the
 * remote CSeq unknown (any accepted).
 */
export function snapshotOfStored(json: string): SubscriptionSnapshot | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const d = v as Partial<Record<keyof SubscriptionSnapshot, unknown>>;
  const str = (x: unknown): x is string => typeof x === 'string';
  if (!str(d.callId) || !str(d.localTag) || !str(d.remoteTag) || !str(d.localUri) || !str(d.remoteUri) || !str(d.remoteTarget)) return undefined;
  if (!Array.isArray(d.routeSet) || !d.routeSet.every(str)) return undefined;
  return {
    callId: d.callId, localTag: d.localTag, remoteTag: d.remoteTag, localUri: d.localUri, remoteUri: d.remoteUri, remoteTarget: d.remoteTarget,
    routeSet: d.routeSet, localSeq: typeof d.localSeq === 'number' ? d.localSeq : 0,
    ...(typeof d.remoteSeq === 'number' && { remoteSeq: d.remoteSeq }),
    event: str(d.event) ? d.event : 'presence', requestUri: str(d.requestUri) ? d.requestUri : d.localUri,
  };
}

/** Stored client dialog states (`SubscribeResult.dialog`), the unreadable ones left out. */
export function dialogStatesOfStored(json: string): DialogState[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  const str = (x: unknown): x is string => typeof x === 'string';
  return v.filter((d: Partial<Record<keyof DialogState, unknown>> | null): d is DialogState => typeof d === 'object' && d !== null
    && str(d.callId) && str(d.localTag) && str(d.remoteTag) && str(d.localUri) && str(d.remoteUri) && str(d.remoteTarget)
    && typeof d.localSeq === 'number' && Array.isArray(d.routeSet) && d.routeSet.every(str));
}

/** A CSeq above any the process before a restart used in a dialog: seconds since the epoch, when
 * that is more than the stored one (that process counted up by one per request) (ours). */
const cseqAfterRestart = (stored: number): number => Math.max(stored, Math.floor(Date.now() / 1000) % 2 ** 31);

/** A PUBLISH as the core's compositor reads it: the URIs, the headers RFC 3903 §6 looks at, the body. */
export function publishRequestOf(req: IncomingRequest): SipPublishRequest {
  const out: SipPublishRequest = { requestUri: req.requestUri, from: req.from.uri, body: req.body };
  const event = req.header('event');
  if (event !== undefined) out.event = event;
  const expires = req.header('expires');
  if (expires !== undefined) out.expires = expires;
  const ifMatch = req.header('sip-if-match');
  if (ifMatch !== undefined) out.ifMatch = ifMatch;
  if (req.contentType !== undefined) out.contentType = req.contentType;
  return out;
}

/** The edge's key of a watcher dialog: Call-ID, the watcher's tag and ours (RFC 3261 §12). */
function watcherKey(req: IncomingRequest): string {
  return `${req.callId}\u0000${req.from.tag ?? ''}\u0000${req.localTag ?? ''}`;
}

export function bindSipPresence(ctx: SipPresenceContext): SipPresenceBinding {
  const { endpoint, bus, log } = ctx;
  const outgoing = new Map<string, Outgoing>();
  const watchers = new Map<string, ServerSubscription>();
  /** the restore pass went through: a dialog the edge does not hold now is gone */
  let restored = false;

  endpoint.allowEvents(['presence']);

  // PUBLISH (RFC 3903) to an XMPP user: the core answers (its compositor, where an agreement grants
  // publish; a refusal with the policy's reason otherwise).
  endpoint.onRequest('PUBLISH', async (req) => {
    try {
      const r = (await bus.request(SUBJECTS.sipPublish, publishRequestOf(req), { timeoutMs: 8000 })) as SipPublishReply;
      return { status: r.status, reason: r.reason, headers: r.headers };
    } catch (err) {
      log.warn({ err }, 'core did not answer a PUBLISH');
      return { status: 503, reason: 'Gateway not ready', headers: [['Retry-After', '5']] };
    }
  });

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
      if (cmd.op === 'subscribe') {
        const r = await subscribe(cmd);
        const out = resultOf(r);
        const entry = outgoing.get(cmd.key);
        const states = r.status >= 200 && r.status < 300 && entry ? entry.sub.dialogStates() : [];
        if (states.length > 0) out.dialog = JSON.stringify(states);
        return out;
      }
      if (cmd.op === 'end-stale') return endStale(cmd.dialog);
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
      if (!sub && !restored && cmd.dialog !== undefined && cmd.expiresAt !== undefined && cmd.expiresAt > Date.now()) {
        // A NOTIFY for a dialog served before the restart that the restore pass has not reached.
        const again = restore(cmd.key, cmd.dialog, cmd.expiresAt);
        if (again) {
          sendNotify(again, cmd.notify);
          return;
        }
      }
      const ev: WatcherEndedEvent = { key: cmd.key, why: 'unknown' };
      bus.publish(SUBJECTS.watcherEnded, ev);
    }),
  ];

  /** A watcher dialog ended: it is forgotten here and the core is told (one handler for all dialogs). */
  const ended = (why: EndReason, sub: ServerSubscription): void => {
    const key = sub.label;
    if (key === undefined) return;
    if (watchers.get(key) === sub) watchers.delete(key);
    const ev: WatcherEndedEvent = { key, why };
    bus.publish(SUBJECTS.watcherEnded, ev);
  };

  /**
   * Serves a watcher dialog from now on: NOTIFY commands find it under `key` (kept flat, and as the
   * subscription's label rather than in a closure per dialog); its end is told to the core.
   */
  const track = (key: string, sub: ServerSubscription): void => {
    if (watchers.get(key) === sub) return;
    const flatKey = flat(key);
    watchers.set(flatKey, sub);
    sub.label = flatKey;
    sub.onEnded(ended);
  };

  // A dialog opened before a restart goes back into the dialog layer, so its refreshes are answered
  // (200 and a NOTIFY of the current state) and its expiry sends NOTIFY terminated;reason=timeout.
  // CSeq restarts above anything the old process used (cseqAfterRestart).
  const restore = (key: string, json: string, expiresAt: number): ServerSubscription | undefined => {
    const held = watchers.get(key);
    if (held && !held.ended) return held;
    const snapshot = snapshotOfStored(json);
    if (snapshot === undefined) {
      log.warn({ key }, 'stored watcher dialog unreadable; not restored');
      return undefined;
    }
    snapshot.localSeq = cseqAfterRestart(snapshot.localSeq);
    try {
      const sub = endpoint.restoreSubscription(snapshot, expiresAt - Date.now());
      track(key, sub);
      return sub;
    } catch (err) {
      log.warn({ err, key }, 'watcher dialog not restored');
      return undefined;
    }
  };

  // After a restart the dialogs of the process before linger at the presence server until they
  // expire: each gets a SUBSCRIBE Expires: 0, once, best effort (ours; RFC 6665 §4.1.2.3).
  const endStale = async (json: string): Promise<SubscribeResult> => {
    const results = await Promise.all(dialogStatesOfStored(json).map(async (d) => {
      try {
        return await endpoint.sendRequest(staleUnsubscribe({ ...d, localSeq: cseqAfterRestart(d.localSeq) }, 'presence', [PIDF_TYPE]));
      } catch (err) {
        log.debug({ err, callId: d.callId }, 'stale SUBSCRIBE dialog not ended');
        return { status: 503, reason: 'Service Unavailable', headers: [] };
      }
    }));
    const r = results.find((x) => x.status >= 200 && x.status < 300) ?? results[0];
    return r === undefined ? { status: 481, reason: 'No dialog stored' } : resultOf(r);
  };

  const notifyFailed = (err: unknown): void => { log.warn({ err }, 'presence NOTIFY failed'); };
  const sendNotify = (sub: ServerSubscription, n: WatcherNotify): void => {
    const spec: NotifySpec = { state: n.state };
    if (n.reason !== undefined) spec.reason = n.reason;
    const body = pidfBody(n);
    if (body !== undefined) {
      spec.body = body;
      spec.contentType = PIDF_TYPE;
    }
    sub.notify(spec).catch(notifyFailed);
  };

  // ---- watchers ----
  endpoint.onSubscribe(async (s: IncomingSubscribe): Promise<SubscribeDecision> => {
    const existing = s.subscription;
    const key = watcherKey(s.request);
    const ask: WatcherSubscribeRequest = {
      key, existing: existing !== undefined, watcher: s.request.from.uri, target: s.request.to.uri, requestUri: s.request.requestUri,
      event: s.event, expires: s.expires, accept: s.accept,
    };
    // Stored by the core with the dialog, refreshed with every SUBSCRIBE (remote target, CSeq).
    ask.dialog = JSON.stringify(s.snapshot);
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
      track(key, sub);
      if (d.notify !== undefined) sendNotify(sub, d.notify);
    };
    return decision;
  });

  return {
    unsubscribe() {
      for (const s of subs) s.unsubscribe();
    },
    async restore() {
      const reply = (await bus.request(SUBJECTS.watcherDialogs, {}, { timeoutMs: 30_000 })) as WatcherDialogsReply;
      let n = 0;
      for (const d of reply.dialogs) if (restore(d.key, d.dialog, d.expiresAt)) n++;
      restored = true;
      return n;
    },
  };
}
