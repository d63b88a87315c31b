// From, To, Contact, Route values (RFC 3261 §20.10, §20.20, §20.39, §25.1):
//   ( name-addr / addr-spec ) *( SEMI param ),  name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
//   display-name = *(token LWS) / quoted-string
import { TOKEN } from './chars.ts';
import { HeaderValueError } from './header-value-error.ts';
import { endOfQuoted, param, parseParams } from './params.ts';
import type { Params } from './params.ts';
import { parseUri, UriError } from './uri.ts';

export interface NameAddr {
  displayName: string | undefined;
  /** the URI as written, without < > */
  uri: string;
  params: Params;
  tag: string | undefined;
}

export function parseNameAddr(s: string): NameAddr | HeaderValueError {
  let p = 0;
  while (s.charCodeAt(p) === 0x20 || s.charCodeAt(p) === 0x09) p++;
  let displayName: string | undefined;
  let uri: string;
  const lt = s.indexOf('<', p);
  if (s.charCodeAt(p) === 0x22) {
    const end = endOfQuoted(s, p);
    if (end < 0) return new HeaderValueError('unbalanced quotes in display name');
    displayName = s.slice(p + 1, end - 1).replace(/\\(.)/g, '$1');
    p = end;
    while (s.charCodeAt(p) === 0x20 || s.charCodeAt(p) === 0x09) p++;
    if (s.charCodeAt(p) !== 0x3c) return new HeaderValueError('display name not followed by <URI>');
  } else if (lt >= 0) {
    const words = s.slice(p, lt).trim();
    for (let i = 0; i < words.length; i++) {
      const c = words.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && (c > 255 || TOKEN[c] !== 1)) {
        return new HeaderValueError('display name with special characters must be quoted');
      }
    }
    displayName = words === '' ? undefined : words.replace(/[ \t]+/g, ' ');
    p = lt;
  }
  if (s.charCodeAt(p) === 0x3c) {
    const gt = s.indexOf('>', p);
    if (gt < 0) return new HeaderValueError('"<" without ">"');
    uri = s.slice(p + 1, gt);
    if (uri !== uri.trim()) return new HeaderValueError('whitespace inside <>');
    p = gt + 1;
  } else {
    // "If the URI is not enclosed in angle brackets, any semicolon-delimited parameters are
    // header-parameters, not URI parameters." (§20)
    let e = p;
    while (e < s.length && s[e] !== ';' && s[e] !== ' ' && s[e] !== '\t') e++;
    uri = s.slice(p, e);
    // "if the URI contains a comma, question mark or semicolon, the URI MUST be enclosed in angle
    // brackets (< and >)" (§20)
    if (uri.includes('?') || uri.includes(',')) return new HeaderValueError('URI with "?" or "," outside <>');
    p = e;
  }
  const parsed = parseUri(uri);
  if (parsed instanceof UriError) return new HeaderValueError(parsed.detail);
  const params = parseParams(s, p);
  if (params instanceof HeaderValueError) return params;
  return { displayName, uri, params, tag: param(params, 'tag') };
}
