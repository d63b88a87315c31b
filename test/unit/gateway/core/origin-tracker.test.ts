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
