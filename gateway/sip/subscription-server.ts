// The notifier side of SIP events (RFC 6665 §4.2) on RFC 3261 §12 dialogs: a SIP watcher
// subscribes to an XMPP user through the gateway. This layer answers what every caller would
// answer the same way (489 for an event package not allowed, 423 below Min-Expires, 481 for an
// unknown dialog, 400 for a SUBSCRIBE without Contact), keeps the dialog, builds the NOTIFYs and
// ends the subscription when it expires unrefreshed. Accepting, refusing and the NOTIFY bodies are
// the caller's.
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { FinalResponse, IncomingRequest, OutgoingRequestSpec, ReplySpec } from './api-types.ts';
import { acceptsRemoteSeq, addressUri, dialogId, inDialogRouting, routeSet } from './dialog.ts';
import type { DialogState } from './dialog.ts';
import { acceptList, formatEvent, parseEvent, parseExpires, sameEvent } from './event-headers.ts';
import type { EventHeader } from './event-headers.ts';
import { HeaderValueError } from './header-value-error.ts';
import { flat, intern } from './compact-string.ts';
import { DeadlineWheel } from './deadline-wheel.ts';
import type { TimerValues } from './timers.ts';

export interface IncomingSubscribe {
  request: IncomingRequest;
  /** Event header value as received (event type and id) */
  event: string;
  /** requested duration in seconds (default 3600) */
  expires: number;
  accept: string[];
  /** set when this is an in-dialog refresh or Expires: 0 */
  subscription?: ServerSubscription;
  /** the dialog as it stands once this SUBSCRIBE is accepted (for a new one: as it will be
   * created), for the caller to store so the subscription can be restored after a restart */
  snapshot: SubscriptionSnapshot;
}

/**
 * A notifier dialog as plain, JSON-safe data: what it takes to keep serving the subscription in
 * another process (Notifier.restore). The dialog state of RFC 3261 §12 plus the event.
 */
export interface SubscriptionSnapshot {
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string;
  remoteUri: string;
  remoteTarget: string;
  routeSet: string[];
  /** CSeq of the last request we sent in the dialog (a NOTIFY) */
  localSeq: number;
  /** CSeq of the last request the watcher sent; absent: unknown, any is accepted */
  remoteSeq?: number;
  /** Event header value (type and id) */
  event: string;
  /** the Request-URI of the SUBSCRIBE that created it */
  requestUri: string;
}

export interface SubscribeDecision {
  /** 200 to accept (RFC 6665 deprecates 202), 4xx/6xx to refuse */
  status: number;
  reason?: string;
  /** granted duration, seconds (≤ requested; default the requested one) */
  expires?: number;
  /** e.g. Min-Expires with 423, Allow-Events with 489 */
  headers?: Array<[string, string]>;
  /**
   * Called with the subscription right after a 2xx went out (new subscription, refresh, or
   * Expires: 0). The caller MUST then send a NOTIFY: "Upon successfully accepting or refreshing a
   * subscription, notifiers MUST send a NOTIFY request immediately to communicate the current
   * resource state to the subscriber." (RFC 6665 §4.2.1.2) After Expires: 0 that NOTIFY is the
   * final one, `terminated`, and the dialog ends with it.
   */
  onAccepted?: (s: ServerSubscription) => void;
}

export interface NotifySpec {
  state: 'active' | 'pending' | 'terminated';
  reason?: string;
  retryAfter?: number;
  contentType?: string;
  body?: Buffer;
}

export type EndReason = 'expired' | 'terminated' | 'notify-failed';

type EndedCb = (why: EndReason, sub: ServerSubscription) => void;

export interface ServerSubscription {
  readonly id: string;
  /** Event header value (type and id) */
  readonly event: string;
  /** the watcher: From URI */
  readonly watcher: string;
  /** the resource: To URI of the SUBSCRIBE */
  readonly target: string;
  /** the Request-URI of the SUBSCRIBE that created it */
  readonly requestUri: string;
  readonly expiresAt: number;
  readonly ended: boolean;
  /** in-dialog NOTIFY with Subscription-State (expires= remaining seconds), Event, Contact; a 481 or
   * a timeout ends the subscription; NOTIFY terminated ends it too */
  notify(n: NotifySpec): Promise<FinalResponse>;
  /** expired unrefreshed: the final NOTIFY terminated;reason=timeout is sent, then cb is called */
  onExpired(cb: () => void): void;
  /** any end: expiry, a NOTIFY terminated, or a NOTIFY answered 481/408; `sub` is this subscription
   * (one callback may serve many) */
  onEnded(cb: (why: EndReason, sub: ServerSubscription) => void): void;
  /** free for the caller: e.g. the key it keeps the subscription under (no closure per dialog) */
  label: string | undefined;
  /** the dialog as data, for Notifier.restore in another process */
  snapshot(): SubscriptionSnapshot;
}

