// SIP-URI / SIPS-URI (RFC 3261 §19.1, §25.1) with IPv6 references (RFC 5118), and the generic
// absoluteURI shape for other schemes (kept opaque: the caller decides between 416 and accepting).
import { allIn, DIGIT, digitsValue, HOST, IPV6, isHex, PARAM, PASSWORD, spellingOf, URI_HEADER, USER } from './chars.ts';

export interface SipUri {
  scheme: 'sip' | 'sips';
  /** user part as written, still %-escaped */
  user: string | undefined;
  password: string | undefined;
  /** host; an IPv6 reference without its brackets */
  host: string;
  ipv6: boolean;
  port: number | undefined;
  params: Array<[string, string | undefined]>;
  /** the "?" headers part as written */
  headers: string | undefined;
}

export interface OtherUri { scheme: string; opaque: string }

export class UriError {
  readonly detail: string;
  constructor(detail: string) { this.detail = detail; }
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (§25.1), of a scheme already in lower case. */
function isScheme(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alpha = c >= 0x61 && c <= 0x7a;
    if (!alpha && (i === 0 || !((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e))) return false;
  }
  return s.length > 0;
}

export function isSipUri(u: SipUri | OtherUri): u is SipUri {
  return u.scheme === 'sip' || u.scheme === 'sips';
}

/** The schemes of the URIs parsed here, as their lower-case constants. */
const SIP_SCHEMES = ['sip', 'sips'];

export function parseUri(s: string): SipUri | OtherUri | UriError {
  const colon = s.indexOf(':');
  const scheme = spellingOf(s, 0, colon, SIP_SCHEMES) ?? s.slice(0, colon).toLowerCase();
  if (colon < 1 || !isScheme(scheme)) return new UriError('URI without a valid scheme');
  if (scheme !== 'sip' && scheme !== 'sips') {
    return colon + 1 < s.length && !/[\s<>"]/.test(s) ? { scheme, opaque: s.slice(colon + 1) } : new UriError(`malformed ${scheme} URI`);
  }
  let p = colon + 1;
  let user: string | undefined;
  let password: string | undefined;
  const at = s.indexOf('@', p);
  if (at >= 0) {
    const info = s.slice(p, at);
    const pc = info.indexOf(':');
    user = pc < 0 ? info : info.slice(0, pc);
    password = pc < 0 ? undefined : info.slice(pc + 1);
    if (user === '' || !allIn(user, USER) || (password !== undefined && !allIn(password, PASSWORD))) {
      return new UriError('malformed user part');
    }
    p = at + 1;
  }
  let host: string;
  let ipv6 = false;
  if (s.charCodeAt(p) === 0x5b) {
    const close = s.indexOf(']', p);
    host = s.slice(p + 1, close);
    if (close < 0 || !host.includes(':') || !allIn(host, IPV6)) return new UriError('malformed IPv6 reference');
    ipv6 = true;
    p = close + 1;
  } else {
    let e = p;
    while (e < s.length && HOST[s.charCodeAt(e)] === 1) e++;
    host = s.slice(p, e);
    if (host === '') return new UriError('missing host');
    p = e;
  }
  let port: number | undefined;
  if (s.charCodeAt(p) === 0x3a) {
    let e = p + 1;
    while (DIGIT[s.charCodeAt(e)] === 1) e++;
    port = e > p + 1 && e - p <= 6 ? digitsValue(s, p + 1, e) : 65536;
    if (port > 65535) return new UriError('malformed port');
    p = e;
  }
  const q = s.indexOf('?', p);
  const paramEnd = q < 0 ? s.length : q;
  const params: Array<[string, string | undefined]> = [];
  if (p < paramEnd) {
    if (s.charCodeAt(p) !== 0x3b) return new UriError('unexpected character after host');
    for (const param of s.slice(p + 1, paramEnd).split(';')) {
      const eq = param.indexOf('=');
      const name = eq < 0 ? param : param.slice(0, eq);
      const value = eq < 0 ? undefined : param.slice(eq + 1);
      if (name === '' || value === '' || !allIn(param, PARAM, 0, eq < 0 ? param.length : eq) ||
        (value !== undefined && !allIn(value, PARAM))) return new UriError('malformed URI parameter');
      params.push([name.toLowerCase(), value]);
    }
  }
  const headers = q < 0 ? undefined : s.slice(q + 1);
  if (headers !== undefined && !allIn(headers, URI_HEADER)) return new UriError('malformed URI headers');
  return { scheme, user, password, host, ipv6, port, params, headers };
}

export function uriParam(u: SipUri, name: string): string | undefined {
  for (const [n, v] of u.params) if (n === name) return v ?? '';
  return undefined;
}

/**
 * Host in a comparable form: lower case; IPv6 references rewritten canonically, which also makes
 * the three-colon form of RFC 5118 §4.4 ("2001:db8:::192.0.2.1") name the same address as "::".
 */
export function canonicalHost(host: string): string {
  const h = host.toLowerCase();
  if (!h.includes(':')) return h;
  try {
    return new URL(`http://[${h.replace(':::', '::')}]/`).hostname.slice(1, -1);
  } catch {
    return h;
  }
}

/** %-unescapes a URI component byte-wise (so %00 survives as U+0000, never truncating). */
export function unescapeUri(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i] as string, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
