// Buffer → SipRequest | SipResponse | ParseError: a hand-written scanner over the bytes (RFC 3261
// §7, §25). Header values are left as byte ranges; see headers.ts.
import { SipHeaders } from './headers.ts';
import { EMPTY_BODY } from './message.ts';
import type { SipMessage } from './message.ts';
import { ParseError } from './parse-error.ts';
import { DIGIT, TOKEN } from './chars.ts';
import { headerKey, knownHeaderKey, nameHash } from './header-names.ts';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const CRLFCRLF = Buffer.from('\r\n\r\n');

type StartLine =
  | { kind: 'request'; method: string; uri: string; version: string }
  | { kind: 'response'; status: number; reason: string; version: string };

/** The start line and header section of a message, before its body is known. */
export interface Head {
  start: StartLine | ParseError;
  headers: SipHeaders;
  /** Declared Content-Length; undefined when absent; a ParseError when unusable. */
  contentLength: number | undefined | ParseError;
  /** Offset of the first body byte. */
  bodyStart: number;
}

/**
 * "Implementations processing SIP messages over stream-oriented transports MUST ignore any CRLF
 * appearing before the start-line" (§7.5); datagrams are treated the same way.
 */
export function skipLeadingCrlf(buf: Buffer, p: number, end: number): number {
  while (p + 1 < end && buf[p] === CR && buf[p + 1] === LF) p += 2;
  return p;
}

/** Index of the CRLFCRLF ending the header section, or -1. */
export function findHeadEnd(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(CRLFCRLF, from);
  return i < 0 || i + 4 > end ? -1 : i;
}

/**
 * Reads the start line and header fields of buf[start, headEnd + 2): headEnd is where the
 * CRLFCRLF begins, so the section includes the CRLF ending the last header line.
 */
export function parseHead(buf: Buffer, start: number, headEnd: number): Head | ParseError {
  const sectionEnd = headEnd + 2;
  // Always found: the CRLFCRLF at headEnd is in buf.
  const lineEnd = buf.indexOf(CR, start);
  const isResponse = startsWithSip(buf, start, lineEnd);
  // The fields go to scratch arrays first and to the message in arrays of their exact size:
  // arrays grown push by push were ~650 bytes of garbage per message.
  const keys = scratchKeys;
  const offsets = scratchOffsets;
  let n = 0;
  /** offsets of the first Content-Length value, and whether another followed */
  let clStart = -1;
  let clEnd = -1;
  let clRepeated = false;
  let p = lineEnd + 2;
  while (p < sectionEnd) {
    const nameStart = p;
    let h = 0;
    for (let c = buf[p] as number; TOKEN[c] === 1; c = buf[++p] as number) h = nameHash(h, c);
    const nameEnd = p;
    while (buf[p] === SP || buf[p] === HT) p++;
    if (nameEnd === nameStart || buf[p] !== 0x3a) {
      const line = buf.toString('latin1', nameStart, Math.min(buf.indexOf(CR, nameStart), nameStart + 40));
      return new ParseError('header-syntax', `malformed header line "${line}"`, isResponse);
    }
    p++;
    // LWS = [*WSP CRLF] 1*WSP: skip it before the value.
    for (;;) {
      if (buf[p] === SP || buf[p] === HT) p++;
      else if (buf[p] === CR && buf[p + 1] === LF && (buf[p + 2] === SP || buf[p + 2] === HT) && p + 2 < sectionEnd) p += 3;
      else break;
    }
    const valueStart = p;
    // Always found before sectionEnd (the section ends with a CRLF); a short JS scan beats a
    // native indexOf call per line.
    let end = p;
    while (buf[end] !== CR) end++;
    // A line beginning with whitespace continues the field (folding, §7.3.1).
    while (end + 2 < sectionEnd && (buf[end + 2] === SP || buf[end + 2] === HT)) end = buf.indexOf(CR, end + 2);
    if (buf[end + 1] !== LF) return new ParseError('header-syntax', 'CR without LF in header section', isResponse);
    let valueEnd = end;
    while (valueEnd > valueStart && isLws(buf[valueEnd - 1] as number)) valueEnd--;
    const key = knownHeaderKey(buf, nameStart, nameEnd, h) ?? headerKey(buf.toString('latin1', nameStart, nameEnd));
    keys[n] = key;
    const o = n * 4;
    offsets[o] = nameStart;
    offsets[o + 1] = nameEnd;
    offsets[o + 2] = valueStart;
    offsets[o + 3] = valueEnd;
    n++;
    if (key === 'content-length') {
      if (clStart < 0) {
        clStart = valueStart;
        clEnd = valueEnd;
      } else {
        clRepeated = true;
      }
    }
    p = end + 2;
  }
  const headers = new SipHeaders(buf, keys.slice(0, n), offsets.slice(0, n * 4));
  const contentLength = clStart < 0 ? undefined : readContentLength(buf, clStart, clEnd, isResponse, headers);
  const startLine = isResponse ? parseStatusLine(buf, start, lineEnd) : parseRequestLine(buf, start, lineEnd);
  return {
    start: startLine,
    headers,
    // An unusable first Content-Length is reported as such, a usable one repeated as a duplicate.
    contentLength: clRepeated && !(contentLength instanceof ParseError)
      ? new ParseError('content-length-duplicate', 'more than one Content-Length', isResponse, headers)
      : contentLength,
    bodyStart: headEnd + 4,
  };
}

