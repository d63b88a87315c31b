import t from 'tap';
import { OriginTracker } from '../../../../gateway/core/origin-tracker.ts';

const o = (n: number) => ({ callId: `c${n}`, from: 'sip:a@corp.test', agreement: 'p' });

t.test('an origin is taken once', async (t) => {
  const tr = new OriginTracker();
  tr.remember('x', o(1));
  t.same(tr.take('x'), o(1));
  t.equal(tr.take('x'), undefined);
});

t.test('the tracker is bounded: the oldest origin goes first', async (t) => {
  const tr = new OriginTracker(2);
  tr.remember('a', o(1)); tr.remember('b', o(2)); tr.remember('c', o(3));
  t.equal(tr.take('a'), undefined);
  t.same(tr.take('b'), o(2));
  t.same(tr.take('c'), o(3));
});

t.test('a large tracker stays within its bound, and what it keeps is the most recent', async (t) => {
  const tr = new OriginTracker(100_000);
  for (let i = 0; i < 300_000; i++) tr.remember(`m${i}`, o(i));
  t.equal(tr.size, 100_000);
  t.same(tr.take('m299999'), o(299999), 'the newest is there');
  t.equal(tr.take('m0'), undefined, 'the oldest is gone');
  let recent = 0;
  for (let i = 290_000; i < 300_000; i++) if (tr.take(`m${i}`) !== undefined) recent++;
  t.equal(recent, 9_999, 'every one of the last 10,000 (but the one taken) is kept');
  t.same(tr.take('m200000'), o(200000), 'the oldest kept');
  t.equal(tr.take('m199999'), undefined, 'the newest evicted');
});
