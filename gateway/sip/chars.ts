// Byte classes of the RFC 3261 §25.1 grammar, as lookup tables for the scanners.

function table(chars: string, ranges: Array<[number, number]> = []): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) t[c] = 1;
  return t;
}
const ALNUM: Array<[number, number]> = [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]];

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" ) */
export const TOKEN = table("-.!%*_+`'~", ALNUM);

/** Characters of a user part: unreserved / escaped / user-unreserved (the "%" starts an escape). */
export const USER = table("-_.!~*'()&=+$,;?/%", ALNUM);
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
export const PASSWORD = table("-_.!~*'()&=+$,%", ALNUM);
/** hostname characters (domain labels and IPv4). */
export const HOST = table('-.', ALNUM);
/** paramchar = param-unreserved / unreserved / escaped, plus "=" between name and value. */
export const PARAM = table("[]/:&+$-_.!~*'()%", ALNUM);
/** hnv-unreserved / unreserved / escaped, plus "=" and "&" separators of URI headers. */
export const URI_HEADER = table("[]/?:+$-_.!~*'()%=&", ALNUM);
/** IPv6 reference contents. */
export const IPV6 = table(':.', [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]]);
export const DIGIT = table('', [[0x30, 0x39]]);

/** What /\s/ matches (ECMAScript WhiteSpace and LineTerminator), for scanners that stand in for it. */
export function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c >= 0xa0 && (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff);
}

/** True when s has a character /\s/ matches. */
export function hasSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isSpace(s.charCodeAt(i))) return true;
  return false;
}

/** The end of the run of 1 to `max` ASCII digits at p, or -1 when there are none or more. */
export function digitsEnd(s: string, p: number, max: number): number {
  let e = p;
  while (e < s.length && DIGIT[s.charCodeAt(e)] === 1) e++;
  return e === p || e - p > max ? -1 : e;
}

/** The number the ASCII digits s[from, to) write (the caller checked they are digits). */
export function digitsValue(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 0x30;
  return n;
}

/**
 * The one of `spellings` (letters only) that s[from, to) is, letters compared in any case;
 * undefined when none is. A parser returns that constant for the values nearly every message
 * carries (a scheme, a transport, a parameter name) instead of making a string per message.
 */
export function spellingOf(s: string, from: number, to: number, spellings: readonly string[]): string | undefined {
  next: for (const w of spellings) {
    if (w.length !== to - from) continue;
    for (let i = 0; i < w.length; i++) if ((s.charCodeAt(from + i) | 0x20) !== (w.charCodeAt(i) | 0x20)) continue next;
    return w;
  }
  return undefined;
}

export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** True when every char of s is in the table and every "%" starts a valid escape. */
export function allIn(s: string, t: Uint8Array, from = 0, to = s.length): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || t[c] !== 1) return false;
    if (c === 0x25 && t !== TOKEN) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2)) || i + 2 >= to) return false;
      i += 2;
    }
  }
  return true;
}

export function isToken(s: string): boolean {
  return s.length > 0 && allIn(s, TOKEN);
}
