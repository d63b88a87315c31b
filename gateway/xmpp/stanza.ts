// Small stanza helpers (RFC 6120 §8): addresses and error replies.
import { el } from '../../translators/xml.ts';
import type { XmlElement } from '../../translators/xml.ts';

export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The domainpart of a JID (RFC 7622 §3.2): after the first '@', before the first '/'. */
export function jidDomain(jid: string): string {
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const at = bare.indexOf('@');
  return (at === -1 ? bare : bare.slice(at + 1)).toLowerCase();
}

/** The localpart of a JID, or undefined for a bare domain. */
export function jidLocal(jid: string): string | undefined {
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const at = bare.indexOf('@');
  return at === -1 ? undefined : bare.slice(0, at);
}

/** An iq result to `iq`, addressed back to its sender (RFC 6120 §8.2.3). */
export function iqResult(iq: XmlElement, ...payload: XmlElement[]): XmlElement {
  return el('iq', { type: 'result', id: iq.attrs.id, from: iq.attrs.to, to: iq.attrs.from }, ...payload);
}

/** An error reply to any stanza (RFC 6120 §8.3): same name and id, to/from swapped. */
export function stanzaError(stanza: XmlElement, type: 'cancel' | 'modify' | 'auth' | 'wait', condition: string): XmlElement {
  return el(stanza.name, { type: 'error', id: stanza.attrs.id, from: stanza.attrs.to, to: stanza.attrs.from },
    el('error', { type }, el(condition, { xmlns: NS_STANZAS })));
}
