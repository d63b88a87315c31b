// One-duration expiry queue on a ManualClock: order, cancel, slack, and compaction of the FIFO.
import t from 'tap';
import { ManualClock } from '../../../../gateway/clock.ts';
import { ExpiryQueue } from '../../../../gateway/sip/expiry-queue.ts';

const item = (log: string[], name: string) => ({ expire: () => { log.push(name); } });

void t.test('entries expire in order, each no earlier than ms after it was added, with one clock timer', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 100);
  const log: string[] = [];
  q.add(item(log, 'a'));
  clock.advance(30);
  q.add(item(log, 'b'));
  t.equal(clock.pending, 1, 'one timer for the whole queue');
  t.equal(q.size, 2);
  clock.advance(69);
  t.same(log, []);
  clock.advance(1);
  t.same(log, ['a']);
  clock.advance(29);
  t.same(log, ['a']);
  clock.advance(1);
  t.same(log, ['a', 'b']);
  t.equal(clock.pending, 0, 'no timer while empty');
  t.equal(q.size, 0);
  q.add(item(log, 'c'));
  clock.advance(100);
  t.same(log, ['a', 'b', 'c'], 'works again after emptying');
  t.end();
});

void t.test('a cancelled entry never expires; cancelling an expired or unknown ticket is harmless', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 10);
  const log: string[] = [];
  const a = q.add(item(log, 'a'));
  q.add(item(log, 'b'));
  q.cancel(a);
  clock.advance(10);
  t.same(log, ['b']);
  q.cancel(a);
  q.cancel(12345);
  t.end();
});

void t.test('slack lets entries fire late (never early) so that one timer serves a burst', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 100, 50);
  const log: string[] = [];
  q.add(item(log, 'a'));
  clock.advance(20);
  q.add(item(log, 'b'));
  clock.advance(129);
  t.same(log, []);
  clock.advance(1);
  t.same(log, ['a', 'b'], 'both due at 150');
  t.end();
});

void t.test('the FIFO is compacted while entries keep coming, and tickets stay valid', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 1000);
  let fired = 0;
  const counter = { expire: () => { fired++; } };
  for (let i = 0; i < 5000; i++) q.add(counter);
  clock.advance(1);
  const late = q.add(counter);
  clock.advance(999);
  t.equal(fired, 5000);
  t.equal(q.size, 1);
  q.cancel(late);
  clock.advance(1);
  t.equal(fired, 5000);
  t.end();
});
