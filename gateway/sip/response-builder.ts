// Building a response to a request (RFC 3261 §8.2.6): "The From field of the response MUST equal
// the From header field of the request. The Call-ID ... MUST equal ... The CSeq ... MUST equal ...
// The Via header field values in the response MUST equal the Via header field values in the
// request and MUST maintain the same ordering." To gets our tag on everything but 100.
import { writeMessage } from './byte-writer.ts';
import type { ByteWriter } from './byte-writer.ts';
import { headerKey } from './header-names.ts';
import { SipHeaders } from './headers.ts';
import { EMPTY_BODY } from './message.ts';
import type { SipResponse } from './message.ts';
import { HeaderValueError } from './header-value-error.ts';
import { parseNameAddr } from './name-addr.ts';

export interface ResponseOptions {
  /** tag to add to To when it has none (ignored for 100) */
  toTag: string;
  /** the request's To already has a tag (the caller parsed it): saves parsing To again */
  toHasTag?: boolean | undefined;
  server?: string | undefined;
  headers?: Array<[string, string]> | undefined;
  body?: Buffer | undefined;
}

const REASONS: Record<number, string> = {
  100: 'Trying', 200: 'OK', 202: 'Accepted', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 483: 'Too Many Hops',
  488: 'Not Acceptable Here', 500: 'Server Internal Error', 501: 'Not Implemented',
  503: 'Service Unavailable', 504: 'Server Time-out', 505: 'Version Not Supported', 603: 'Decline',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 300 ? 'OK' : 'Error');
}

/** The request's headers (from a parsed request or a ParseError) → response. */
export function buildResponse(request: SipHeaders, status: number, reason: string, opts: ResponseOptions): SipResponse {
  const headers = new SipHeaders();
  for (let i = 0; i < request.size; i++) {
    if (request.keyAt(i) === 'via') headers.append('Via', request.valueAt(i));
  }
  const from = request.first('from');
  if (from !== undefined) headers.append('From', from);
  const to = request.first('to');
  if (to !== undefined) headers.append('To', status === 100 || opts.toHasTag === true ? to : opts.toHasTag === false ? `${to};tag=${opts.toTag}` : withTag(to, opts.toTag));
  const callId = request.first('call-id');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = request.first('cseq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  for (const [n, v] of opts.headers ?? []) headers.append(n, v);
  if (opts.server !== undefined) headers.append('Server', opts.server);
  return { kind: 'response', version: 'SIP/2.0', status, reason, headers, body: opts.body ?? EMPTY_BODY };
}

function withTag(to: string, tag: string): string {
  return needsTag(to) ? `${to};tag=${tag}` : to;
}

/** A To without a tag gets ours; one that does not parse is echoed as it is. */
function needsTag(to: string): boolean {
  const parsed = parseNameAddr(to);
  return !(parsed instanceof HeaderValueError) && parsed.tag === undefined;
}

/**
 * serialize(buildResponse(request, status, reason, opts)), written straight into its bytes: the
 * request's Via, From, To, Call-ID and CSeq values copied from the bytes received (byte-writer.ts),
 * with no message built in between. What every transaction answers with.
 */
export function writeResponse(request: SipHeaders, status: number, reason: string, opts: ResponseOptions): Buffer {
  const to = request.indexOf('to');
  const tag = to < 0 || status === 100 || opts.toHasTag === true ? undefined
    : opts.toHasTag === false || needsTag(request.valueAt(to)) ? opts.toTag : undefined;
  return writeMessage(layoutResponse, request, opts, { status, reason, tag });
}

const CRLF = '\r\n';

function layoutResponse(w: ByteWriter, h: SipHeaders, opts: ResponseOptions, r: { status: number; reason: string; tag: string | undefined }): void {
  w.text('SIP/2.0 ').int(r.status).text(' ').text(r.reason).text(CRLF);
  for (let i = 0; i < h.size; i++) if (h.keyAt(i) === 'via') field(w, h, i, 'Via: ');
  field(w, h, h.indexOf('from'), 'From: ');
  const to = h.indexOf('to');
  if (to >= 0) {
    w.text('To: ');
    h.writeValue(to, w);
    if (r.tag !== undefined) w.text(';tag=').text(r.tag);
    w.text(CRLF);
  }
  field(w, h, h.indexOf('call-id'), 'Call-ID: ');
  field(w, h, h.indexOf('cseq'), 'CSeq: ');
  const body = opts.body ?? EMPTY_BODY;
  let wroteLength = false;
  for (const [n, v] of opts.headers ?? []) {
    // serialize(): Content-Length is the body's length, where the first one stands.
    const isLength = headerKey(n) === 'content-length';
    if (!isLength) w.text(n).text(': ').text(v).text(CRLF);
    else if (!wroteLength) w.text(n).text(': ').int(body.length).text(CRLF);
    wroteLength ||= isLength;
  }
  if (opts.server !== undefined) w.text('Server: ').text(opts.server).text(CRLF);
  if (!wroteLength) w.text('Content-Length: ').int(body.length).text(CRLF);
  w.text(CRLF);
  if (body.length > 0) w.bytes(body, 0, body.length);
}

function field(w: ByteWriter, h: SipHeaders, i: number, name: string): void {
  if (i < 0) return;
  w.text(name);
  h.writeValue(i, w);
  w.text(CRLF);
}
