// What a UAS checks before a request reaches its handler (RFC 3261 §8.2), in this order:
// version (505), header syntax (400), Request-URI (416/400), method (501), CSeq method (400),
// Max-Forwards (483), Require (420). Pure: the result is the parsed identity or a rejection.
import { hasSpace } from './chars.ts';
import { parseCSeq, parseMaxForwards } from './cseq.ts';
import { HeaderValueError } from './header-value-error.ts';
import { SINGLE_IN_REQUEST } from './header-names.ts';
import type { SipRequest } from './message.ts';
import { parseNameAddr } from './name-addr.ts';
import type { NameAddr } from './name-addr.ts';
import { isSipUri, parseUri, UriError } from './uri.ts';
import type { SipUri } from './uri.ts';
import { MAGIC_COOKIE, parseVia } from './via.ts';
import type { Via } from './via.ts';

export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY',
  'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

export interface CheckedRequest {
  uri: SipUri;
  vias: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: number;
  maxForwards: number | undefined;
}

export interface Rejection {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
}

export interface CheckOptions {
  /** option-tags we support (for Require) */
  supported: readonly string[];
  /** value of the Allow header for 501 */
  allow: string;
  /**
   * The top Via value as the caller parsed it before stamping received/rport on it (§18.2.1):
   * not parsed again. Its branch and sent-by are what the stamp leaves alone.
   */
  topVia?: Via | undefined;
}

const reject = (status: number, reason: string, headers: Array<[string, string]> = []): Rejection => ({ status, reason, headers });

export function checkRequest(req: SipRequest, opts: CheckOptions): CheckedRequest | Rejection {
  // "If a UAS receives a request with a SIP-Version it does not support, it SHOULD respond with a
  // 505 (Version Not Supported)" (§8.2.2 via §21.5.20)
  if (req.version !== 'SIP/2.0') return reject(505, 'Version Not Supported');
  const h = req.headers;
  for (const name of SINGLE_IN_REQUEST) {
    if (h.count(name) > 1) return reject(400, `Bad Request (more than one ${name})`);
  }
  const vias: Via[] = [];
  for (const v of h.all('via')) {
    const via = vias.length === 0 && opts.topVia !== undefined ? opts.topVia : parseVia(v);
    if (via instanceof HeaderValueError) return reject(400, `Bad Request (Via: ${via.detail})`);
    // A branch that is only the magic cookie carries no transaction identity (RFC 4475 badbranch).
    if (via.branch === MAGIC_COOKIE) return reject(400, 'Bad Request (Via branch is only the magic cookie)');
    vias.push(via);
  }
  if (vias.length === 0) return reject(400, 'Bad Request (missing Via)');
  const fromText = h.first('from');
  const toText = h.first('to');
  const callId = h.first('call-id');
  const cseqText = h.first('cseq');
  if (fromText === undefined || toText === undefined || callId === undefined || cseqText === undefined) {
    return reject(400, 'Bad Request (missing From, To, Call-ID or CSeq)');
  }
  const from = parseNameAddr(fromText);
  if (from instanceof HeaderValueError) return reject(400, `Bad Request (From: ${from.detail})`);
  const to = parseNameAddr(toText);
  if (to instanceof HeaderValueError) return reject(400, `Bad Request (To: ${to.detail})`);
  if (callId === '' || hasSpace(callId)) return reject(400, 'Bad Request (malformed Call-ID)');
  const cseq = parseCSeq(cseqText);
  if (cseq instanceof HeaderValueError) return reject(400, `Bad Request (${cseq.detail})`);
  const mfText = h.first('max-forwards');
  const maxForwards = mfText === undefined ? undefined : parseMaxForwards(mfText);
  if (maxForwards instanceof HeaderValueError) return reject(400, `Bad Request (${maxForwards.detail})`);
  for (const c of h.all('contact')) {
    const contact = c === '*' ? undefined : parseNameAddr(c);
    if (contact instanceof HeaderValueError) return reject(400, `Bad Request (Contact: ${contact.detail})`);
  }
  const uri = parseUri(req.uri);
  if (uri instanceof UriError) return reject(400, `Bad Request (Request-URI: ${uri.detail})`);
  // "If the Request-URI uses a scheme not supported by the UAS, it SHOULD reject the request with
  // a 416 (Unsupported URI Scheme) response." (§8.2.2.1)
  if (!isSipUri(uri)) return reject(416, 'Unsupported URI Scheme');
  // Headers are not allowed in a Request-URI (§19.1.5 table: "headers ... not allowed in R-URI").
  if (uri.headers !== undefined) return reject(400, 'Bad Request (headers in Request-URI)');
  // "If a UAS receives a request whose method it does not support, it MUST respond with a 501
  // (Not Implemented)" ... with an Allow header field (§8.2.1)
  if (!KNOWN_METHODS.has(req.method)) return reject(501, 'Not Implemented', [['Allow', opts.allow]]);
  if (cseq.method !== req.method) return reject(400, 'Bad Request (CSeq method does not match)');
  // "If the Max-Forwards value is zero, the element MUST NOT forward the request. If the request
  // was for OPTIONS, the element MAY act as the final recipient and respond per Section 11.
  // Otherwise, the element MUST return a 483 (Too many hops) response." (§16.3 item 2: the gateway
  // forwards what it accepts into XMPP.)
  if (maxForwards === 0 && req.method !== 'OPTIONS') return reject(483, 'Too Many Hops');
  // "If a UAS does not understand an option-tag listed in a Require header field, it MUST respond
  // by generating a response with status code 420 (Bad Extension). The UAS MUST add an Unsupported
  // header field, and list in it those options it does not understand" (§8.2.2.3)
  if (req.method !== 'ACK' && req.method !== 'CANCEL') {
    const unknown = h.all('require').filter((t) => !opts.supported.includes(t.toLowerCase()));
    if (unknown.length > 0) return reject(420, 'Bad Extension', [['Unsupported', unknown.join(', ')]]);
  }
  return { uri, vias, from, to, callId, cseq: cseq.seq, maxForwards };
}

export function isRejection(r: CheckedRequest | Rejection): r is Rejection {
  return 'status' in r;
}