export type SubscribeHandler = (s: IncomingSubscribe) => Promise<SubscribeDecision> | SubscribeDecision;

/** What the notifier needs from the endpoint (the consumer defines the interface). */
export interface NotifierContext {
  clock: Clock;
  timers: TimerValues;
  log: Logger;
  send(spec: OutgoingRequestSpec): Promise<FinalResponse>;
  /** event types accepted in SUBSCRIBE (lower case) */
  allowEvents(): readonly string[];
  /** smallest Expires accepted (423 below it); undefined: any */
  minExpires: number | undefined;
}

const DEFAULT_EXPIRES = 3600;
const GONE: FinalResponse = { status: 481, reason: 'Call/Transaction Does Not Exist', headers: [], local: true };

/** What every subscription of one notifier shares (one object, not a closure per dialog). */
interface Shared {
  ctx: NotifierContext;
  /** every subscription's expiry, on one timer (at most a second late) */
  wheel: DeadlineWheel;
  forget(sub: Subscription): void;
}

export class Notifier {
  readonly #ctx: NotifierContext;
  readonly #dialogs = new Map<string, Subscription>();
  readonly #shared: Shared;
  /** Event headers without an id, one object per event type for all dialogs */
  readonly #events = new Map<string, EventHeader>();
  #handler: SubscribeHandler | undefined;

