// The subscriber side of SIP events (RFC 6665 §4.1) on RFC 3261 §12 dialogs: the gateway
// subscribes to a SIP presentity on behalf of an XMPP user. One SUBSCRIBE may create several
// dialogs (forking, §4.1.2.4), each created by the 2xx or by a NOTIFY, whichever comes first.
// When to refresh (and the 423 retry) is the caller's decision; this layer makes the in-dialog
// requests right: CSeq, tags, route set, remote target.
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { FinalResponse, IncomingRequest, OutgoingRequestSpec, ReplySpec } from './api-types.ts';
import { acceptsRemoteSeq, addressUri, dialogId, fieldValues, inDialogRouting, routeSet } from './dialog.ts';
import type { DialogState } from './dialog.ts';
import { formatEvent, parseEvent, parseExpires, parseSubscriptionState, sameEvent } from './event-headers.ts';
import type { EventHeader, SubscriptionState } from './event-headers.ts';
import { HeaderValueError } from './header-value-error.ts';
import { parseNameAddr } from './name-addr.ts';
import type { TimerValues } from './timers.ts';

export interface SubscribeSpec {
  requestUri: string;
  from: { uri: string; displayName?: string };
  to: { uri: string };
  /** Event header value, e.g. "presence" */
  event: string;
  accept: string[];
  /** requested duration, seconds */
  expires: number;
  headers?: Array<[string, string]>;
}

export interface IncomingNotify {
  subscriptionState: SubscriptionState;
  event: string;
  contentType?: string;
  body: Buffer;
  /** the dialog this NOTIFY belongs to (one per fork) */
  dialogId: string;
  request: IncomingRequest;
}

export interface TerminatedInfo {
  /** Subscription-State reason of the NOTIFY that ended the last dialog */
  reason?: string;
  retryAfter?: number;
  /** final status that ended it: the initial SUBSCRIBE's non-2xx, or 481/408 to an in-dialog one,
   * or 408 when no NOTIFY came within Timer N */
  status?: number;
}

export interface SubscriptionHandlers {
  onNotify(n: IncomingNotify): ReplySpec | void | Promise<ReplySpec | void>;
  /** called once, when the last dialog is gone (or the SUBSCRIBE failed) */
  onTerminated?(info: TerminatedInfo): void;
}

export interface ClientSubscription {
  /** stable id of this subscription (its Call-ID) */
  readonly id: string;
  /** final response to the initial SUBSCRIBE; a 423 carries minExpires */
  readonly established: Promise<FinalResponse>;
  /** clock ms when the subscription expires (2xx Expires or NOTIFY expires=, the smaller) */
  readonly expiresAt: number | undefined;
  /** in-dialog SUBSCRIBE on every dialog; resolves with a 2xx if any dialog answered one, else the
   * first answer (a local 481 when there is no dialog) */
  refresh(expires?: number): Promise<FinalResponse>;
  /** in-dialog SUBSCRIBE Expires: 0 on every dialog; dialogs end with their NOTIFY terminated */
  unsubscribe(): Promise<FinalResponse>;
  /** forked dialogs alive */
  readonly dialogs: number;
  /** a copy of each live dialog's state, e.g. to end it from another process (staleUnsubscribe) */
  dialogStates(): DialogState[];
  /** true once onTerminated was called */
  readonly ended: boolean;
}

/** What the subscriber needs from the endpoint (the consumer defines the interface). */
export interface SubscriberContext {
  clock: Clock;
  timers: TimerValues;
  log: Logger;
  send(spec: OutgoingRequestSpec): Promise<FinalResponse>;
  newTag(): string;
  newCallId(): string;
}

const NO_DIALOG: FinalResponse = { status: 481, reason: 'Call/Transaction Does Not Exist', headers: [], local: true };

/**
 * The in-dialog SUBSCRIBE Expires: 0 that ends a subscription dialog this process no longer holds
 * (its state stored by an earlier one, from `dialogStates()`): "A subscriber may unsubscribe ... by
 * sending a SUBSCRIBE request with an "Expires" value of 0" (RFC 6665 §4.1.2.3). Routing per RFC
 * 3261 §12.2.1.1; CSeq `state.localSeq + 1`, so the caller sets localSeq above anything the old
 * process sent. The notifier's final NOTIFY finds no subscription here and is answered 481, which
 * ends its side as well (RFC 6665 §4.2.2).
 */
