// Deadlines of their own duration on one clock timer (ManualClock): never early, at most a tick
// late, in bucket order; cancel, re-arming for an earlier entry, entries added while firing, clear.
import t from 'tap';
import { ManualClock } from '../../../gateway/clock.ts';
import { DeadlineWheel } from '../../../gateway/deadline-wheel.ts';

const item = (log: string[], name: string) => ({ expire: () => { log.push(name); } });

void t.test('an entry fires at its deadline rounded up to the tick, never early, with one clock timer for all', (t) => {
  const clock = new ManualClock();
  const w = new DeadlineWheel(clock, 1000);
  const log: string[] = [];
  w.add(item(log, 'a'), 2500);
  w.add(item(log, 'b'), 2999);
  w.add(item(log, 'c'), 5000);
  t.equal(clock.pending, 1, 'one timer');
  t.equal(w.size, 3);
  clock.advance(2999);
  t.same(log, [], 'not before the end of its tick');
  clock.advance(1);
  t.same(log, ['a', 'b'], 'both of the bucket ending at 3000');
  t.equal(clock.pending, 1, 're-armed for the next bucket');
  clock.advance(2000);
  t.same(log, ['a', 'b', 'c']);
  t.equal(clock.pending, 0, 'no timer while empty');
  t.equal(w.size, 0);
  t.end();
});

void t.test('an earlier entry re-arms the timer; a cancelled one never fires; an emptied bucket is skipped', (t) => {
  const clock = new ManualClock();
  const w = new DeadlineWheel(clock);
  const log: string[] = [];
  w.add(item(log, 'late'), 10_000);
  const early = item(log, 'early');
  const ticket = w.add(early, 1000);
  t.equal(clock.pending, 1, 'still one timer');
  w.cancel(early, ticket);
  w.cancel(early, ticket);
  w.cancel(early, 999);
  clock.advance(1000);
  t.same(log, [], 'the cancelled entry does not fire');
  t.equal(clock.pending, 1, 'the timer moved on to the next bucket');
  const keep = item(log, 'kept');
  const other = item(log, 'cancelled');
  w.add(keep, 3000);
  const k = w.add(other, 3000);
  w.cancel(other, k);
  clock.advance(9000);
  t.same(log, ['kept', 'late']);
  t.end();
});

void t.test('an entry added from expire() and one already due are served; clear drops everything', (t) => {
  const clock = new ManualClock();
  const w = new DeadlineWheel(clock);
  const log: string[] = [];
  w.add({ expire: () => { log.push('first'); w.add(item(log, 'again'), clock.now() + 1000); } }, 1000);
  clock.advance(1000);
  t.same(log, ['first']);
  clock.advance(1000);
  t.same(log, ['first', 'again']);
  w.add(item(log, 'past'), clock.now() - 5000);
  clock.advance(0);
  t.same(log, ['first', 'again', 'past'], 'a deadline in the past fires at once');
  w.add(item(log, 'dropped'), clock.now() + 1000);
  w.clear();
  t.equal(clock.pending, 0);
  t.equal(w.size, 0);
  clock.advance(5000);
  t.same(log, ['first', 'again', 'past']);
  w.clear();
  t.end();
});
