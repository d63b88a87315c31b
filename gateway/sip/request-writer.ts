// Our own requests' bytes (RFC 3261 §8.1.1), written straight into one Buffer (byte-writer.ts):
// Request-Line, Via, Max-Forwards, From, To, Call-ID, CSeq, Route, Contact, the caller's fields,
// User-Agent unless the caller gave one, Content-Length (where the caller put one, else last).
import { writeMessage } from './byte-writer.ts';
import type { ByteWriter } from './byte-writer.ts';
import type { OutgoingRequestSpec } from './api-types.ts';
import { headerKey } from './header-names.ts';
import { EMPTY_BODY } from './message.ts';

/** What the endpoint decides for this one request: the rest comes from the caller's spec. */
export interface RequestParts {
  method: string;
  /** "SIP/2.0/UDP host:port;branch=" — the branch follows */
  viaPrefix: string;
  branch: string;
  /** our Contact for this transport, written when spec.contact */
  contact: string;
  fromTag: string;
  callId: string;
  cseq: number;
  userAgent: string;
}

export function writeRequest(spec: OutgoingRequestSpec, parts: RequestParts): Buffer {
  return writeMessage(layout, spec, parts, undefined);
}

const CRLF = '\r\n';

function layout(w: ByteWriter, spec: OutgoingRequestSpec, p: RequestParts): void {
  const body = spec.body ?? EMPTY_BODY;
  w.text(p.method).text(' ').text(spec.requestUri).text(' SIP/2.0\r\nVia: ').text(p.viaPrefix).text(p.branch).text(';rport\r\nMax-Forwards: 70\r\nFrom: ');
  if (spec.from.displayName !== undefined) w.text('"').text(spec.from.displayName.replace(/["\\]/g, '\\$&')).text('" ');
  w.text('<').text(spec.from.uri).text('>;tag=').text(p.fromTag).text('\r\nTo: <').text(spec.to.uri).text('>');
  if (spec.toTag !== undefined) w.text(';tag=').text(spec.toTag);
  w.text('\r\nCall-ID: ').text(p.callId).text('\r\nCSeq: ').int(p.cseq).text(' ').text(p.method).text(CRLF);
  if (spec.route !== undefined) for (const r of spec.route) w.text('Route: ').text(r).text(CRLF);
  if (spec.contact === true) w.text('Contact: ').text(p.contact).text(CRLF);
  let userAgent = false;
  let length = false;
  for (const [n, v] of spec.headers ?? []) {
    const key = headerKey(n);
    if (key === 'content-length') {
      if (!length) w.text(n).text(': ').int(body.length).text(CRLF);
      length = true;
      continue;
    }
    if (key === 'user-agent') userAgent = true;
    w.text(n).text(': ').text(v).text(CRLF);
  }
  if (!userAgent) w.text('User-Agent: ').text(p.userAgent).text(CRLF);
  if (!length) w.text('Content-Length: ').int(body.length).text(CRLF);
  w.text(CRLF);
  if (body.length > 0) w.bytes(body, 0, body.length);
}
