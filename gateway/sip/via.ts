// Via (RFC 3261 §20.42, §25.1; rport RFC 3581; IPv6 sent-by RFC 5118):
//   sent-protocol LWS sent-by *( SEMI via-params ), sent-protocol = name SLASH version SLASH transport
import { allIn, DIGIT, digitsValue, HOST, IPV6, spellingOf, TOKEN } from './chars.ts';
import { HeaderValueError } from './header-value-error.ts';
import { param, parseParams } from './params.ts';
import type { Params } from './params.ts';

export interface Via {
  protocol: string;
  version: string;
  /** upper case: UDP, TCP, TLS, SCTP, WS, ... */
  transport: string;
  host: string;
  ipv6: boolean;
  port: number | undefined;
  params: Params;
  branch: string | undefined;
  received: string | undefined;
  /** RFC 3581: true when present without a value */
  rport: number | true | undefined;
}

/** "The branch ID inserted by an element compliant with this specification MUST always begin with
 * the characters "z9hG4bK"." (§8.1.1.7) */
export const MAGIC_COOKIE = 'z9hG4bK';

function ws(s: string, p: number): number {
  while (s.charCodeAt(p) === 0x20 || s.charCodeAt(p) === 0x09) p++;
  return p;
}

function token(s: string, p: number): number {
  while (p < s.length && TOKEN[s.charCodeAt(p)] === 1) p++;
  return p;
}

/** The upper-case spellings that sent-protocol parts nearly always have. */
const USUAL = ['SIP', 'UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'];

/** s[p, e) in upper case; the usual spellings (in any case) without a new string. */
function upperPart(s: string, p: number, e: number): string {
  return spellingOf(s, p, e, USUAL) ?? s.slice(p, e).toUpperCase();
}

export function parseVia(s: string): Via | HeaderValueError {
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  let p = ws(s, 0);
  let e = token(s, p);
  if (e === p) return new HeaderValueError('malformed Via sent-protocol');
  const protocol = upperPart(s, p, e);
  p = ws(s, e);
  if (s.charCodeAt(p) !== 0x2f) return new HeaderValueError('malformed Via sent-protocol');
  p = ws(s, p + 1);
  e = token(s, p);
  if (e === p) return new HeaderValueError('malformed Via sent-protocol');
  const version = e - p === 3 && s.startsWith('2.0', p) ? '2.0' : s.slice(p, e);
  p = ws(s, e);
  if (s.charCodeAt(p) !== 0x2f) return new HeaderValueError('malformed Via sent-protocol');
  p = ws(s, p + 1);
  e = token(s, p);
  if (e === p) return new HeaderValueError('malformed Via sent-protocol');
  const transport = upperPart(s, p, e);
  p = ws(s, e);
  let host: string;
  let ipv6 = false;
  if (s.charCodeAt(p) === 0x5b) {
    const close = s.indexOf(']', p);
    host = s.slice(p + 1, close);
    if (close < 0 || !host.includes(':') || !allIn(host, IPV6)) return new HeaderValueError('malformed IPv6 reference in Via');
    ipv6 = true;
    p = close + 1;
  } else {
    const start = p;
    while (p < s.length && HOST[s.charCodeAt(p)] === 1) p++;
    host = s.slice(start, p);
    if (host === '') return new HeaderValueError('Via without sent-by host');
  }
  p = ws(s, p);
  let port: number | undefined;
  if (s.charCodeAt(p) === 0x3a) {
    p = ws(s, p + 1);
    const start = p;
    while (DIGIT[s.charCodeAt(p)] === 1) p++;
    port = p > start && p - start <= 5 ? digitsValue(s, start, p) : 65536;
    if (port > 65535) return new HeaderValueError('malformed Via port');
  }
  const params = parseParams(s, p);
  if (params instanceof HeaderValueError) return params;
  const rp = param(params, 'rport');
  let rport: number | true | undefined;
  if (rp === '') rport = true;
  else if (rp !== undefined) {
    rport = /^\d{1,5}$/.test(rp) ? Number(rp) : 65536;
    if (rport > 65535) return new HeaderValueError('malformed rport');
  }
  return {
    protocol, version, transport, host, ipv6, port, params,
    branch: param(params, 'branch'), received: param(params, 'received'), rport,
  };
}
