// The media type of a Content-Type value (RFC 3261 §20.15: type "/" subtype, then parameters),
// matched against a list without making strings: a MESSAGE's body type is checked per request.
import { isSpace } from './chars.ts';

/**
 * True when the type/subtype of `contentType` (before any ";", trimmed, any case) is one of
 * `lowercased`, whose entries are lower case.
 */
export function mediaTypeIn(contentType: string, lowercased: readonly string[]): boolean {
  let start = 0;
  while (start < contentType.length && isSpace(contentType.charCodeAt(start))) start++;
  let end = contentType.indexOf(';', start);
  if (end < 0) end = contentType.length;
  while (end > start && isSpace(contentType.charCodeAt(end - 1))) end--;
  const n = end - start;
  next: for (const m of lowercased) {
    if (m.length !== n) continue;
    for (let i = 0; i < n; i++) {
      let c = contentType.charCodeAt(start + i);
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c !== m.charCodeAt(i)) continue next;
    }
    return true;
  }
  return false;
}