  constructor(ctx: NotifierContext) {
    this.#ctx = ctx;
    this.#shared = {
      ctx, wheel: new DeadlineWheel(ctx.clock),
      forget: (sub) => { if (this.#dialogs.get(sub.id) === sub) this.#dialogs.delete(sub.id); },
    };
  }

  get size(): number { return this.#dialogs.size; }

  onSubscribe(handler: SubscribeHandler): void {
    this.#handler = handler;
  }

  async handleSubscribe(req: IncomingRequest): Promise<ReplySpec> {
    const eventText = req.header('event');
    const event = eventText === undefined ? undefined : parseEvent(eventText);
    if (event === undefined || event instanceof HeaderValueError) return { status: 400, reason: 'Bad Request (Event)' };
    const allowed = this.#ctx.allowEvents();
    if (!allowed.includes(event.type)) {
      // "489 (Bad Event) ... The server received a request that contained an Event header field
      // with an event type that is not supported by the server. The server MUST respond with an
      // "Allow-Events" header field listing the supported event types" (RFC 6665 §4.2.1.1, §8.3.2)
      return { status: 489, reason: 'Bad Event', headers: [['Allow-Events', allowed.join(', ')]] };
    }
    const expires = parseExpires(req.header('expires'), DEFAULT_EXPIRES);
    if (expires instanceof HeaderValueError) return { status: 400, reason: 'Bad Request (Expires)' };
    const min = this.#ctx.minExpires;
    if (min !== undefined && expires !== 0 && expires < min) {
      // "If the notifier... determines that the duration is too short, it MAY return a 423
      // (Interval Too Brief)" and "must include a Min-Expires header field" (RFC 6665 §4.2.1.1,
      // RFC 3261 §21.4.17)
      return { status: 423, reason: 'Interval Too Brief', headers: [['Min-Expires', String(min)]] };
    }
    const handler = this.#handler;
    if (!handler) return { status: 405 };
    const accept = acceptList(req.headers('accept'));
    if (req.to.tag !== undefined) {
      const sub = this.#dialogs.get(dialogId(req.callId, req.to.tag, req.from.tag ?? ''));
      // "If the request has a tag in the To header field, but the dialog identifier does not match
      // any existing dialogs, ... the UAS MUST respond to the request with a 481" (RFC 3261 §12.2.2)
      if (!sub || sub.ended || !sameEvent(sub.eventHeader, event)) return { status: 481 };
      if (!acceptsRemoteSeq(sub.state, req.cseq)) return { status: 500, reason: 'Server Internal Error (CSeq out of order)' };
      sub.state.remoteSeq = req.cseq;
      // SUBSCRIBE is a target refresh request: once accepted, its Contact replaces the remote
      // target (RFC 3261 §12.2.2, RFC 6665 §4.1.2.2).
      const contact = addressUri(req.header('contact'));
      const snapshot = sub.snapshot();
      if (contact !== undefined) snapshot.remoteTarget = contact;
      const decision = await handler({ request: req, event: formatEvent(event), expires, accept, subscription: sub, snapshot });
      const granted = Math.min(decision.expires ?? expires, expires);
      if (decision.status >= 200 && decision.status < 300) {
        if (contact !== undefined) sub.state.remoteTarget = intern(contact);
        sub.refreshed(granted);
      }
      return this.#reply(req, decision, granted, sub);
    }
    const contact = addressUri(req.header('contact'));
    // "The Contact header field MUST be present and contain exactly one SIP or SIPS URI in any
    // request that can result in the establishment of a dialog." (RFC 3261 §8.1.1.8)
    if (contact === undefined || req.from.tag === undefined) return { status: 400, reason: 'Bad Request (Contact or From tag)' };
    const state: DialogState = {
      callId: req.callId, localTag: req.localTag ?? '', remoteTag: req.from.tag, localUri: req.to.uri, remoteUri: req.from.uri,
      localSeq: 0, remoteSeq: req.cseq, remoteTarget: contact,
      // "The route set MUST be set to the list of URIs in the Record-Route header field from the
      // request, taken in order and preserving all URI parameters." (RFC 3261 §12.1.1)
      routeSet: routeSet(req.headers('record-route'), 'uas'),
    };
    const snapshot = snapshotOf(state, formatEvent(event), req.requestUri);
    const decision = await handler({ request: req, event: snapshot.event, expires, accept, snapshot });
    const granted = Math.min(decision.expires ?? expires, expires);
    if (decision.status < 200 || decision.status >= 300) return this.#reply(req, decision, granted, undefined);
    const sub = this.#add(state, event, req.requestUri);
    sub.refreshed(granted);
    return this.#reply(req, decision, granted, sub);
  }

  /**
   * A subscription served before a restart, from its `snapshot()`: registered so that in-dialog
   * requests find it (a refresh is answered 200 and the caller NOTIFYs the current state; Expires:
   * 0 ends it), expiring in `expiresInMs` (at once when ≤ 0) with NOTIFY
   * terminated;reason=timeout like any other (RFC 6665 §4.2.2). The caller picks the local CSeq:
   * it must exceed every CSeq the old process sent (RFC 3261 §12.2.1.1). A dialog already held is
   * returned as it is.
   */
  restore(snapshot: SubscriptionSnapshot, expiresInMs: number): ServerSubscription {
    const event = parseEvent(snapshot.event);
    if (event instanceof HeaderValueError) throw new TypeError(`restoreSubscription: ${event.detail}`);
    const held = this.#dialogs.get(dialogId(snapshot.callId, snapshot.localTag, snapshot.remoteTag));
    if (held && !held.ended) return held;
    const sub = this.#add({
      callId: snapshot.callId, localTag: snapshot.localTag, remoteTag: snapshot.remoteTag, localUri: snapshot.localUri,
      remoteUri: snapshot.remoteUri, localSeq: snapshot.localSeq, remoteSeq: snapshot.remoteSeq, remoteTarget: snapshot.remoteTarget,
      routeSet: [...snapshot.routeSet],
    }, event, snapshot.requestUri);
    sub.expireIn(expiresInMs);
    return sub;
  }

  #add(state: DialogState, event: EventHeader, requestUri: string): Subscription {
    compact(state);
    const id = flat(dialogId(state.callId, state.localTag, state.remoteTag));
    let shared = event;
    if (event.id === undefined) {
      shared = this.#events.get(event.type) ?? event;
      this.#events.set(event.type, shared);
    }
    const sub = new Subscription(this.#shared, id, state, shared, intern(requestUri));
    this.#dialogs.set(id, sub);
    return sub;
  }

  #reply(req: IncomingRequest, d: SubscribeDecision, granted: number, sub: Subscription | undefined): ReplySpec {
    const headers: Array<[string, string]> = [];
    if (d.status >= 200 && d.status < 300 && sub) {
      // "The 200-class response ... MUST contain an "Expires" header field" (RFC 6665 §4.2.1.1)
      headers.push(['Expires', String(granted)]);
      if (req.localContact !== undefined) headers.push(['Contact', req.localContact]);
      if (req.to.tag === undefined) {
        // "When a UAS responds to a request with a response that establishes a dialog ..., the UAS
        // MUST copy all Record-Route header field values from the request into the response"
        // (RFC 3261 §12.1.1)
        for (const rr of req.headers('record-route')) headers.push(['Record-Route', rr]);
      }
    }
    headers.push(...(d.headers ?? []));
    const accepted = d.onAccepted;
    return {
      status: d.status, headers, ...(d.reason !== undefined && { reason: d.reason }),
      ...(sub && accepted && { afterSend: () => { accepted(sub); } }),
    };
  }

  /** The endpoint stops: subscriptions are dropped without signalling. */
  clear(): void {
    for (const s of this.#dialogs.values()) s.drop();
    this.#dialogs.clear();
    this.#shared.wheel.clear();
  }
}

