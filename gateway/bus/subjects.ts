// The bus contract between the roles: subject names and payload shapes. Payloads are plain data
// so the NATS driver can carry them between processes.
import type { XmlElement } from '../../translators/xml.ts';

export const SUBJECTS = {
  /** sip edge → core, request/reply: a SIP request for the core to answer. */
  sipRequest: 'parley.core.sip.request',
  /** xmpp edge → core: a stanza that arrived on a component. */
  xmppStanza: 'parley.core.xmpp.stanza',
  /** core → xmpp edge, request/reply: write a stanza. */
  xmppSend: 'parley.xmpp.send',
  /** core → sip edge, request/reply: send a SIP request, answer with its final response. */
  sipSend: 'parley.sip.send',
  /** edges → anyone: a link went up or down. */
  edgeStatus: 'parley.edge.status',
  /** Presence (payloads in presence-subjects.ts). core → sip edge, request/reply: the gateway's SUBSCRIBE dialogs. */
  sipSubscribe: 'parley.sip.presence.subscribe',
  /** sip edge → core: NOTIFYs and ends of those dialogs. */
  sipSubscriptionEvent: 'parley.core.sip.presence.event',
  /** sip edge → core, request/reply: a SIP watcher's SUBSCRIBE. */
  watcherSubscribe: 'parley.core.sip.presence.watch',
  /** core → sip edge: NOTIFY a watcher. */
  watcherNotify: 'parley.sip.presence.notify',
  /** sip edge → core: a watcher dialog ended. */
  watcherEnded: 'parley.core.sip.presence.ended',
  /** sip edge → core, request/reply: the stored watcher dialogs, to restore after a restart. */
  watcherDialogs: 'parley.core.sip.presence.dialogs',
  /** sip edge → core, request/reply: a SIP PUBLISH (RFC 3903) for an XMPP user. */
  sipPublish: 'parley.core.sip.presence.publish',
} as const;

export const CORE_QUEUE = 'core';

export interface SipRequestEvent {
  method: string;
  requestUri: string;
  from: { uri: string; tag?: string; displayName?: string };
  to: { uri: string; tag?: string };
  callId: string;
  cseq: number;
  contentType?: string;
  contentLanguage?: string;
  subject?: string;
  body: Uint8Array;
  transport: string;
  remote: { address: string; port: number };
  receivedAt: number;
}

export interface SipReplyEvent { status: number; reason?: string; headers?: Array<[string, string]> }

export interface XmppStanzaEvent { domain: string; stanza: XmlElement }

export interface XmppSendRequest { stanza: XmlElement }
export type XmppSendReply = { ok: true } | { ok: false; reason: 'offline' | 'no-component' | 'error'; detail?: string };

// Mirrors the SIP edge's OutgoingRequestSpec/FinalResponse on purpose: the core may not import the
// SIP edge (DESIGN.md §3), and a bus payload must stay plain data that NATS can carry.
export interface SipSendRequest {
  method: string;
  requestUri: string;
  from: { uri: string; displayName?: string };
  to: { uri: string };
  callId?: string;
  headers?: Array<[string, string]>;
  body?: Uint8Array;
}
export interface SipSendReply { status: number; reason: string; headers: Array<[string, string]>; local?: boolean }

export interface EdgeStatusEvent { edge: 'sip' | 'xmpp'; name: string; online: boolean; reason?: string }
