// SIP URI ↔ JID (RFC 7247 §6, MAPPINGS §1).
//
// Two addressing modes (DESIGN §1):
//   direct  — the domain is the same on both sides: sip:alice@corp.example ↔ alice@corp.example;
//   escaped — SIP users appear under a gateway subdomain: sip:alice@corp.example ↔
//             alice%corp.example@sip.xmpp.example (XEP-0106 alice\40corp.example@… is read too).
// XMPP users are always named directly: a Request-URI sip:bob@xmpp.example names bob@xmpp.example.
//
// SIP → XMPP: the user part is percent-decoded, read as UTF-8 (fatal), mapped by the localpart
// profile (so Alice and alice meet in one JID: SIP domains whose users differ only by case are not
// supported (ours)), XEP-0106-escaped, and enforced; anything still invalid is refused, never guessed.
// XMPP → SIP: XEP-0106 is undone and what the RFC 3261 `user` rule does not allow is percent-encoded.
// An XMPP resource travels as the GRUU `gr` parameter (RFC 5627), hex-encoded (existing practice).
// A gr that is not such an encoding (a SIP UA's own instance id) names no resource: the JID is
// bare (ours).
// A URI's port, its other parameters and its headers are routing, not identity: they are dropped.

import { gatewayError, type GatewayError } from './errors.ts';
import { checkLocalpart, domainpartProfile, mapLocalpart, parseJid, resourcepartProfile, type Jid } from './jid.ts';
import { fail, ok, type Result } from './result.ts';
import { memoized } from './memo.ts';

export type AddressingOptions = { readonly addressing: 'direct' } | { readonly addressing: 'escaped'; readonly gatewayDomain: string };

export const SIP_URI_SCHEMES = ['sip', 'sips', 'pres', 'im'] as const;
export type SipUriScheme = (typeof SIP_URI_SCHEMES)[number];

export interface SipUri {
  readonly scheme: SipUriScheme;
  /** The user part, percent-decoded. Absent for a URI naming a host only. */
  readonly user?: string;
  /** Lowercased host (hostname, IPv4 address or bracketed IPv6 reference). */
  readonly host: string;
  /** The raw value of the `gr` URI parameter, when it has one. */
  readonly gr?: string;
}

type AddressResult<T> = Result<T, GatewayError>;