/** The empty route set of every dialog without one (never mutated: the state's route set is replaced, not changed). */
const NO_ROUTES: string[] = [];

/**
 * A new dialog's state in its cheapest form, for the life of the subscription (a gateway keeps one
 * per roster contact): the URIs shared with every other dialog of the same watcher, Contact or
 * watched user, the Call-ID and tags flat instead of slices of the parsed SUBSCRIBE's header
 * values, one shared empty route set.
 */
function compact(s: DialogState): void {
  s.callId = flat(s.callId);
  s.localTag = flat(s.localTag);
  s.remoteTag = flat(s.remoteTag);
  s.localUri = intern(s.localUri);
  s.remoteUri = intern(s.remoteUri);
  s.remoteTarget = intern(s.remoteTarget);
  if (s.routeSet.length === 0) s.routeSet = NO_ROUTES;
}

function snapshotOf(s: DialogState, event: string, requestUri: string): SubscriptionSnapshot {
  return {
    callId: s.callId, localTag: s.localTag, remoteTag: s.remoteTag, localUri: s.localUri, remoteUri: s.remoteUri,
    remoteTarget: s.remoteTarget, routeSet: [...s.routeSet], localSeq: s.localSeq,
    ...(s.remoteSeq !== undefined && { remoteSeq: s.remoteSeq }), event, requestUri,
  };
}

/**
 * One watcher dialog. Kept small, as a gateway holds one per roster contact: shared parts come from
 * `Shared`, the callbacks are held as one function until a second is added, and the expiry is a
 * slot in the notifier's DeadlineWheel rather than a timer.
 */
class Subscription implements ServerSubscription {
  readonly id: string;
  readonly eventHeader: EventHeader;
  readonly state: DialogState;
  readonly #shared: Shared;
  /** the Request-URI of the creating SUBSCRIBE, when it differs from the To URI */
  readonly #requestUri: string | undefined;
  #expired: (() => void) | Array<() => void> | undefined;
  #endedCbs: EndedCb | EndedCb[] | undefined;
  label: string | undefined;
  /** clock ms, whole (a small integer, not a heap number per dialog) */
  #expiresAt = 0;
  #ended = false;
  /** the subscription duration (RFC 6665 §4.2.1.1: the "Expires" granted): its ticket in the wheel */
  #expiry: number | undefined;

  constructor(shared: Shared, id: string, state: DialogState, event: EventHeader, requestUri: string) {
    this.#shared = shared;
    this.id = id;
    this.state = state;
    this.eventHeader = event;
    this.#requestUri = requestUri === state.localUri ? undefined : requestUri;
  }

