// CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16): "The sequence number MUST be expressible as a 32-bit
// unsigned integer and MUST be less than 2**31."
import { digitsEnd, isSpace, isToken } from './chars.ts';
import { HeaderValueError } from './header-value-error.ts';

export interface CSeq { seq: number; method: string }

export function parseCSeq(s: string): CSeq | HeaderValueError {
  // As /^\s*(\d{1,10})\s+(\S+)\s*$/ would read it, without a regular expression per message.
  const start = skipSpace(s, 0);
  const digits = digitsEnd(s, start, 10);
  const methodStart = digits < 0 ? -1 : skipSpace(s, digits);
  let methodEnd = methodStart;
  while (methodEnd >= 0 && methodEnd < s.length && !isSpace(s.charCodeAt(methodEnd))) methodEnd++;
  const ok = methodStart > digits && methodEnd > methodStart && skipSpace(s, methodEnd) === s.length;
  const seq = ok ? Number(s.slice(start, digits)) : NaN;
  const method = ok ? s.slice(methodStart, methodEnd) : '';
  if (!(seq < 2 ** 31) || !isToken(method)) return new HeaderValueError('malformed CSeq');
  return { seq, method };
}

function skipSpace(s: string, p: number): number {
  while (p < s.length && isSpace(s.charCodeAt(p))) p++;
  return p;
}

/** Max-Forwards = 1*DIGIT, 0 to 255 (§20.22). */
export function parseMaxForwards(s: string): number | HeaderValueError {
  const n = digitsEnd(s, 0, 10) === s.length ? Number(s) : 256;
  return n <= 255 ? n : new HeaderValueError('malformed Max-Forwards');
}