export function staleUnsubscribe(state: DialogState, event: string, accept: readonly string[]): OutgoingRequestSpec {
  const routing = inDialogRouting(state);
  return {
    method: 'SUBSCRIBE', requestUri: routing.requestUri, nextHop: routing.nextHop, route: routing.route,
    from: { uri: state.localUri }, to: { uri: state.remoteUri }, callId: state.callId, fromTag: state.localTag, toTag: state.remoteTag,
    cseq: state.localSeq + 1, contact: true,
    headers: [['Event', event], ['Accept', accept.join(', ')], ['Expires', '0']],
  };
}

/** All client subscriptions of one endpoint, found by Call-ID and our (From) tag. */
export class Subscriber {
  readonly #ctx: SubscriberContext;
  readonly #subs = new Map<string, Subscription>();

  constructor(ctx: SubscriberContext) {
    this.#ctx = ctx;
  }

  get size(): number { return this.#subs.size; }

  subscribe(spec: SubscribeSpec, handlers: SubscriptionHandlers): ClientSubscription {
    const event = parseEvent(spec.event);
    if (event instanceof HeaderValueError) throw new TypeError(`subscribe: ${event.detail}`);
    const callId = this.#ctx.newCallId();
    const tag = this.#ctx.newTag();
    const key = `${callId};${tag}`;
    const sub = new Subscription(this.#ctx, spec, event, handlers, callId, tag, () => { this.#subs.delete(key); });
    this.#subs.set(key, sub);
    sub.start();
    return sub;
  }

  async handleNotify(req: IncomingRequest): Promise<ReplySpec> {
    // NOTIFY: our tag is in To, the notifier's in From.
    const sub = req.to.tag === undefined ? undefined : this.#subs.get(`${req.callId};${req.to.tag}`);
    // "If the UAS wishes to reject the request because it does not wish to recreate the dialog, it
    // MUST respond to the request with a 481 (Call/Transaction Does Not Exist) status code"
    // (RFC 3261 §12.2.2); RFC 6665 §4.1.3: a NOTIFY matching no subscription gets a 481.
    if (!sub) return { status: 481 };
    return sub.receiveNotify(req);
  }

  /** The endpoint stops: subscriptions are dropped without signalling. */
  clear(): void {
    for (const s of this.#subs.values()) s.drop();
    this.#subs.clear();
  }
}

interface ClientDialog {
  state: DialogState;
  /** a NOTIFY arrived on this dialog */
  notified: boolean;
}

class Subscription implements ClientSubscription {
  readonly id: string;
  readonly established: Promise<FinalResponse>;
  readonly #ctx: SubscriberContext;
  readonly #spec: SubscribeSpec;
  readonly #event: EventHeader;
  readonly #handlers: SubscriptionHandlers;
  readonly #callId: string;
  readonly #tag: string;
  readonly #forget: () => void;
  readonly #dialogs = new Map<string, ClientDialog>();
  #resolveEstablished!: (r: FinalResponse) => void;
  /** the initial SUBSCRIBE has no final response yet */
  #pending = true;
  #unsubscribing = false;
  #ended = false;
  #expiresAt: number | undefined;
  /** when the last SUBSCRIBE went out, and the expiry the last NOTIFY announced (and when) */
  #sentAt = 0;
  #notified: { at: number; receivedAt: number } | undefined;
  #timerN: TimerHandle | undefined;
  #lastInfo: TerminatedInfo = {};

  constructor(ctx: SubscriberContext, spec: SubscribeSpec, event: EventHeader, handlers: SubscriptionHandlers, callId: string, tag: string, forget: () => void) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.#event = event;
    this.#handlers = handlers;
    this.#callId = callId;
    this.#tag = tag;
    this.#forget = forget;
    this.id = callId;
    this.established = new Promise((resolve) => { this.#resolveEstablished = resolve; });
  }

  get expiresAt(): number | undefined { return this.#expiresAt; }
  get dialogs(): number { return this.#dialogs.size; }
  get ended(): boolean { return this.#ended; }

  dialogStates(): DialogState[] {
    return [...this.#dialogs.values()].map((d) => ({ ...d.state, routeSet: [...d.state.routeSet] }));
  }

  start(): void {
    // Timer N (RFC 6665 §4.1.2.4): the subscriber waits 64*T1 for a NOTIFY after the SUBSCRIBE.
    this.#armTimerN();
    this.#sentAt = this.#ctx.clock.now();
    this.#ctx.send({
      method: 'SUBSCRIBE', requestUri: this.#spec.requestUri, from: this.#spec.from, to: this.#spec.to,
      callId: this.#callId, fromTag: this.#tag, cseq: 1, contact: true,
      headers: [...this.#eventHeaders(this.#spec.expires), ...(this.#spec.headers ?? [])],
    }).then((r) => { this.#initialResponse(r); }, (err: unknown) => {
      this.#ctx.log.warn({ err }, 'sip: SUBSCRIBE not sent');
      this.#initialResponse({ status: 503, reason: 'Service Unavailable', headers: [], local: true });
    });
  }

  #eventHeaders(expires: number): Array<[string, string]> {
    return [['Event', formatEvent(this.#event)], ['Accept', this.#spec.accept.join(', ')], ['Expires', String(expires)]];
  }

  #armTimerN(): void {
    this.#timerN?.cancel();
    this.#timerN = this.#ctx.clock.setTimer(64 * this.#ctx.timers.T1, () => { this.#fireN(); });
  }

  #cancelN(): void {
    this.#timerN?.cancel();
    this.#timerN = undefined;
  }

  #fireN(): void {
    this.#timerN = undefined;
    // No NOTIFY in 64*T1: the dialogs without one are given up (after an unsubscribe, all of them).
    for (const [id, d] of this.#dialogs) if (!d.notified || this.#unsubscribing) this.#dialogs.delete(id);
    if (this.#dialogs.size === 0) this.#lastInfo = { status: 408 };
    this.#maybeEnd();
  }

  #initialResponse(r: FinalResponse): void {
    this.#pending = false;
    if (r.status >= 200 && r.status < 300) {
      this.#granted(r);
      const to = fieldValues(r.headers, 'to')[0];
      const na = to === undefined ? undefined : parseNameAddr(to);
      const remoteTag = na === undefined || na instanceof HeaderValueError ? undefined : na.tag;
      if (remoteTag !== undefined && !this.#dialogs.has(remoteTag)) {
        // "the UAC MUST set the route set to the list of URIs in the Record-Route header field from
        // the response, taken in reverse order" and "The remote target MUST be set to the URI from
        // the Contact header field of the response." (RFC 3261 §12.1.2)
        this.#addDialog(remoteTag, {
          remoteTarget: addressUri(fieldValues(r.headers, 'contact')[0]) ?? this.#spec.requestUri,
          routeSet: routeSet(fieldValues(r.headers, 'record-route'), 'uac'),
          remoteSeq: undefined,
        }, false);
        if (this.#timerN === undefined) this.#armTimerN();
      }
    } else {
      if (r.status === 423) {
        const min = parseExpires(fieldValues(r.headers, 'min-expires')[0], NaN);
        if (typeof min === 'number' && !Number.isNaN(min)) r = { ...r, minExpires: min };
      }
      this.#lastInfo = { status: r.status };
      if (this.#dialogs.size === 0) this.#cancelN();
    }
    this.#resolveEstablished(r);
    this.#maybeEnd();
  }

  #granted(r: FinalResponse): void {
    const e = parseExpires(fieldValues(r.headers, 'expires')[0], NaN);
    if (typeof e !== 'number' || Number.isNaN(e)) return;
    // The smaller of the 2xx's Expires and what a NOTIFY sent since the SUBSCRIBE announced.
    const at = this.#ctx.clock.now() + e * 1000;
    const n = this.#notified;
    this.#expiresAt = n !== undefined && n.receivedAt >= this.#sentAt ? Math.min(at, n.at) : at;
  }

  #addDialog(remoteTag: string, d: Pick<DialogState, 'remoteTarget' | 'routeSet' | 'remoteSeq'>, notified: boolean): ClientDialog {
    const dialog: ClientDialog = {
      state: {
        callId: this.#callId, localTag: this.#tag, remoteTag, localUri: this.#spec.from.uri, remoteUri: this.#spec.to.uri,
        localSeq: 1, ...d,
      },
      notified,
    };
    this.#dialogs.set(remoteTag, dialog);
    // An unsubscribe that raced the dialog's creation goes out on it too.
    if (this.#unsubscribing) void this.#inDialog(remoteTag, dialog, 0);
    return dialog;
  }

  async receiveNotify(req: IncomingRequest): Promise<ReplySpec> {
    const eventText = req.header('event');
    const event = eventText === undefined ? undefined : parseEvent(eventText);
    // A NOTIFY for another event package matches no subscription of this dialog (RFC 6665 §4.1.3).
    if (event === undefined || event instanceof HeaderValueError || !sameEvent(event, this.#event)) return { status: 481 };
    const stateText = req.header('subscription-state');
    const state = stateText === undefined ? undefined : parseSubscriptionState(stateText);
    if (state === undefined || state instanceof HeaderValueError) return { status: 400, reason: 'Bad Request (Subscription-State)' };
    const remoteTag = req.from.tag;
    if (remoteTag === undefined) return { status: 400, reason: 'Bad Request (no From tag)' };
    let dialog = this.#dialogs.get(remoteTag);
    const contact = addressUri(req.header('contact'));
    if (!dialog) {
      // "Due to the potential for out-of-order messages, packet loss, and forking, the subscriber
      // MUST be prepared to receive NOTIFY requests before the SUBSCRIBE transaction has
      // completed." A NOTIFY with a new From tag is another fork: "each dialog represents a
      // different destination to which the SUBSCRIBE request was forked." (RFC 6665 §4.1.2.4) The
      // subscriber is the UAS of that NOTIFY, so its route set is the Record-Route "taken in
      // order" (RFC 3261 §12.1.1).
      if (contact === undefined) return { status: 400, reason: 'Bad Request (Contact)' };
      if (state.state === 'terminated') return this.#deliver(req, state, event, dialogId(this.#callId, this.#tag, remoteTag));
      dialog = this.#addDialog(remoteTag, { remoteTarget: contact, routeSet: routeSet(req.headers('record-route'), 'uas'), remoteSeq: req.cseq }, true);
    } else {
      if (!acceptsRemoteSeq(dialog.state, req.cseq)) return { status: 500, reason: 'Server Internal Error (CSeq out of order)' };
      dialog.state.remoteSeq = req.cseq;
      // NOTIFY is a target refresh request (RFC 6665 §4.1.3): a Contact replaces the remote target.
      if (contact !== undefined) dialog.state.remoteTarget = contact;
      dialog.notified = true;
    }
    if (state.expires !== undefined && state.state !== 'terminated') {
      const now = this.#ctx.clock.now();
      const at = now + state.expires * 1000;
      this.#notified = { at, receivedAt: now };
      this.#expiresAt = this.#expiresAt === undefined ? at : Math.min(this.#expiresAt, at);
    }
    if (!this.#unsubscribing && [...this.#dialogs.values()].every((d) => d.notified)) this.#cancelN();
    const id = dialogId(this.#callId, this.#tag, remoteTag);
    if (state.state === 'terminated') {
      // "a NOTIFY request with a "Subscription-State" of "terminated" ... the subscription is
      // terminated" and the dialog with it (RFC 6665 §4.1.3, §4.4.1).
      this.#dialogs.delete(remoteTag);
    }
    return this.#deliver(req, state, event, id);
  }

  async #deliver(req: IncomingRequest, state: SubscriptionState, event: EventHeader, id: string): Promise<ReplySpec> {
    const n: IncomingNotify = {
      subscriptionState: state, event: formatEvent(event), body: req.body, dialogId: id, request: req,
      ...(req.contentType !== undefined && { contentType: req.contentType }),
    };
    try {
      return (await this.#handlers.onNotify(n)) ?? { status: 200 };
    } finally {
      if (state.state === 'terminated') {
        this.#lastInfo = {
          ...(state.reason !== undefined && { reason: state.reason }),
          ...(state.retryAfter !== undefined && { retryAfter: state.retryAfter }),
        };
        this.#maybeEnd();
      }
    }
  }

  refresh(expires = this.#spec.expires): Promise<FinalResponse> {
    return this.#everyDialog(expires);
  }

  unsubscribe(): Promise<FinalResponse> {
    if (this.#ended) return Promise.resolve(NO_DIALOG);
    this.#unsubscribing = true;
    // "A subscriber may unsubscribe ... by sending a SUBSCRIBE request with an "Expires" value of
    // 0" and the notifier answers with a final NOTIFY terminated (RFC 6665 §4.1.2.3); dialogs
    // that send none within 64*T1 are given up.
    this.#armTimerN();
    if (this.#pending && this.#dialogs.size === 0) {
      // Goes out on each dialog as it is created (#addDialog).
      return this.established;
    }
    return this.#everyDialog(0);
  }

  async #everyDialog(expires: number): Promise<FinalResponse> {
    const dialogs = [...this.#dialogs];
    if (dialogs.length === 0) return NO_DIALOG;
    const results = await Promise.all(dialogs.map(([tag, d]) => this.#inDialog(tag, d, expires)));
    return results.find((r) => r.status >= 200 && r.status < 300) ?? results[0] as FinalResponse;
  }

  async #inDialog(remoteTag: string, d: ClientDialog, expires: number): Promise<FinalResponse> {
    const s = d.state;
    const routing = inDialogRouting(s);
    // "Requests within a dialog MUST contain strictly monotonically increasing and contiguous CSeq
    // sequence numbers (increasing-by-one) in each direction" (RFC 3261 §12.2.1.1)
    s.localSeq++;
    this.#sentAt = this.#ctx.clock.now();
    let r: FinalResponse;
    try {
      r = await this.#ctx.send({
        method: 'SUBSCRIBE', requestUri: routing.requestUri, nextHop: routing.nextHop, route: routing.route,
        from: { uri: s.localUri, ...(this.#spec.from.displayName !== undefined && { displayName: this.#spec.from.displayName }) },
        to: { uri: s.remoteUri }, callId: s.callId, fromTag: s.localTag, toTag: s.remoteTag, cseq: s.localSeq, contact: true,
        headers: this.#eventHeaders(expires),
      });
    } catch (err) {
      this.#ctx.log.warn({ err }, 'sip: in-dialog SUBSCRIBE not sent');
      r = { status: 503, reason: 'Service Unavailable', headers: [], local: true };
    }
    if (r.status >= 200 && r.status < 300) {
      if (expires > 0) this.#granted(r);
      // A 2xx to a target refresh request updates the remote target (RFC 3261 §12.2.1.2).
      const contact = addressUri(fieldValues(r.headers, 'contact')[0]);
      if (contact !== undefined) s.remoteTarget = contact;
    } else if (r.status === 481 || r.status === 408) {
      // "If the response for a request within a dialog is a 481 (Call/Transaction Does Not Exist)
      // or a 408 (Request Timeout), the UAC SHOULD terminate the dialog." (RFC 3261 §12.2.1.2)
      if (this.#dialogs.get(remoteTag) === d) this.#dialogs.delete(remoteTag);
      this.#lastInfo = { status: r.status };
      this.#maybeEnd();
    } else if (r.status === 423) {
      const min = parseExpires(fieldValues(r.headers, 'min-expires')[0], NaN);
      if (typeof min === 'number' && !Number.isNaN(min)) r = { ...r, minExpires: min };
    }
    return r;
  }

  #maybeEnd(): void {
    if (this.#ended || this.#pending || this.#dialogs.size > 0) return;
    this.#ended = true;
    this.#cancelN();
    this.#forget();
    this.#handlers.onTerminated?.(this.#lastInfo);
  }

  drop(): void {
    this.#ended = true;
    this.#cancelN();
    this.#dialogs.clear();
  }
}
