// Random hex identifiers (tags, branches, Call-IDs; RFC 3261 §19.3 asks for "at least 32 bits of
// randomness" in a tag). One randomBytes call per id cost 5–9 % of a UDP transaction's CPU
// (bench/RESULTS.md); ids are cut from a pooled buffer refilled 4 KiB at a time instead.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

/** `bytes` random bytes as 2×bytes hex characters; bytes ≤ 4096. */
export function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = pool.toString('hex', used, used + bytes);
  used += bytes;
  return out;
}
