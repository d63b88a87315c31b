// Header names: compact forms (RFC 3261 §7.3.3 and the extensions that define one) and which
// headers may carry a comma-separated list of values (RFC 3261 §7.3.1).

/** compact form → full name, lower case. */
const COMPACT: Record<string, string> = {
  a: 'accept-contact', b: 'referred-by', c: 'content-type', d: 'request-disposition',
  e: 'content-encoding', f: 'from', i: 'call-id', j: 'reject-contact', k: 'supported',
  l: 'content-length', m: 'contact', n: 'identity-info', o: 'event', r: 'refer-to',
  s: 'subject', t: 'to', u: 'allow-events', v: 'via', x: 'session-expires', y: 'identity',
};

const cache = new Map<string, string>();

/** The key a header is stored under: its full name in lower case ("v", "VIA" → "via"). */
export function headerKey(name: string): string {
  let key = cache.get(name);
  if (key === undefined) {
    const lower = name.toLowerCase();
    key = COMPACT[lower] ?? lower;
    if (cache.size < 4096) cache.set(name, key);
  }
  return key;
}

/**
 * Header names the parser recognises from their bytes without building a string: the hash below
 * over the case-folded name selects a candidate, which is then compared byte for byte. Anything
 * not listed (or colliding) takes the headerKey() path.
 */
const KNOWN_NAMES = [
  'via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'contact', 'content-type', 'content-length',
  'user-agent', 'server', 'supported', 'require', 'proxy-require', 'unsupported', 'allow', 'accept',
  'accept-encoding', 'accept-language', 'expires', 'min-expires', 'event', 'allow-events',
  'subscription-state', 'route', 'record-route', 'path', 'service-route', 'date', 'timestamp',
  'authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate',
  'authentication-info', 'p-asserted-identity', 'p-preferred-identity', 'privacy', 'subject',
  'organization', 'priority', 'reply-to', 'in-reply-to', 'retry-after', 'warning', 'mime-version',
  'content-encoding', 'content-disposition', 'content-language', 'alert-info', 'call-info', 'error-info',
  'refer-to', 'referred-by', 'session-expires', 'min-se', 'rseq', 'rack', 'sip-etag', 'sip-if-match',
  'identity', 'identity-info', 'accept-contact', 'reject-contact', 'request-disposition',
  ...Object.keys(COMPACT),
];

/** Folds one byte of a token to lower case (on token characters, `| 0x20` is exactly that). */
export function nameHash(h: number, c: number): number {
  return (Math.imul(h, 31) + (c | 0x20)) | 0;
}

const known = new Map<number, { spelling: string; key: string }>();
for (const spelling of KNOWN_NAMES) {
  let h = 0;
  for (let i = 0; i < spelling.length; i++) h = nameHash(h, spelling.charCodeAt(i));
  if (!known.has(h)) known.set(h, { spelling, key: COMPACT[spelling] ?? spelling });
}

/**
 * headerKey() of the name buf[start, end), when it is a known name: h is that range's nameHash.
 * undefined when the name must be decoded and looked up the slow way.
 */
export function knownHeaderKey(buf: Buffer, start: number, end: number, h: number): string | undefined {
  const k = known.get(h);
  if (k === undefined || k.spelling.length !== end - start) return undefined;
  const s = k.spelling;
  for (let i = 0; i < s.length; i++) if (((buf[start + i] as number) | 0x20) !== s.charCodeAt(i)) return undefined;
  return k.key;
}

/**
 * "Multiple header field rows with the same field-name MAY be present in a message if and only if
 * the entire field-value for that header field is defined as a comma-separated list" (§7.3).
 * Only these are split on commas; Date, Authorization and friends contain commas of their own.
 */
const LISTS = new Set([
  'via', 'contact', 'route', 'record-route', 'accept', 'accept-encoding', 'accept-language',
  'allow', 'supported', 'require', 'proxy-require', 'unsupported', 'content-encoding',
  'alert-info', 'call-info', 'error-info', 'in-reply-to', 'warning', 'allow-events',
  'accept-contact', 'reject-contact', 'path', 'service-route',
]);

export function isListHeader(key: string): boolean {
  return LISTS.has(key);
}

/** Headers a request may carry at most once (§20; multi01 repeats them). */
export const SINGLE_IN_REQUEST = ['call-id', 'cseq', 'from', 'to', 'max-forwards', 'content-type'] as const;
