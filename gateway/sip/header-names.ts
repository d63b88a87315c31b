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
