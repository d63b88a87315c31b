// Content-Type values (RFC 2045 §5.1 / RFC 3261 §20.15): type/subtype *( ";" attribute "=" value ),
// the value a token or a quoted-string. Type, subtype and attribute names are case-insensitive.
import { memoized } from './memo.ts';

export interface MediaType {
  /** Lowercased `type/subtype`. */
  readonly type: string;
  /** Parameters, names lowercased, values as given (quotes and escapes removed). */
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const MEDIA = new RegExp(`^(${TOKEN})/(${TOKEN})$`, 'u');
const PARAM = new RegExp(`^(${TOKEN})=(?:(${TOKEN})|"((?:[^"\\\\]|\\\\.)*)")$`, 'u');

/** Splits at ';' outside quoted strings. */
function splitParams(s: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (quoted && c === '\\') {
      current += c + s.charAt(i + 1);
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** A Content-Type value read; remembered per string (every message of a peer carries the same one). */
export const parseMediaType: (value: string) => MediaType | undefined = memoized(mediaTypeOf);

function mediaTypeOf(value: string): MediaType | undefined {
  const [head = '', ...rest] = splitParams(value);
  const m = MEDIA.exec(head.trim());
  if (m === null) return undefined;
  const params = new Map<string, string>();
  for (const raw of rest) {
    const p = raw.trim();
    if (p === '') continue;
    const pm = PARAM.exec(p.replace(/\s*=\s*/u, '='));
    if (pm === null) return undefined;
    // Group 1 always matches; group 2 (token) or group 3 (quoted) holds the value.
    const [, name, token, quoted] = pm as unknown as [string, string, string | undefined, string];
    params.set(name.toLowerCase(), token ?? quoted.replace(/\\(.)/gu, '$1'));
  }
  return { type: head.trim().toLowerCase(), params };
}
