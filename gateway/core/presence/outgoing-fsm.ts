// XMPP user → SIP presentity: the SUBSCRIBE dialog the gateway keeps alive for as long as the
// XMPP roster subscription lives (MAPPINGS §4, RFC 6665). Pure: events in, actions out; the
// caller runs the actions (SIP requests over the bus, stanzas, the store, one timer).
//
// Every SIP-side event carries the generation of the SUBSCRIBE dialog it belongs to; an event of
// an older dialog (a late NOTIFY or onTerminated of a dialog already replaced) is ignored.

export interface OutgoingPolicy {
  /** Expires of a new SUBSCRIBE, seconds (MAPPINGS §4: 3600). */
  readonly expires: number;
  /** First backoff delay, ms; doubles per failed attempt up to maxBackoffMs. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  /** After this many consecutive failures the XMPP side is told `unsubscribed`; undefined: never. */
  readonly maxAttempts?: number;
}

export const DEFAULT_OUTGOING_POLICY: OutgoingPolicy = { expires: 3600, backoffMs: 1000, maxBackoffMs: 600_000 };

export type OutgoingPhase =
  /** A SUBSCRIBE creating a dialog is in flight. */
  | 'subscribing'
  /** The dialog exists; a refresh is armed. */
  | 'established'
  /** A refreshing SUBSCRIBE is in flight. */
  | 'refreshing'
  /** No dialog; a new SUBSCRIBE is armed after a backoff or a Retry-After. */
  | 'waiting';

export interface OutgoingState {
  readonly phase: OutgoingPhase;
  /** The XMPP watcher was told `subscribed`. */
  readonly confirmed: boolean;
  /** Seconds asked for (raised by 423 Min-Expires). */
  readonly expires: number;
  /** Consecutive failures. */
  readonly attempts: number;
  /** Generation of the current SUBSCRIBE dialog. */
  readonly gen: number;
}

export type OutgoingEvent =
  | { readonly type: 'xmpp-subscribe' }
  | { readonly type: 'xmpp-probe' }
  | { readonly type: 'xmpp-unsubscribe' }
  /** Final response to the SUBSCRIBE that creates the dialog. */
  | { readonly type: 'subscribe-result'; readonly gen: number; readonly status: number; readonly expires?: number; readonly minExpires?: number; readonly retryAfter?: number }
  /** Final response to a refreshing SUBSCRIBE. */
  | { readonly type: 'refresh-result'; readonly gen: number; readonly status: number; readonly expires?: number; readonly minExpires?: number; readonly retryAfter?: number }
  | { readonly type: 'notify'; readonly gen: number; readonly state: string; readonly reason?: string; readonly retryAfter?: number; readonly expires?: number; readonly hasBody: boolean }
  /** The dialog layer ended the dialog without a terminating NOTIFY we saw (e.g. a 481 on refresh). */
  | { readonly type: 'terminated'; readonly gen: number; readonly reason?: string; readonly retryAfter?: number; readonly status?: number }
  | { readonly type: 'timer' };

export type OutgoingAction =
  /** Drop any current dialog (without a request) and create a new one with this generation. */
  | { readonly type: 'sip-subscribe'; readonly gen: number; readonly expires: number }
  | { readonly type: 'sip-refresh'; readonly gen: number; readonly expires: number }
  | { readonly type: 'sip-unsubscribe'; readonly gen: number }
  | { readonly type: 'xmpp-subscribed' }
  | { readonly type: 'xmpp-unsubscribed' }
  /** `unavailable` to the XMPP watcher from each resource of the presentity it was shown online. */
  | { readonly type: 'xmpp-unavailable' }
  /** Send the XMPP watcher the presentity's last known presence. */
  | { readonly type: 'xmpp-last-presence' }
  /** Forward the NOTIFY's document to the XMPP watcher (and keep it as the last known state). */
  | { readonly type: 'forward' }
  /** Arm the one timer (replacing any), or with undefined, disarm it. */
  | { readonly type: 'timer'; readonly inMs: number | undefined }
  /** Persist the state (or, with undefined, delete it). */
  | { readonly type: 'save' }
  | { readonly type: 'forget' };

export interface Step {
  readonly state: OutgoingState | undefined;
  readonly actions: readonly OutgoingAction[];
}

