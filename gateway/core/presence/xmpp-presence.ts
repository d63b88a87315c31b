// XMPP <presence/> stanzas as the presence core reads and writes them (RFC 6121 §3, §4). Pure.
import { el, type XmlElement, children, child, text } from '../../../translators/xml.ts';
import type { StoredResourcePresence } from '../../store/presence-store.ts';

export type PresenceKind = 'available' | 'unavailable' | 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' | 'probe' | 'error';

const KINDS: readonly PresenceKind[] = ['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error'];
const SHOWS = ['away', 'chat', 'dnd', 'xa'] as const;

export interface ReadPresence {
  readonly kind: PresenceKind;
  /** Bare JIDs. */
  readonly from: string;
  readonly to: string;
  /** The sender's resource ('' for a bare JID). */
  readonly resource: string;
  /** available / unavailable: the resource's presence. */
  readonly presence?: StoredResourcePresence;
}

export function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

function resourceOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? '' : jid.slice(slash + 1);
}

function resourcePresence(stanza: XmlElement, resource: string, available: boolean): StoredResourcePresence {
  const showEl = child(stanza, 'show');
  const show = showEl && SHOWS.find((s) => s === text(showEl).trim());
  const statuses = children(stanza, 'status').map((s) => {
    const lang = s.attrs['xml:lang'];
    return lang === undefined || lang === '' ? { text: text(s) } : { lang, text: text(s) };
  });
  const p = child(stanza, 'priority');
  const priority = p === undefined ? undefined : Number.parseInt(text(p).trim(), 10);
  return {
    resource, available, statuses,
    ...(available && show !== undefined && { show }),
    ...(priority !== undefined && Number.isInteger(priority) && { priority }),
  };
}

/** A presence stanza's kind, bare addresses and (for availability) the resource's state; undefined if not presence or unaddressed. */
export function readPresence(stanza: XmlElement): ReadPresence | undefined {
  const from = stanza.attrs.from;
  const to = stanza.attrs.to;
  if (stanza.name !== 'presence' || from === undefined || to === undefined) return undefined;
  const type = stanza.attrs.type;
  const kind = type === undefined ? 'available' : KINDS.find((k) => k === type);
  if (kind === undefined) return undefined;
  const resource = resourceOf(from);
  const base = { kind, from: bareJid(from), to: bareJid(to), resource };
  if (kind === 'available' || kind === 'unavailable') return { ...base, presence: resourcePresence(stanza, resource, kind === 'available') };
  return base;
}

/** A subscription-management or probe stanza (RFC 6121 §3). */
export function presenceOfType(type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' | 'probe' | 'unavailable', from: string, to: string): XmlElement {
  return el('presence', { type, from, to });
}
