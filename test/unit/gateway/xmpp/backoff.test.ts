import t from 'tap';
import { DEFAULT_BACKOFF, backoffDelay } from '../../../../gateway/xmpp/backoff.ts';

void t.test('exponential with equal jitter: half of the cap fixed, half random', (tt) => {
  const o = { initialMs: 500, maxMs: 30_000 };
  tt.same([0, 1, 2, 3].map((a) => backoffDelay(a, o, () => 0)), [250, 500, 1000, 2000]);
  tt.same([0, 1, 2, 3].map((a) => backoffDelay(a, o, () => 0.999999)), [500, 1000, 2000, 4000]);
  tt.equal(backoffDelay(0, o, () => 0.5), 375);
  tt.end();
});

void t.test('capped at maxMs, even for huge attempt counts; a negative attempt counts as the first', (tt) => {
  tt.equal(backoffDelay(10, DEFAULT_BACKOFF, () => 0.999999), 30_000);
  tt.equal(backoffDelay(5000, DEFAULT_BACKOFF, () => 0), 15_000);
  tt.equal(backoffDelay(-3, DEFAULT_BACKOFF, () => 0), 250);
  tt.end();
});
