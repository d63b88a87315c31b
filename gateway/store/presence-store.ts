// Presence state behind one interface (DESIGN §2: subscription state lives in the store so any
// core worker can serve it and a restart re-establishes dialogs). Drivers: memory (tests, bench)
// and node:sqlite (the embedded store); NATS KV arrives with the distributed mode.
// Values are plain data; times are epoch milliseconds (they must survive a restart).

/** XMPP user → SIP presentity: a SUBSCRIBE dialog the gateway keeps alive. */
export interface OutgoingSubscription {
  /** Bare JID of the XMPP watcher. */
  readonly jid: string;
  /** SIP URI of the presentity. */
  readonly presentity: string;
  /** `confirmed`: the XMPP side was told `subscribed` (NOTIFY active seen once). */
  readonly confirmed: boolean;
  /** Seconds asked for in the SUBSCRIBE (raised by 423 Min-Expires). */
  readonly expires: number;
  /** Consecutive failed attempts (backoff). */
  readonly attempts: number;
  readonly createdAt: number;
  /** Opaque state of the SIP dialog(s) last established, so a restart can end them (best effort). */
  readonly dialog?: string;
}

/** SIP watcher → XMPP user: one SUBSCRIBE dialog the gateway serves as notifier. */
export interface WatcherSubscription {
  /** The dialog layer's subscription id. */
  readonly id: string;
  /** The watcher's SIP URI (From). */
  readonly watcher: string;
  /** Bare JID of the XMPP user watched. */
  readonly target: string;
  /** Epoch ms when the dialog expires unless refreshed. */
  readonly expiresAt: number;
  /** Opaque dialog state the SIP layer needs to keep notifying after a restart, when it has one. */
  readonly dialog?: string;
}

/** The last presence of one resource of an XMPP user (translators/presence.ts shape, JSON-safe). */
export interface StoredResourcePresence {
  readonly resource: string;
  readonly available: boolean;
  readonly show?: 'away' | 'chat' | 'dnd' | 'xa';
  readonly statuses: ReadonlyArray<{ readonly lang?: string; readonly text: string }>;
  readonly priority?: number;
}

/** The last PIDF document a SIP presentity published to us (NOTIFY body, UTF-8 text). */
export interface StoredSipPresence {
  readonly pidf: string;
  readonly updatedAt: number;
}

export interface PresenceStore {
  putOutgoing(s: OutgoingSubscription): Promise<void>;
  getOutgoing(jid: string, presentity: string): Promise<OutgoingSubscription | undefined>;
  deleteOutgoing(jid: string, presentity: string): Promise<void>;
  listOutgoing(): Promise<OutgoingSubscription[]>;
  /** The XMPP users watching a SIP presentity. */
  outgoingOf(presentity: string): Promise<OutgoingSubscription[]>;

  putWatcher(w: WatcherSubscription): Promise<void>;
  getWatcher(id: string): Promise<WatcherSubscription | undefined>;
  deleteWatcher(id: string): Promise<void>;
  listWatchers(): Promise<WatcherSubscription[]>;
  /** The dialogs watching an XMPP user, optionally only those of one watcher URI. */
  watchersOf(target: string, watcher?: string): Promise<WatcherSubscription[]>;

  /** Roster approvals: the XMPP user `owner` lets the SIP `watcher` see its presence. */
  setApproval(owner: string, watcher: string, approved: boolean): Promise<void>;
  isApproved(owner: string, watcher: string): Promise<boolean>;

  setSipPresence(presentity: string, p: StoredSipPresence | undefined): Promise<void>;
  getSipPresence(presentity: string): Promise<StoredSipPresence | undefined>;

  /** Record (or with `undefined`, forget) one resource's presence. */
  setXmppPresence(jid: string, resource: string, p: StoredResourcePresence | undefined): Promise<void>;
  /** Every known resource of an XMPP user, in the order they were first seen. */
  getXmppPresence(jid: string): Promise<StoredResourcePresence[]>;

  close(): Promise<void>;
}
