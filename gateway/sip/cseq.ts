// CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16): "The sequence number MUST be expressible as a 32-bit
// unsigned integer and MUST be less than 2**31."
import { isToken } from './chars.ts';
import { HeaderValueError } from './header-value-error.ts';

export interface CSeq { seq: number; method: string }

export function parseCSeq(s: string): CSeq | HeaderValueError {
  const m = /^\s*(\d{1,10})\s+(\S+)\s*$/.exec(s);
  const seq = m ? Number(m[1]) : NaN;
  const method = m?.[2] ?? '';
  if (!(seq < 2 ** 31) || !isToken(method)) return new HeaderValueError('malformed CSeq');
  return { seq, method };
}

/** Max-Forwards = 1*DIGIT, 0 to 255 (§20.22). */
export function parseMaxForwards(s: string): number | HeaderValueError {
  const n = /^\d{1,10}$/.test(s) ? Number(s) : 256;
  return n <= 255 ? n : new HeaderValueError('malformed Max-Forwards');
}
