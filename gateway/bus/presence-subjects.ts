// The presence part of the bus contract (subject names are in subjects.ts): payload shapes between
// the sip edge's presence binding (roles/sip-presence.ts) and the core (core/presence/).
// Plain data, so the NATS driver can carry them.
import type { XmlElement } from '../../translators/xml.ts';

// ---- XMPP user → SIP presentity: the gateway's own SUBSCRIBE dialogs ----

/** core → sip edge, request/reply; answered with a SubscribeResult. */
export type SipSubscribeCommand =
  | { op: 'subscribe'; key: string; gen: number; requestUri: string; from: { uri: string }; to: { uri: string }; expires: number }
  | { op: 'refresh'; key: string; gen: number; expires: number }
  | { op: 'unsubscribe'; key: string; gen: number }
  /** after a restart: SUBSCRIBE Expires: 0 in each dialog of a stored `SubscribeResult.dialog` (best effort) */
  | { op: 'end-stale'; key: string; gen: number; dialog: string };

/** The final response to a SUBSCRIBE, reduced to what the subscription machine reads. */
export interface SubscribeResult {
  status: number; reason?: string; expires?: number; minExpires?: number; retryAfter?: number;
  /** opaque state of the dialog(s) a 2xx established, for the core to store (and end after a restart) */
  dialog?: string;
}

/** sip edge → core: what happened on a SUBSCRIBE dialog of the gateway. */
export type SipSubscriptionEvent =
  | { kind: 'notify'; key: string; gen: number; state: string; reason?: string; retryAfter?: number; expires?: number; contentType?: string; body: Uint8Array }
  | { kind: 'terminated'; key: string; gen: number; reason?: string; retryAfter?: number; status?: number };

// ---- SIP watcher → XMPP user: the gateway as notifier ----

/** One NOTIFY on a watcher dialog; `pidf` is the document (serialised by the sip side). */
export interface WatcherNotify { state: 'active' | 'pending' | 'terminated'; reason?: string; pidf?: XmlElement }

/** sip edge → core, request/reply: a watcher's SUBSCRIBE to decide; answered with a WatcherDecision. */
export interface WatcherSubscribeRequest {
  /** The sip edge's key of the dialog (stable for its life). */
  key: string;
  /** The SUBSCRIBE refreshes or ends a dialog the edge holds. */
  existing: boolean;
  watcher: string;
  target: string;
  requestUri: string;
  event: string;
  expires: number;
  accept: string[];
  /** Opaque dialog state (new dialogs): what the edge needs to keep notifying after a restart. */
  dialog?: string;
}

export interface WatcherDecision {
  status: number;
  reason?: string;
  expires?: number;
  headers?: Array<[string, string]>;
  /** The NOTIFY to send at once after the 2xx (RFC 6665 §4.2.1.2). */
  notify?: WatcherNotify;
}

/** core → sip edge: NOTIFY a watcher dialog. */
export interface WatcherNotifyCommand {
  key: string;
  notify: WatcherNotify;
  /** The stored dialog state and expiry (epoch ms), for a dialog the edge lost in a restart. */
  dialog?: string;
  expiresAt?: number;
}

/** core → sip edge, the answer on watcherDialogs: every stored watcher dialog with its state. */
export interface WatcherDialogsReply { dialogs: Array<{ key: string; dialog: string; expiresAt: number }> }

/** sip edge → core: a watcher dialog ended (expired unrefreshed, terminated, NOTIFY failed, or unknown to the edge). */
export interface WatcherEndedEvent { key: string; why: 'expired' | 'terminated' | 'notify-failed' | 'unknown' }

// ---- SIP publisher → XMPP user's presentity: the gateway as event state compositor (RFC 3903) ----

/** sip edge → core, request/reply: a PUBLISH, its headers as they came; answered with a SipPublishReply. */
export interface SipPublishRequest {
  requestUri: string;
  /** The publisher (From URI). */
  from: string;
  event?: string;
  expires?: string;
  /** SIP-If-Match (RFC 3903 §11.3.2). */
  ifMatch?: string;
  contentType?: string;
  body: Uint8Array;
}

/** The final response to a PUBLISH (SIP-ETag, Expires, Min-Expires, Allow-Events, Accept in headers). */
export interface SipPublishReply { status: number; reason: string; headers: Array<[string, string]> }