/** RFC 6665 §4.1.3: no retry, the subscription is refused for good. */
export const FINAL_REASONS: readonly string[] = ['rejected', 'noresource', 'invariant'];
/** Re-SUBSCRIBE at once. */
export const IMMEDIATE_REASONS: readonly string[] = ['deactivated', 'timeout'];
/** Re-SUBSCRIBE after retry-after (else with backoff). */
export const LATER_REASONS: readonly string[] = ['probation', 'giveup'];

/** Statuses that stop the subscription for good (MAPPINGS §4); other 4xx-6xx too, except below. */
export const RETRY_STATUSES: readonly number[] = [408, 480, 486, 500, 502, 503, 504];

/** When to refresh a dialog granted `expires` seconds: a minute early, at most half-way (ours). */
export function refreshInMs(expires: number): number {
  return Math.max(expires / 2, expires - 60) * 1000;
}

export function backoffMs(policy: OutgoingPolicy, attempts: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempts - 1));
}

function isRetryable(status: number): boolean {
  return RETRY_STATUSES.includes(status) || (status >= 500 && status < 600);
}

const none = (state: OutgoingState | undefined): Step => ({ state, actions: [] });

function start(policy: OutgoingPolicy): Step {
  const state: OutgoingState = { phase: 'subscribing', confirmed: false, expires: policy.expires, attempts: 0, gen: 1 };
  return { state, actions: [{ type: 'sip-subscribe', gen: 1, expires: policy.expires }, { type: 'save' }] };
}

/** After a restart: a stored subscription gets a new dialog at once. */
export function resume(stored: { confirmed: boolean; expires: number; attempts: number }): Step {
  const state: OutgoingState = { phase: 'subscribing', confirmed: stored.confirmed, expires: stored.expires, attempts: stored.attempts, gen: 1 };
  return { state, actions: [{ type: 'sip-subscribe', gen: 1, expires: stored.expires }] };
}

function resubscribe(s: OutgoingState, extra: Partial<OutgoingState> = {}): Step {
  const state: OutgoingState = { ...s, ...extra, phase: 'subscribing', gen: s.gen + 1 };
  return { state, actions: [{ type: 'timer', inMs: undefined }, { type: 'sip-subscribe', gen: state.gen, expires: state.expires }, { type: 'save' }] };
}

function end(): Step {
  return { state: undefined, actions: [{ type: 'timer', inMs: undefined }, { type: 'xmpp-unsubscribed' }, { type: 'forget' }] };
}

/** A transient failure: wait (retryAfter seconds, else the backoff), or give up when exhausted. */
function retryLater(s: OutgoingState, policy: OutgoingPolicy, retryAfter?: number): Step {
  const attempts = s.attempts + 1;
  if (policy.maxAttempts !== undefined && attempts >= policy.maxAttempts) return end();
  const state: OutgoingState = { ...s, phase: 'waiting', attempts };
  const inMs = retryAfter !== undefined ? retryAfter * 1000 : backoffMs(policy, attempts);
  return { state, actions: [{ type: 'timer', inMs }, { type: 'save' }] };
}

function established(s: OutgoingState, granted: number | undefined): Step {
  const state: OutgoingState = { ...s, phase: 'established', attempts: 0 };
  return { state, actions: [{ type: 'timer', inMs: refreshInMs(granted ?? s.expires) }, { type: 'save' }] };
}

type Result = Extract<OutgoingEvent, { type: 'subscribe-result' | 'refresh-result' }>;

function onResult(s: OutgoingState, e: Result, policy: OutgoingPolicy): Step {
  if (e.status >= 200 && e.status < 300) return established(s, e.expires);
  if (e.status === 423 && e.minExpires !== undefined && e.minExpires > s.expires) {
    // RFC 6665 §4.1.2.1 / RFC 3261 §10.2.8: retry with the interval from Min-Expires.
    if (e.type === 'refresh-result') {
      return { state: { ...s, expires: e.minExpires }, actions: [{ type: 'sip-refresh', gen: s.gen, expires: e.minExpires }, { type: 'save' }] };
    }
    return resubscribe(s, { expires: e.minExpires });
  }
  // A refresh the notifier no longer knows: the dialog is gone, build a new one at once.
  if (e.type === 'refresh-result' && e.status === 481) return resubscribe(s);
  if (isRetryable(e.status)) return retryLater(s, policy, e.retryAfter);
  return end();
}