/** parseHead's fields before they are copied to the message (it runs to completion, never nested). */
const scratchKeys: string[] = [];
const scratchOffsets: number[] = [];

function isLws(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}

function startsWithSip(buf: Buffer, p: number, end: number): boolean {
  return end - p >= 4 && ((buf[p] as number) | 0x20) === 0x73 && ((buf[p + 1] as number) | 0x20) === 0x69 &&
    ((buf[p + 2] as number) | 0x20) === 0x70 && buf[p + 3] === 0x2f;
}

function readContentLength(buf: Buffer, from: number, to: number, isResponse: boolean, headers: SipHeaders): number | ParseError {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i] as number;
    if (DIGIT[c] !== 1 || n > 1e8) {
      return new ParseError('content-length-invalid', `Content-Length "${buf.toString('latin1', from, to)}"`, isResponse, headers);
    }
    n = n * 10 + c - 0x30;
  }
  return to > from ? n : new ParseError('content-length-invalid', 'empty Content-Length', isResponse, headers);
}

const VERSION = /^SIP\/\d{1,3}\.\d{1,3}$/i;

/** Request-Line = Method SP Request-URI SP SIP-Version CRLF (runs of SP tolerated: lwsstart, trws). */
function parseRequestLine(buf: Buffer, start: number, end: number): StartLine | ParseError {
  // Three SP-separated parts; a UTF-8 sequence never contains the SP byte, so splitting the bytes
  // is splitting the decoded line.
  let p = skip(buf, start, end, true);
  const methodStart = p;
  p = skip(buf, p, end, false);
  const methodEnd = p;
  const uriStart = p = skip(buf, p, end, true);
  const uriEnd = p = skip(buf, p, end, false);
  const versionStart = p = skip(buf, p, end, true);
  const versionEnd = p = skip(buf, p, end, false);
  if (versionStart === versionEnd || skip(buf, p, end, true) !== end) return new ParseError('start-line', 'malformed Request-Line');
  for (let i = methodStart; i < methodEnd; i++) {
    if (TOKEN[buf[i] as number] !== 1) return new ParseError('start-line', 'method is not a token');
  }
  const sip20 = isSip20(buf, versionStart, versionEnd);
  const version = sip20 ? 'SIP/2.0' : buf.toString('utf8', versionStart, versionEnd);
  if (!sip20 && !VERSION.test(version)) return new ParseError('start-line', 'malformed SIP-Version');
  return { kind: 'request', method: methodName(buf, methodStart, methodEnd), uri: buf.toString('utf8', uriStart, uriEnd), version: sip20 ? version : version.toUpperCase() };
}

/** The first index from p (up to end) whose byte is not SP (spaces) or is SP (!spaces). */
function skip(buf: Buffer, p: number, end: number, spaces: boolean): number {
  while (p < end && (buf[p] === SP) === spaces) p++;
  return p;
}

