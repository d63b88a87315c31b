// Page-mode messages, SIP MESSAGE ↔ XMPP <message> (RFC 7572, MAPPINGS §3).
// Body text crosses byte for byte: no normalisation, no trimming, nothing silently altered.
// What one side cannot carry is refused with a gateway error, never mangled.

import { jidToSipUser, sipInstanceFromResource, sipUriToXmppUser, sipUserToJid, xmppUserToSipUri, type AddressingOptions } from './address.ts';
import { GATEWAY_ERRORS, gatewayError, sipStatusToXmpp, type GatewayError, type GatewayErrorCode, type XmppError } from './errors.ts';
import { bareJid, formatJid, parseJid } from './jid.ts';
import { parseCpim } from './cpim.ts';
import { parseMediaType, type MediaType } from './media-type.ts';
import { fail, ok, type Result } from './result.ts';
import { child, children, el, text, type XmlElement } from './xml.ts';

/** What a SIP MESSAGE body may be; a 415 lists these in `Accept` (RFC 3261 §21.4.13). */
export const ACCEPTED_CONTENT_TYPES = ['text/plain', 'message/cpim'] as const;
export const STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
/** The namespaces a stanza's own children live in (client, server, component streams). */
const CONTENT_NAMESPACES = new Set(['jabber:client', 'jabber:server', 'jabber:component:accept']);

export interface SipMessageInput {
  requestUri: string;
  from: string;
  to: string;
  contentType?: string;
  contentLanguage?: string;
  subject?: string;
  body: Uint8Array;
  /** The stanza id to use (ids come from the caller). */
  id: string;
}

export interface SipToXmppMessage {
  readonly stanza: XmlElement;
  /** The CPIM message headers, when the body was message/cpim (for IMDN, later). */
  readonly cpimHeaders?: readonly (readonly [string, string])[];
}

export type MessageResult<T> = Result<T, GatewayError>;

// ---------------------------------------------------------------------------------------------
// Text checks

// XML 1.0 Char excludes these; lone surrogates cannot be written as UTF-8 at all.
const XML_UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|\p{Cs}/u;

/** True when XML 1.0 can carry every character of s. */
export function xmlCanCarry(s: string): boolean {
  return !XML_UNSAFE.test(s);
}

const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/u;

/** A Content-Language naming exactly one well-formed tag gives xml:lang; a list or junk gives none (ours). */
export function singleLanguage(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const tag = value.trim();
  return LANGUAGE_TAG.test(tag) ? tag : undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

function badRequest(detail: string): { readonly ok: false; readonly error: GatewayError } {
  return fail(gatewayError('bad-request', detail));
}

function unsupported(detail: string): { readonly ok: false; readonly error: GatewayError } {
  return fail(gatewayError('unsupported-media', detail));
}

/** text/plain bytes → text. Charset absent, utf-8 or us-ascii; others are 415. */
function decodeTextPlain(bytes: Uint8Array, media: MediaType): MessageResult<string> {
  const charset = media.params.get('charset')?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'us-ascii') return unsupported('charset not supported: use UTF-8');
  if (charset === 'us-ascii' && bytes.some((b) => b > 0x7f)) return badRequest('body is not valid US-ASCII');
  let s: string;
  try {
    s = strictUtf8.decode(bytes);
  } catch {
    return badRequest('body is not valid UTF-8');
  }
  if (s === '') return badRequest('the MESSAGE has no text');
  if (!xmlCanCarry(s)) return badRequest('body contains characters XMPP cannot carry');
  return ok(s);
}

interface BodyText {
  readonly text: string;
  readonly language?: string;
  readonly cpimHeaders?: readonly (readonly [string, string])[];
}

const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