function malformed(detail: string): { readonly ok: false; readonly error: GatewayError } {
  return fail(gatewayError('address-malformed', detail));
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

// ---------------------------------------------------------------------------------------------
// XEP-0106

const XEP0106_CODES = ['20', '22', '26', '27', '2f', '3a', '3c', '3e', '40', '5c'] as const;
const ESCAPABLE = /\\(?=20|22|26|27|2f|3a|3c|3e|40|5c)|[ "&'/:<>@]/gu;
const ESCAPED = /\\(20|22|26|27|2f|3a|3c|3e|40|5c)/gu;

/** The ten XEP-0106 escapes, as data: character → escape sequence. */
export const XEP0106_ESCAPES: readonly (readonly [string, string])[] = XEP0106_CODES.map(
  (h) => [String.fromCharCode(parseInt(h, 16)), `\\${h}`] as const,
);

/**
 * XEP-0106 escaping of a localpart. Only the ten characters are escaped, and a backslash only
 * where it starts a sequence that would read as an escape. A leading or trailing space is
 * refused: `\20` may not begin or end an escaped localpart.
 */
export function escapeLocalpart(s: string): AddressResult<string> {
  if (s.startsWith(' ') || s.endsWith(' ')) return malformed('a leading or trailing space cannot be escaped (XEP-0106)');
  return ok(s.replace(ESCAPABLE, (c) => `\\${hex2(c.charCodeAt(0))}`));
}

/** XEP-0106 unescaping: each of the ten sequences, left to right, in one pass. */
export function unescapeLocalpart(s: string): string {
  return s.replace(ESCAPED, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

// ---------------------------------------------------------------------------------------------
// RFC 3261 user part

// user = 1*( unreserved / escaped / user-unreserved ); unreserved = alphanum / mark
const USER_CHAR = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/u;
const RAW_USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/u;

/** Percent-encodes (UTF-8, uppercase hex) every character the SIP `user` rule does not allow. */
export function percentEncodeUser(s: string): string {
  let out = '';
  for (const c of s) {
    if (USER_CHAR.test(c)) out += c;
    else for (const b of utf8.encode(c)) out += `%${hex2(b).toUpperCase()}`;
  }
  return out;
}

/** Percent-decodes a raw SIP user part and reads it as UTF-8. */
export function percentDecodeUser(raw: string): AddressResult<string> {
  if (!RAW_USER.test(raw)) return malformed('the SIP user part holds a character SIP does not allow unescaped');
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '%') {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(raw.charCodeAt(i));
    }
  }
  const s = decodeUtf8(Uint8Array.from(bytes));
  return s === undefined ? malformed('the SIP user part is not valid UTF-8') : ok(s);
}

// ---------------------------------------------------------------------------------------------
// GRUU gr ↔ resource

/** The `gr` value for an XMPP resource: the hex of its UTF-8. */
export function sipInstanceFromResource(resource: string): string {
  return Array.from(utf8.encode(resource), hex2).join('');
}

/** The XMPP resource a `gr` value carries, when it is a hex-encoded valid resourcepart. */
export function resourceFromGr(gr: string): AddressResult<string> {
  if (!/^(?:[0-9A-Fa-f]{2})+$/u.test(gr)) return malformed('the gr parameter is not a hex-encoded resource');
  const bytes = new Uint8Array(gr.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(gr.slice(2 * i, 2 * i + 2), 16);
  const s = decodeUtf8(bytes);
  if (s === undefined) return malformed('the gr parameter is not hex of UTF-8');
  return resourcepartProfile(s);
}

// ---------------------------------------------------------------------------------------------
// SIP URIs

const HOSTNAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.?$/u;
const IPV6_REFERENCE = /^\[[0-9a-f:.]+\]$/u;

function isSipHost(h: string): boolean {
  return HOSTNAME.test(h) || IPV6_REFERENCE.test(h);
}

/**
 * Reads a bare `sip:`, `sips:`, `pres:` or `im:` URI (angle brackets are tolerated, a display
 * name is not). The user part is percent-decoded; the password, port, parameters other than `gr`,
 * and headers are dropped. Remembered per string: the core's routing and the translators read the
 * same From and Request-URI of every message.
 */
export const parseSipUri: (uri: string) => AddressResult<SipUri> = memoized(sipUriOf);

function sipUriOf(uri: string): AddressResult<SipUri> {
  let s = uri.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  const colon = s.indexOf(':');
  if (colon < 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/u.test(s.slice(0, colon))) return malformed('not a URI');
  const scheme = s.slice(0, colon).toLowerCase();
  if (!(SIP_URI_SCHEMES as readonly string[]).includes(scheme)) {
    return fail(gatewayError('unsupported-uri-scheme', 'the URI scheme is not sip, sips, pres or im'));
  }
  const rest = s.slice(colon + 1);
  const at = rest.indexOf('@');
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const question = hostPart.indexOf('?');
  const parts = (question >= 0 ? hostPart.slice(0, question) : hostPart).split(';');
  const hostport = parts[0] as string; // split() always yields at least one part
  const params = parts.slice(1);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::[0-9]{1,5})?$/u.exec(hostport);
  const host = (hp?.[1] ?? '').toLowerCase();
  if (!isSipHost(host)) return malformed('the URI host is not a valid host name');
  let gr: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).toLowerCase() === 'gr') gr = p.slice(eq + 1);
  }
  const base = { scheme: scheme as SipUriScheme, host: host.endsWith('.') ? host.slice(0, -1) : host, ...(gr !== undefined && { gr }) };
  if (at < 0) return ok(base);
  const userinfo = rest.slice(0, at);
  const password = userinfo.indexOf(':');
  const user = percentDecodeUser(password >= 0 ? userinfo.slice(0, password) : userinfo);
  if (!user.ok) return user;
  return ok({ ...base, user: user.value });
}

function grResource(uri: SipUri): string | undefined {
  if (uri.gr === undefined) return undefined;
  const r = resourceFromGr(uri.gr);
  return r.ok ? r.value : undefined;
}

/** A SIP user part as an (escaped) JID localpart: profile mapping, XEP-0106, enforcement. */
export const sipUserToLocalpart: (user: string) => AddressResult<string> = memoized(localpartOf);

