// Header parameters: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ],
// gen-value = token / host / quoted-string (RFC 3261 §25.1), with LWS allowed around ";" and "=".
import { spellingOf, TOKEN } from './chars.ts';
import { HeaderValueError } from './header-value-error.ts';

export type Params = Array<[string, string | undefined]>;

function skipWs(s: string, p: number): number {
  while (p < s.length && (s.charCodeAt(p) === 0x20 || s.charCodeAt(p) === 0x09)) p++;
  return p;
}

function isValueChar(c: number): boolean {
  return c < 256 && (TOKEN[c] === 1 || c === 0x3a || c === 0x5b || c === 0x5d);
}

/** Names that nearly every parameter has, in lower case. */
const USUAL_NAMES = ['branch', 'tag', 'rport', 'received', 'expires', 'q', 'lr', 'transport', 'maddr', 'ttl', 'user', 'method'];

/** s[from, to) in lower case (a token); the usual names (in any case) without a new string. */
function paramName(s: string, from: number, to: number): string {
  return spellingOf(s, from, to, USUAL_NAMES) ?? s.slice(from, to).toLowerCase();
}

/**
 * The parameters go here first and to the caller in an array of their exact size: the first push
 * onto an empty array reserves 17 slots (~150 bytes per header parsed, most have one parameter).
 */
const scratch: Params = [];

/** Parses from p (at a ";" or the end, LWS allowed) to the end of s. */
export function parseParams(s: string, p: number): Params | HeaderValueError {
  scratch.length = 0;
  const out = scratch;
  for (;;) {
    p = skipWs(s, p);
    if (p >= s.length) return out.slice();
    if (s.charCodeAt(p) !== 0x3b) return new HeaderValueError(`unexpected "${s[p]}" before parameter`);
    p = skipWs(s, p + 1);
    const nameStart = p;
    while (p < s.length && TOKEN[s.charCodeAt(p)] === 1) p++;
    if (p === nameStart) return new HeaderValueError('empty parameter');
    const name = paramName(s, nameStart, p);
    p = skipWs(s, p);
    let value: string | undefined;
    if (s.charCodeAt(p) === 0x3d) {
      p = skipWs(s, p + 1);
      const vStart = p;
      if (s.charCodeAt(p) === 0x22) {
        const end = endOfQuoted(s, p);
        if (end < 0) return new HeaderValueError('unterminated quoted parameter value');
        p = end;
      } else {
        while (p < s.length && isValueChar(s.charCodeAt(p))) p++;
      }
      if (p === vStart) return new HeaderValueError(`parameter "${name}" without a value`);
      value = s.slice(vStart, p);
    }
    out.push([name, value]);
  }
}

/** Index just past the closing quote of the quoted-string starting at p, or -1. */
export function endOfQuoted(s: string, p: number): number {
  for (let i = p + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

export function param(params: Params, name: string): string | undefined {
  for (const [n, v] of params) if (n === name) return v ?? '';
  return undefined;
}
