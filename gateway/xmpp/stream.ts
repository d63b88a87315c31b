// XEP-0114 stream framing as text: the stream header, the handshake and stream errors.
import { createHash } from 'node:crypto';
import { child, el } from '../../translators/xml.ts';
import type { XmlElement } from '../../translators/xml.ts';
import { escapeText, serialize } from './xml-serialize.ts';

export const NS_STREAMS = 'http://etherx.jabber.org/streams';
export const NS_COMPONENT = 'jabber:component:accept';
export const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';

/** The RFC 6120 §4.9.3 conditions this link sends. */
export type StreamErrorCondition =
  | 'not-well-formed' // §4.9.3.13: XML or UTF-8 that is not well-formed, undefined entity, &#0;
  | 'restricted-xml' // §4.9.3.18 / §11.1: DTD, processing instruction, comment
  | 'policy-violation' // §4.9.3.14: stanza above maxStanzaBytes, nesting above maxDepth
  | 'invalid-namespace' // §4.9.3.10: the root is not a stream:stream
  | 'bad-format' // §4.9.3.1: a header we cannot use (no id to hash)
  | 'connection-timeout' // §4.9.3.4: no handshake answer in time
  | 'internal-server-error'; // §4.9.3.8: a bug of ours; never a thrown exception

/** XEP-0114 §3: the component opens the stream to the server. */
export function streamOpen(domain: string): string {
  const to = escapeText(domain).xml.replace(/'/g, '&apos;');
  return `<stream:stream xmlns='${NS_COMPONENT}' xmlns:stream='${NS_STREAMS}' to='${to}'>`;
}

export const STREAM_CLOSE = '</stream:stream>';

/** XEP-0114 §3: "the hex-encoded SHA-1 hash of the concatenation of the stream id and the secret". */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash('sha1').update(streamId + secret, 'utf8').digest('hex');
}

export function handshake(streamId: string, secret: string): string {
  return serialize(el('handshake', {}, handshakeDigest(streamId, secret))).xml;
}

/** RFC 6120 §4.9.1.1: the stream error, then the stream close tag. */
export function streamError(condition: StreamErrorCondition): string {
  return `<stream:error><${condition} xmlns='${NS_STREAM_ERRORS}'/></stream:error>${STREAM_CLOSE}`;
}

/** The condition name of a received <stream:error/> (its child in the stream-errors namespace). */
export function streamErrorCondition(error: XmlElement): string {
  for (const c of error.children) {
    if (typeof c !== 'string' && c.attrs.xmlns === NS_STREAM_ERRORS && c.name !== 'text') return c.name;
  }
  return 'undefined-condition';
}

/** The human-readable <text/> of a received stream error, for the log only. */
export function streamErrorText(error: XmlElement): string | undefined {
  const t = child(error, 'text', NS_STREAM_ERRORS);
  if (t === undefined) return undefined;
  return t.children.filter((c) => typeof c === 'string').join('');
}