function bodyText(contentType: string | undefined, body: Uint8Array): MessageResult<BodyText> {
  if (body.length === 0) return badRequest('the MESSAGE has no body');
  // RFC 3261 §20.15: a non-empty body comes with its Content-Type.
  const media = contentType === undefined ? undefined : parseMediaType(contentType);
  if (media === undefined) return unsupported('Content-Type missing or malformed');
  if (media.type === 'text/plain') {
    const t = decodeTextPlain(body, media);
    return t.ok ? ok({ text: t.value }) : t;
  }
  if (media.type !== 'message/cpim') return unsupported('Content-Type not supported');
  const cpim = parseCpim(body);
  if (cpim === undefined) return badRequest('message/cpim body is malformed');
  const mime = new Map(cpim.mimeHeaders.map(([k, v]) => [k.toLowerCase(), v]));
  const encoding = mime.get('content-transfer-encoding')?.trim().toLowerCase();
  if (encoding !== undefined && !IDENTITY_ENCODINGS.has(encoding)) return unsupported('Content-Transfer-Encoding not supported');
  // RFC 2045 §5.2: without Content-Type the content is text/plain.
  const inner = parseMediaType(mime.get('content-type') ?? 'text/plain');
  if (inner?.type !== 'text/plain') return unsupported('message/cpim content type not supported');
  const t = decodeTextPlain(cpim.content, inner);
  if (!t.ok) return t;
  const language = singleLanguage(mime.get('content-language'));
  return ok({ text: t.value, cpimHeaders: cpim.headers, ...(language !== undefined && { language }) });
}

// ---------------------------------------------------------------------------------------------
// SIP → XMPP

/**
 * A SIP MESSAGE as an XMPP <message type='chat'>. `to` comes from the Request-URI (an XMPP user),
 * `from` from the From URI (a SIP user, in the addressing mode); the To header is not used.
 */
export function sipMessageToXmpp(input: SipMessageInput, mode: AddressingOptions): MessageResult<SipToXmppMessage> {
  const to = sipUriToXmppUser(input.requestUri);
  if (!to.ok) return to;
  const from = sipUserToJid(input.from, mode);
  if (!from.ok) return from;
  const body = bodyText(input.contentType, input.body);
  if (!body.ok) return body;
  if (input.subject !== undefined && !xmlCanCarry(input.subject)) return badRequest('subject contains characters XMPP cannot carry');
  const lang = body.value.language ?? singleLanguage(input.contentLanguage);
  const stanza = el(
    'message',
    { type: 'chat', from: formatJid(from.value), to: formatJid(to.value), id: input.id, 'xml:lang': lang },
    input.subject !== undefined && input.subject !== '' && el('subject', {}, input.subject),
    el('body', {}, body.value.text),
  );
  return ok({ stanza, ...(body.value.cpimHeaders !== undefined && { cpimHeaders: body.value.cpimHeaders }) });
}

// ---------------------------------------------------------------------------------------------
// XMPP → SIP

export type XmppMessageType = 'normal' | 'chat' | 'headline';

export interface XmppToSipMessage {
  readonly requestUri: string;
  readonly from: string;
  readonly to: string;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
  /** The stanza's <thread>, from which the caller may derive a Call-ID. */
  readonly thread?: string;
  readonly id?: string;
  /** headline: no reply is expected. */
  readonly type: XmppMessageType;
}

export type XmppToSipOutcome = XmppToSipMessage | { readonly ignore: string };

function contentChildren(stanza: XmlElement, name: string): XmlElement[] {
  return children(stanza, name).filter((c) => c.attrs.xmlns === undefined || CONTENT_NAMESPACES.has(c.attrs.xmlns));
}

/** The element in the stanza's language, or with no language, else the first (MAPPINGS §3). */
function pickByLanguage(candidates: readonly XmlElement[], stanzaLang: string | undefined): XmlElement | undefined {
  const wanted = stanzaLang?.toLowerCase();
  return candidates.find((c) => {
    const l = c.attrs['xml:lang'];
    return l === undefined || l.toLowerCase() === wanted;
  }) ?? candidates[0];
}

function messageType(type: string | undefined): XmppMessageType {
  // RFC 6121 §5.2.2: an unknown or absent type is read as normal.
  return type === 'chat' || type === 'headline' ? type : 'normal';
}