function localpartOf(user: string): AddressResult<string> {
  const escaped = escapeLocalpart(mapLocalpart(user));
  if (!escaped.ok) return escaped;
  return checkLocalpart(escaped.value);
}

function directJid(uri: SipUri): AddressResult<Jid> {
  const domain = domainpartProfile(uri.host);
  if (!domain.ok) return domain;
  const resource = grResource(uri);
  const base = { domain: domain.value, ...(resource !== undefined && { resource }) };
  if (uri.user === undefined) return ok(base);
  const local = sipUserToLocalpart(uri.user);
  if (!local.ok) return local;
  return ok({ local: local.value, ...base });
}

function escapedJid(uri: SipUri, gatewayDomain: string): AddressResult<Jid> {
  if (uri.user === undefined) return malformed('a SIP URI without a user part has no escaped JID');
  const domain = domainpartProfile(gatewayDomain);
  if (!domain.ok) return domain;
  const user = escapeLocalpart(mapLocalpart(uri.user));
  if (!user.ok) return user;
  const host = uri.host.replace(ESCAPABLE, (c) => `\\${hex2(c.charCodeAt(0))}`);
  const local = checkLocalpart(`${user.value}%${host}`);
  if (!local.ok) return local;
  const resource = grResource(uri);
  return ok({ local: local.value, domain: domain.value, ...(resource !== undefined && { resource }) });
}

/** The JID under which a SIP user appears on the XMPP side, in the given addressing mode. */
export function sipUserToJid(uri: string, mode: AddressingOptions): AddressResult<Jid> {
  const parsed = parseSipUri(uri);
  if (!parsed.ok) return parsed;
  return mode.addressing === 'direct' ? directJid(parsed.value) : escapedJid(parsed.value, mode.gatewayDomain);
}

/** The JID of an XMPP user named by a SIP URI (e.g. a Request-URI): same domain on both sides. */
export function sipUriToXmppUser(uri: string): AddressResult<Jid> {
  const parsed = parseSipUri(uri);
  if (!parsed.ok) return parsed;
  return directJid(parsed.value);
}

function asJid(jid: string | Jid): AddressResult<Jid> {
  return typeof jid === 'string' ? parseJid(jid) : ok(jid);
}

function sipUri(user: string | undefined, host: string, resource: string | undefined): AddressResult<string> {
  if (!isSipHost(host)) return malformed('the domain cannot be written in a SIP URI');
  const userinfo = user !== undefined ? `${percentEncodeUser(user)}@` : '';
  const gr = resource !== undefined ? `;gr=${sipInstanceFromResource(resource)}` : '';
  return ok(`sip:${userinfo}${host}${gr}`);
}

/** The SIP URI of an XMPP user (the inverse of sipUriToXmppUser); a resource becomes `gr`. */
export function xmppUserToSipUri(jid: string | Jid): AddressResult<string> {
  const j = asJid(jid);
  if (!j.ok) return j;
  const { local, domain, resource } = j.value;
  return sipUri(local !== undefined ? unescapeLocalpart(local) : undefined, domain, resource);
}

/** The SIP URI of the SIP user a JID names (the inverse of sipUserToJid). */
export function jidToSipUser(jid: string | Jid, mode: AddressingOptions): AddressResult<string> {
  if (mode.addressing === 'direct') return xmppUserToSipUri(jid);
  const j = asJid(jid);
  if (!j.ok) return j;
  const gateway = domainpartProfile(mode.gatewayDomain);
  if (!gateway.ok) return gateway;
  const { local, domain, resource } = j.value;
  if (domain !== gateway.value) return fail(gatewayError('unknown-domain', 'the JID is not under the gateway domain'));
  if (local === undefined) return malformed('the JID names no SIP user');
  // The SIP domain follows the LAST '%' or '\40', whichever comes later: a domain holds neither,
  // while the user part may hold both (ours).
  const percent = local.lastIndexOf('%');
  const at = local.lastIndexOf('\\40');
  const [cut, width] = percent > at ? [percent, 1] : [at, 3];
  if (cut <= 0) return malformed('the JID names no SIP user and domain');
  const host = unescapeLocalpart(local.slice(cut + width));
  return sipUri(unescapeLocalpart(local.slice(0, cut)), host.endsWith('.') ? host.slice(0, -1) : host, resource);
}
