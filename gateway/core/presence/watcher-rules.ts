// SIP watcher → XMPP user: what the gateway, as notifier, answers and does (MAPPINGS §4,
// RFC 6665 §4.2). Pure: a SUBSCRIBE or an XMPP event in, the answer and actions out; the caller
// runs them (NOTIFY through the dialog layer, stanzas, the store).

export interface WatcherPolicy {
  /** Granted when the SUBSCRIBE names no Expires (RFC 6665 §4.1.2.1 lets the event package say). */
  readonly defaultExpires: number;
  /** Below this (and above 0) the answer is 423 with Min-Expires. */
  readonly minExpires: number;
  /** Longer asks are cut down to this. */
  readonly maxExpires: number;
}

export const DEFAULT_WATCHER_POLICY: WatcherPolicy = { defaultExpires: 3600, minExpires: 60, maxExpires: 3600 };

export const PRESENCE_EVENT = 'presence';
export const PIDF_TYPE = 'application/pidf+xml';

/** What a SUBSCRIBE is: a new dialog, a refresh or an end of an existing one, or a fetch (Expires 0, no dialog). */
export type SubscribeKind = 'new' | 'refresh' | 'end' | 'fetch';

export interface SubscribeInput {
  /** The Event header value (package and parameters). */
  readonly event: string;
  /** Expires asked for, seconds; undefined when absent. */
  readonly expires: number | undefined;
  readonly accept: readonly string[];
  /** The SUBSCRIBE belongs to a dialog the layer already holds. */
  readonly existing: boolean;
}

export interface Answer { readonly status: number; readonly reason?: string; readonly expires?: number; readonly headers?: ReadonlyArray<readonly [string, string]> }

export type Classified = { readonly ok: true; readonly kind: SubscribeKind; readonly expires: number } | { readonly ok: false; readonly answer: Answer };

/** The event package a header names: its token, lowercased (RFC 6665 §8.2.1). */
export function eventPackage(event: string): string {
  return beforeParams(event);
}

function beforeParams(s: string): string {
  const semi = s.indexOf(';');
  return (semi < 0 ? s : s.slice(0, semi)).trim().toLowerCase();
}

function acceptsPidf(accept: readonly string[]): boolean {
  if (accept.length === 0) return true; // RFC 6665 §4.1.2: absent Accept means the package default (PIDF)
  return accept.some((a) => {
    const t = beforeParams(a);
    return t === PIDF_TYPE || t === '*/*' || t === 'application/*';
  });
}

export function classify(input: SubscribeInput, policy: WatcherPolicy = DEFAULT_WATCHER_POLICY): Classified {
  if (eventPackage(input.event) !== PRESENCE_EVENT) {
    return { ok: false, answer: { status: 489, reason: 'Bad Event', headers: [['Allow-Events', PRESENCE_EVENT]] } };
  }
  if (!acceptsPidf(input.accept)) {
    return { ok: false, answer: { status: 406, reason: 'Not Acceptable', headers: [['Accept', PIDF_TYPE]] } };
  }
  const asked = input.expires ?? policy.defaultExpires;
  if (asked === 0) return { ok: true, kind: input.existing ? 'end' : 'fetch', expires: 0 };
  if (asked < policy.minExpires) {
    return { ok: false, answer: { status: 423, reason: 'Interval Too Brief', headers: [['Min-Expires', String(policy.minExpires)]] } };
  }
  return { ok: true, kind: input.existing ? 'refresh' : 'new', expires: Math.min(asked, policy.maxExpires) };
}

/** One NOTIFY to send on a dialog. `document`: carry the watched user's current PIDF. */
export interface NotifySpec {
  readonly state: 'active' | 'pending' | 'terminated';
  readonly reason?: string;
  readonly document: boolean;
}

export type WatcherAction =
  | { readonly type: 'notify'; readonly notify: NotifySpec }
  /** Send an XMPP presence stanza of this type from the watcher's JID to the watched user. */
  | { readonly type: 'xmpp'; readonly presence: 'subscribe' | 'unsubscribe' | 'probe' }
  | { readonly type: 'save-dialog' }
  | { readonly type: 'forget-dialog' }
  | { readonly type: 'approval'; readonly approved: boolean };

const ACTIVE: NotifySpec = { state: 'active', document: true };
const PENDING: NotifySpec = { state: 'pending', document: false };
const notify = (n: NotifySpec): WatcherAction => ({ type: 'notify', notify: n });

/**
 * After the 200 for an accepted SUBSCRIBE (the caller MUST send the immediate NOTIFY, RFC 6665
 * §4.2.1.2). `approved`: the XMPP user already lets this watcher see its presence; `known`: the
 * gateway knows that user's current presence (else it probes for it).
 */
export function afterAccept(kind: SubscribeKind, approved: boolean, known: boolean): WatcherAction[] {
  switch (kind) {
    case 'new':
      if (approved) return [{ type: 'save-dialog' }, notify(ACTIVE), ...(known ? [] : [{ type: 'xmpp', presence: 'probe' } as const])];
      return [{ type: 'save-dialog' }, notify(PENDING), { type: 'xmpp', presence: 'subscribe' }];
    case 'refresh':
      // RFC 6665 §4.2.1.2: a refresh gets a NOTIFY of the current state; no XMPP traffic.
      return [{ type: 'save-dialog' }, notify(approved ? ACTIVE : PENDING)];
    case 'end':
      return [notify({ state: 'terminated', document: approved }), { type: 'forget-dialog' }, { type: 'approval', approved: false }, { type: 'xmpp', presence: 'unsubscribe' }];
    case 'fetch':
      // A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, no subscription on either side.
      return [notify({ state: 'terminated', reason: 'timeout', document: approved })];
  }
}

/** The XMPP user answered a subscription request, or withdrew an approval. For each dialog of that watcher. */
export function onXmppSubscription(type: 'subscribed' | 'unsubscribed'): WatcherAction[] {
  if (type === 'subscribed') return [{ type: 'approval', approved: true }, notify(ACTIVE)];
  return [{ type: 'approval', approved: false }, notify({ state: 'terminated', reason: 'rejected', document: false }), { type: 'forget-dialog' }];
}

/** The watched user's presence changed: every approved dialog gets the new document. */
export function onXmppPresence(approved: boolean): WatcherAction[] {
  return approved ? [notify(ACTIVE)] : [];
}
