// Building a response to a request (RFC 3261 §8.2.6): "The From field of the response MUST equal
// the From header field of the request. The Call-ID ... MUST equal ... The CSeq ... MUST equal ...
// The Via header field values in the response MUST equal the Via header field values in the
// request and MUST maintain the same ordering." To gets our tag on everything but 100.
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
  const parsed = parseNameAddr(to);
  return parsed instanceof HeaderValueError || parsed.tag !== undefined ? to : `${to};tag=${tag}`;
}