/** An XMPP <message> as a SIP MESSAGE, or the reason it carries nothing to send. */
export function xmppMessageToSip(stanza: XmlElement, mode: AddressingOptions): MessageResult<XmppToSipOutcome> {
  const rawType = stanza.attrs.type;
  if (rawType === 'groupchat') return fail(gatewayError('groupchat-unsupported'));
  if (rawType === 'error') return ok({ ignore: 'error stanza' });
  const stanzaLang = stanza.attrs['xml:lang'];
  const body = pickByLanguage(contentChildren(stanza, 'body'), stanzaLang);
  if (body === undefined) return ok({ ignore: 'no body' });
  const bodyText = text(body);
  if (bodyText === '') return ok({ ignore: 'empty body' });
  if (!xmlCanCarry(bodyText)) return badRequest('body contains characters SIP cannot carry');

  const toAttr = stanza.attrs.to;
  const fromAttr = stanza.attrs.from;
  if (toAttr === undefined || fromAttr === undefined) return fail(gatewayError('address-malformed', 'the message lacks a from or to address'));
  const to = parseJid(toAttr);
  if (!to.ok) return to;
  // To is the address of record; the Request-URI adds the GRUU when the JID names a resource.
  const toUri = jidToSipUser(bareJid(to.value), mode);
  if (!toUri.ok) return toUri;
  const resource = to.value.resource;
  const requestUri = resource === undefined ? toUri.value : `${toUri.value};gr=${sipInstanceFromResource(resource)}`;
  const from = parseJid(fromAttr);
  if (!from.ok) return from;
  const fromUri = xmppUserToSipUri(bareJid(from.value));
  if (!fromUri.ok) return fromUri;

  const headers: [string, string][] = [['Content-Type', 'text/plain;charset=UTF-8']];
  const lang = body.attrs['xml:lang'] ?? stanzaLang;
  if (lang !== undefined && LANGUAGE_TAG.test(lang)) headers.push(['Content-Language', lang]);
  const subject = pickByLanguage(contentChildren(stanza, 'subject'), stanzaLang);
  // A SIP header cannot hold a line break: each run of CR/LF in a subject becomes one space (ours).
  const subjectText = subject === undefined ? '' : text(subject).replace(/[\r\n]+/gu, ' ');
  if (subjectText !== '') headers.push(['Subject', subjectText]);
  const thread = child(stanza, 'thread');
  const threadText = thread === undefined ? '' : text(thread);

  return ok({
    requestUri,
    from: fromUri.value,
    to: toUri.value,
    headers,
    body: utf8.encode(bodyText),
    type: messageType(rawType),
    ...(threadText !== '' && { thread: threadText }),
    ...(stanza.attrs.id !== undefined && { id: stanza.attrs.id }),
  });
}

// ---------------------------------------------------------------------------------------------
// Errors back to the XMPP sender

function errorStanza(original: XmlElement, error: XmppError, textContent?: string): XmlElement {
  return el(
    'message',
    { type: 'error', from: original.attrs.to, to: original.attrs.from, id: original.attrs.id },
    el(
      'error',
      { type: error.type },
      el(error.condition, { xmlns: STANZAS_NS }),
      textContent !== undefined && el('text', { xmlns: STANZAS_NS, 'xml:lang': 'en' }, textContent),
    ),
  );
}

/**
 * The <message type='error'> for a message SIP answered with a final failure (RFC 7247 §7.2).
 * The SIP reason phrase is remote text and does not cross the gateway.
 */
export function xmppErrorForSipFailure(original: XmlElement, status: number): XmlElement {
  return errorStanza(original, sipStatusToXmpp(status));
}

/** The <message type='error'> for a refusal of the gateway's own, with a <text> naming the cause. */
export function xmppErrorReply(original: XmlElement, code: GatewayErrorCode, textContent?: string): XmlElement {
  const spec = GATEWAY_ERRORS[code];
  return errorStanza(original, spec.xmpp, textContent ?? spec.text);
}
