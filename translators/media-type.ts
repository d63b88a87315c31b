// Content-Type values (RFC 2045 §5.1 / RFC 3261 §20.15): type/subtype *( ";" attribute "=" value ),
// the value a token or a quoted-string. Type, subtype and attribute names are case-insensitive.

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

export function parseMediaType(value: string): MediaType | undefined {
  const [head = '', ...rest] = splitParams(value);
  const m = MEDIA.exec(head.trim());
  if (m === null) return undefined;
  const params = new Map<string, string>();
  for (const raw of rest) {
    const p = raw.trim();
    if (p === '') continue;
    const pm = PARAM.exec(p.replace(/\s*=\s*/u, '='));
    if (pm === null) return undefined;
    params.set((pm[1] ?? '').toLowerCase(), pm[2] ?? (pm[3] ?? '').replace(/\\(.)/gu, '$1'));
  }
  return { type: `${m[1] ?? ''}/${m[2] ?? ''}`.toLowerCase(), params };
}
