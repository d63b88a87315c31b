// Token buckets per key (an agreement): `rate` tokens per second, at most `burst` saved up.
// Time comes in as an argument so the rule is testable without a clock.
export interface BucketSpec { rate: number; burst: number }

export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /** True when one unit may pass now (and takes it). */
  take(key: string, spec: BucketSpec, nowMs: number): boolean {
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: spec.burst, at: nowMs };
      this.#buckets.set(key, b);
    }
    const elapsed = Math.max(0, nowMs - b.at) / 1000;
    b.tokens = Math.min(spec.burst, b.tokens + elapsed * spec.rate);
    b.at = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/** The bucket an agreement's limits describe, or undefined when it sets no rate. */
export function bucketFor(limits: { messagesPerSecond?: number; burst?: number }): BucketSpec | undefined {
  const rate = limits.messagesPerSecond;
  if (rate === undefined) return undefined;
  return { rate, burst: limits.burst ?? Math.max(1, Math.ceil(rate)) };
}
