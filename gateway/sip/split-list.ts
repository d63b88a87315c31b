// Splitting a list header ("a, b, c") on the commas that separate values, not on commas inside a
// quoted-string or between < and > (RFC 3261 §7.3.1, §25.1).

/** Parts are trimmed; empty parts are kept so validators can see "a,,b". */
export function splitList(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++; // quoted-pair
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) {
      quoted = true;
    } else if (c === 0x3c) {
      angle = true;
    } else if (c === 0x3e) {
      angle = false;
    } else if (c === 0x2c && !angle) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}
