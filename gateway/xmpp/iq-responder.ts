// The iqs the XMPP edge answers itself (it has no iq handling behind it):
// XEP-0030 disco#info, XEP-0199 ping; any other get/set gets service-unavailable (RFC 6120 §8.4);
// results and errors are never answered (RFC 6120 §8.2.3).
import { child, el } from '../../translators/xml.ts';
import type { XmlElement } from '../../translators/xml.ts';
import { iqResult, stanzaError } from './stanza.ts';

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_PING = 'urn:xmpp:ping';

/** XEP-0100 §4.1: a gateway announces category 'gateway' and the legacy protocol as type. */
export function discoInfo(): XmlElement {
  return el('query', { xmlns: NS_DISCO_INFO },
    el('identity', { category: 'gateway', type: 'sip', name: 'Parley' }),
    el('feature', { var: NS_DISCO_INFO }),
    el('feature', { var: NS_PING }));
}

/** The reply to an iq, or undefined when nothing must be sent (result, error, no id, not an iq). */
export function answerIq(iq: XmlElement): XmlElement | undefined {
  const type = iq.attrs.type;
  if (iq.name !== 'iq' || iq.attrs.id === undefined || iq.attrs.from === undefined) return undefined;
  if (type !== 'get' && type !== 'set') return undefined;
  if (type === 'get' && child(iq, 'query', NS_DISCO_INFO) !== undefined) return iqResult(iq, discoInfo());
  if (type === 'get' && child(iq, 'ping', NS_PING) !== undefined) return iqResult(iq);
  return stanzaError(iq, 'cancel', 'service-unavailable');
}
