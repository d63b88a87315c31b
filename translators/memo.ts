// Pure functions of one string, remembered. The XMPP address profiles (RFC 7622, PRECIS: width
// mapping, case mapping, NFC, Unicode property classes) cost microseconds a call, and a gateway
// sees the same few domains and the same users' names again and again.

/**
 * f with its results remembered for up to `max` distinct arguments, then all forgotten at once (a
 * flood of distinct names costs what it did without the memory). f must be pure, and its callers
 * must not change what it returns: they share one result.
 */
export function memoized<R>(f: (s: string) => R, max = 4096): (s: string) => R {
  let seen = new Map<string, R>();
  return (s) => {
    let r = seen.get(s);
    if (r === undefined) {
      r = f(s);
      if (seen.size >= max) seen = new Map();
      seen.set(s, r);
    }
    return r;
  };
}