  get event(): string { return formatEvent(this.eventHeader); }
  get watcher(): string { return this.state.remoteUri; }
  get target(): string { return this.state.localUri; }
  get requestUri(): string { return this.#requestUri ?? this.state.localUri; }
  get expiresAt(): number { return this.#expiresAt; }
  get ended(): boolean { return this.#ended; }

  refreshed(seconds: number): void {
    // Expires: 0 (unsubscribe or fetch): the caller sends the final NOTIFY; should it not, the
    // subscription still ends 64*T1 later (ours).
    this.expireIn(seconds === 0 ? 64 * this.#shared.ctx.timers.T1 : seconds * 1000, seconds * 1000);
  }

  /** Ends the subscription (NOTIFY terminated;reason=timeout) in `ms`; `expires=` counts down to `announcedMs`. */
  expireIn(ms: number, announcedMs = ms): void {
    const now = this.#shared.ctx.clock.now();
    this.#expiresAt = Math.floor(now + Math.max(0, announcedMs));
    this.#cancelExpiry();
    this.#expiry = this.#shared.wheel.add(this, now + Math.max(0, ms));
  }

  snapshot(): SubscriptionSnapshot {
    return snapshotOf(this.state, this.event, this.requestUri);
  }

  #cancelExpiry(): void {
    if (this.#expiry !== undefined) this.#shared.wheel.cancel(this, this.#expiry);
    this.#expiry = undefined;
  }

  onExpired(cb: () => void): void { this.#expired = more(this.#expired, cb); }
  onEnded(cb: EndedCb): void { this.#endedCbs = more(this.#endedCbs, cb); }

  /** Called by the wheel. */
  expire(): void {
    this.#expiry = undefined;
    if (this.#ended) return;
    // "If the notifier ... the subscription expires, the notifier sends a NOTIFY request with a
    // "Subscription-State" of "terminated" and a reason of "timeout"" (RFC 6665 §4.2.2, §6.2).
    void this.#notify({ state: 'terminated', reason: 'timeout' }, 'expired');
    each(this.#expired, (cb) => { cb(); });
  }

  notify(n: NotifySpec): Promise<FinalResponse> {
    return this.#notify(n, 'terminated');
  }

  #notify(n: NotifySpec, endReason: EndReason): Promise<FinalResponse> {
    if (this.#ended) return Promise.resolve(GONE);
    let sending: Promise<FinalResponse>;
    try {
      sending = this.#shared.ctx.send(this.#request(n));
    } catch (err) {
      sending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // A NOTIFY terminated ends the subscription (and the dialog) at once: a refresh that crosses it
    // gets a 481.
    if (n.state === 'terminated') this.#end(endReason);
    return this.#outcome(sending);
  }

  /** The NOTIFY request (the next local CSeq); built apart so that nothing of it waits with the response. */
  #request(n: NotifySpec): OutgoingRequestSpec {
    const s = this.state;
    // Subscription-State as formatSubscriptionState() writes it (state, reason, expires,
    // retry-after), without an object per NOTIFY.
    let state: string = n.state;
    if (n.reason !== undefined) state += `;reason=${n.reason}`;
    if (n.state !== 'terminated') {
      // "If the "Subscription-State" value is "active" or "pending", the notifier ... SHOULD include
      // an "expires" parameter ... the time remaining in the subscription" (RFC 6665 §4.2.2)
      state += `;expires=${Math.max(0, Math.ceil((this.#expiresAt - this.#shared.ctx.clock.now()) / 1000))}`;
    } else if (n.retryAfter !== undefined) {
      state += `;retry-after=${n.retryAfter}`;
    }
    const headers: Array<[string, string]> = [['Event', this.event], ['Subscription-State', state]];
    if (n.body !== undefined && n.body.length > 0 && n.contentType !== undefined) headers.push(['Content-Type', n.contentType]);
    s.localSeq++;
    const spec: OutgoingRequestSpec = {
      method: 'NOTIFY', requestUri: s.remoteTarget, nextHop: s.remoteTarget,
      from: { uri: s.localUri }, to: { uri: s.remoteUri }, callId: s.callId, fromTag: s.localTag, toTag: s.remoteTag,
      cseq: s.localSeq, contact: true, headers,
    };
    if (s.routeSet.length > 0) {
      // Without a route set the request goes to the remote target (RFC 3261 §12.2.1.1): no routing object.
      const routing = inDialogRouting(s);
      spec.requestUri = routing.requestUri;
      spec.nextHop = routing.nextHop;
      spec.route = routing.route;
    }
    if (n.body !== undefined) spec.body = n.body;
    return spec;
  }

  async #outcome(sending: Promise<FinalResponse>): Promise<FinalResponse> {
    let r: FinalResponse;
    try {
      r = await sending;
    } catch (err) {
      this.#shared.ctx.log.warn({ err }, 'sip: NOTIFY not sent');
      r = { status: 503, reason: 'Service Unavailable', headers: [], local: true };
    }
    if (r.status === 481 || r.status === 408) {
      // "If the NOTIFY request fails due to expiration of SIP Timer F (transaction timeout), the
      // notifier SHOULD remove the subscription." A 481 means the subscriber has no such
      // subscription any more; the notifier removes it too (RFC 6665 §4.2.2).
      this.#end('notify-failed');
    }
    return r;
  }

  #end(why: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#cancelExpiry();
    this.#shared.forget(this);
    each(this.#endedCbs, (cb) => { cb(why, this); });
  }

  drop(): void {
    this.#ended = true;
    this.#cancelExpiry();
  }
}

function more<F>(held: F | F[] | undefined, cb: F): F | F[] {
  if (held === undefined) return cb;
  if (Array.isArray(held)) {
    held.push(cb);
    return held;
  }
  return [held, cb];
}

function each<F>(held: F | F[] | undefined, call: (f: F) => void): void {
  if (held === undefined) return;
  if (Array.isArray(held)) for (const f of held) call(f);
  else call(held);
}