function onNotify(s: OutgoingState, e: Extract<OutgoingEvent, { type: 'notify' }>, policy: OutgoingPolicy): Step {
  if (e.state === 'active') {
    const actions: OutgoingAction[] = [];
    if (!s.confirmed) actions.push({ type: 'xmpp-subscribed' }, { type: 'save' });
    if (e.hasBody) actions.push({ type: 'forward' });
    // The notifier may shorten the subscription (RFC 6665 §4.2.2): refresh in time.
    if (e.expires !== undefined && s.phase === 'established') actions.push({ type: 'timer', inMs: refreshInMs(e.expires) });
    return { state: { ...s, confirmed: true }, actions };
  }
  if (e.state !== 'terminated') {
    // pending (or an extension state): nothing crosses yet.
    if (e.expires !== undefined && s.phase === 'established') return { state: s, actions: [{ type: 'timer', inMs: refreshInMs(e.expires) }] };
    return none(s);
  }
  const reason = e.reason?.toLowerCase();
  if (reason !== undefined && FINAL_REASONS.includes(reason)) return end();
  const forward: OutgoingAction[] = e.hasBody && s.confirmed ? [{ type: 'forward' }] : [];
  const next = reason !== undefined && IMMEDIATE_REASONS.includes(reason)
    ? resubscribe(s)
    : retryLater(s, policy, reason !== undefined && LATER_REASONS.includes(reason) ? e.retryAfter : undefined);
  return { state: next.state, actions: [...forward, ...next.actions] };
}

function onTerminated(s: OutgoingState, e: Extract<OutgoingEvent, { type: 'terminated' }>, policy: OutgoingPolicy): Step {
  if (e.status === 481) return resubscribe(s);
  if (e.status !== undefined && e.status >= 300 && !isRetryable(e.status)) return end();
  return onNotify(s, { type: 'notify', gen: e.gen, state: 'terminated', ...(e.reason !== undefined && { reason: e.reason }), ...(e.retryAfter !== undefined && { retryAfter: e.retryAfter }), hasBody: false }, policy);
}

export function step(s: OutgoingState | undefined, e: OutgoingEvent, policy: OutgoingPolicy = DEFAULT_OUTGOING_POLICY): Step {
  switch (e.type) {
    case 'xmpp-subscribe':
      if (s === undefined) return start(policy);
      // RFC 6121 §3.1.3: a subscribe already approved is answered `subscribed` again.
      return s.confirmed ? { state: s, actions: [{ type: 'xmpp-subscribed' }, { type: 'xmpp-last-presence' }] } : none(s);
    case 'xmpp-probe':
      // The XMPP server thinks the subscription exists: re-establish it when we lost it (ours).
      return s === undefined ? start(policy) : { state: s, actions: [{ type: 'xmpp-last-presence' }] };
    case 'xmpp-unsubscribe': {
      if (s === undefined) return none(s);
      const actions: OutgoingAction[] = [{ type: 'timer', inMs: undefined }];
      if (s.phase !== 'waiting') actions.push({ type: 'sip-unsubscribe', gen: s.gen });
      // RFC 6121 §3.3.3: on the user's unsubscribe the contact's server sends `unavailable` from
      // the contact's online resources, so the user's client stops showing them.
      if (s.confirmed) actions.push({ type: 'xmpp-unavailable' });
      actions.push({ type: 'forget' });
      return { state: undefined, actions };
    }
    case 'timer':
      if (s === undefined) return none(s);
      if (s.phase === 'established') return { state: { ...s, phase: 'refreshing' }, actions: [{ type: 'sip-refresh', gen: s.gen, expires: s.expires }] };
      if (s.phase === 'waiting') return resubscribe(s);
      return none(s);
    default:
      if (s === undefined || e.gen !== s.gen) return none(s);
      if (e.type === 'notify') return onNotify(s, e, policy);
      if (e.type === 'terminated') return onTerminated(s, e, policy);
      if (e.type === 'subscribe-result' ? s.phase !== 'subscribing' : s.phase !== 'refreshing') return none(s);
      return onResult(s, e, policy);
  }
}
