import t from 'tap';
import { RateLimiter, bucketFor } from '../../../../gateway/policy/rate-limit.ts';

t.test('a bucket passes `burst` units at once, then refuses', async (t) => {
  const rl = new RateLimiter();
  const spec = { rate: 2, burst: 3 };
  t.same([1, 2, 3, 4].map(() => rl.take('p', spec, 0)), [true, true, true, false]);
});

t.test('tokens refill at `rate` per second and never beyond burst', async (t) => {
  const rl = new RateLimiter();
  const spec = { rate: 2, burst: 2 };
  rl.take('p', spec, 0); rl.take('p', spec, 0);
  t.equal(rl.take('p', spec, 400), false, '0.8 token after 400 ms');
  t.equal(rl.take('p', spec, 500), true, '1 token after 500 ms');
  t.same([rl.take('p', spec, 100_000), rl.take('p', spec, 100_000), rl.take('p', spec, 100_000)], [true, true, false]);
});

t.test('keys are independent, and a clock going backwards adds nothing', async (t) => {
  const rl = new RateLimiter();
  const spec = { rate: 1, burst: 1 };
  t.equal(rl.take('a', spec, 1000), true);
  t.equal(rl.take('b', spec, 1000), true);
  t.equal(rl.take('a', spec, 0), false);
});

t.test('bucketFor: no rate, no bucket; burst defaults to ceil(rate)', async (t) => {
  t.equal(bucketFor({}), undefined);
  t.same(bucketFor({ messagesPerSecond: 2.5 }), { rate: 2.5, burst: 3 });
  t.same(bucketFor({ messagesPerSecond: 0.5 }), { rate: 0.5, burst: 1 });
  t.same(bucketFor({ messagesPerSecond: 5, burst: 9 }), { rate: 5, burst: 9 });
});