function isSip20(buf: Buffer, p: number, end: number): boolean {
  return end - p === 7 && buf[p] === 0x53 && buf[p + 1] === 0x49 && buf[p + 2] === 0x50 && buf[p + 3] === 0x2f &&
    buf[p + 4] === 0x32 && buf[p + 5] === 0x2e && buf[p + 6] === 0x30;
}

const METHODS = ['MESSAGE', 'OPTIONS', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'INFO', 'PRACK', 'UPDATE', 'REFER'];

/** The method's token as a string, the common ones without decoding. */
function methodName(buf: Buffer, start: number, end: number): string {
  for (const m of METHODS) if (m.length === end - start && sameAscii(buf, start, m)) return m;
  return buf.toString('latin1', start, end);
}

function sameAscii(buf: Buffer, p: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (buf[p + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF; Status-Code = 3DIGIT. */
function parseStatusLine(buf: Buffer, start: number, end: number): StartLine | ParseError {
  const sp = buf.indexOf(SP, start);
  const version = buf.toString('latin1', start, sp < 0 || sp > end ? end : sp);
  if (!VERSION.test(version) || sp < 0 || sp > end) return new ParseError('start-line', 'malformed Status-Line', true);
  const d = sp + 1;
  const ok = d + 3 <= end && DIGIT[buf[d] as number] === 1 && DIGIT[buf[d + 1] as number] === 1 &&
    DIGIT[buf[d + 2] as number] === 1 && (d + 3 === end || buf[d + 3] === SP);
  const status = ok ? Number(buf.toString('latin1', d, d + 3)) : 0;
  if (status < 100 || status > 699) return new ParseError('status-code', 'Status-Code is not 3 digits from 100 to 699', true);
  return { kind: 'response', status, reason: buf.toString('utf8', Math.min(d + 4, end), end), version: version.toUpperCase() };
}

/** Assembles a message from its head and body bytes. */
export function completeMessage(head: Head, body: Buffer): SipMessage | ParseError {
  const s = head.start;
  if (s instanceof ParseError) return new ParseError(s.reason, s.detail, s.isResponse, head.headers);
  return s.kind === 'request'
    ? { kind: 'request', method: s.method, uri: s.uri, version: s.version, headers: head.headers, body }
    : { kind: 'response', status: s.status, reason: s.reason, version: s.version, headers: head.headers, body };
}

/**
 * One datagram is one message (§18.3): without Content-Length the body is the rest of the datagram;
 * "If there are additional bytes in the transport packet beyond the end of the body, they MUST be
 * discarded. If the transport packet ends before the end of the message body, this is considered
 * an error."
 */
export function parseDatagram(buf: Buffer): SipMessage | ParseError {
  const start = skipLeadingCrlf(buf, 0, buf.length);
  if (start >= buf.length) return new ParseError('empty', 'empty datagram');
  let headEnd = findHeadEnd(buf, start, buf.length);
  let missingBlank = false;
  if (headEnd < 0) {
    // Read what headers there are, so that a 400 can still be formed.
    missingBlank = true;
    headEnd = buf.length;
    while (headEnd > start && (buf[headEnd - 1] === CR || buf[headEnd - 1] === LF)) headEnd--;
    buf = Buffer.concat([buf.subarray(0, headEnd), CRLFCRLF]);
  }
  const head = parseHead(buf, start, headEnd);
  if (head instanceof ParseError) return head;
  const isResponse = !(head.start instanceof ParseError) ? head.start.kind === 'response' : head.start.isResponse;
  if (missingBlank) return new ParseError('no-empty-line', 'no empty line after the header section', isResponse, head.headers);
  const cl = head.contentLength;
  if (cl instanceof ParseError) return cl;
  const available = buf.length - head.bodyStart;
  if (cl !== undefined && cl > available) {
    return new ParseError('body-truncated', `Content-Length ${cl} exceeds the ${available} body bytes received`, isResponse, head.headers);
  }
  const len = cl ?? available;
  return completeMessage(head, len === 0 ? EMPTY_BODY : buf.subarray(head.bodyStart, head.bodyStart + len));
}
