// One-duration expiry queue on a ManualClock: order, cancel, slack, work per turn, chunks of the FIFO.
import t from 'tap';
import { ManualClock } from '../../../../gateway/clock.ts';
import { ExpiryQueue, MAX_PER_TURN } from '../../../../gateway/sip/expiry-queue.ts';

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

void t.test('entries due together fire MAX_PER_TURN a turn, a timer apart; tickets stay valid across chunks', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 1000, 0, undefined, MAX_PER_TURN);
  let fired = 0;
  const counter = { expire: () => { fired++; } };
  const tickets: number[] = [];
  for (let i = 0; i < 5000; i++) tickets.push(q.add(counter));
  clock.advance(1);
  const late = q.add(counter);
  q.cancel(tickets[4000] as number);
  t.equal(q.size, 5001, 'an entry cancelled behind the front still counts');
  clock.advance(999);
  t.equal(fired, MAX_PER_TURN, 'one turn at the deadline');
  t.equal(clock.pending, 1, 'the rest a timer later');
  clock.advance(1);
  t.equal(fired, 2 * MAX_PER_TURN);
  clock.advance(100);
  t.equal(fired, 5000, 'every entry but the cancelled one, the late one last');
  t.equal(q.size, 0);
  t.equal(clock.pending, 0);
  q.cancel(late);
  q.cancel(tickets[0] as number);
  // Tickets keep counting after the queue emptied; a new entry fires on its own deadline.
  const again = q.add(counter);
  t.ok(again > late);
  clock.advance(1000);
  t.equal(fired, 5001);
  t.end();
});

void t.test('without a bound, every entry due fires in one turn', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 10);
  let fired = 0;
  for (let i = 0; i < 3000; i++) q.add({ expire: () => { fired++; } });
  clock.advance(10);
  t.equal(fired, 3000);
  t.equal(clock.pending, 0);
  t.end();
});

void t.test('cancelling the first entry moves the front past cancelled ones; the clock timer goes when the queue empties', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 100);
  const log: string[] = [];
  const a = q.add(item(log, 'a'));
  clock.advance(10);
  const b = q.add(item(log, 'b'));
  clock.advance(10);
  q.add(item(log, 'c'));
  q.cancel(b);
  t.equal(q.size, 3, 'a cancelled entry behind the first stays until the front reaches it');
  q.cancel(a);
  t.equal(q.size, 1, 'the front moved past a and b');
  t.equal(clock.pending, 1, 'the timer is not re-armed for a cancel');
  clock.advance(80);
  t.same(log, [], 'the timer armed for a wakes early, finds c not due and re-arms');
  t.equal(clock.pending, 1);
  clock.advance(20);
  t.same(log, ['c'], 'c at its own deadline');
  const d = q.add(item(log, 'd'));
  q.cancel(d);
  t.equal(q.size, 0);
  t.equal(clock.pending, 0, 'no timer once empty');
  clock.advance(1000);
  t.same(log, ['c']);
  t.end();
});

void t.test('an entry may add to and cancel in its own queue while it fires: one timer, re-armed once', (t) => {
  const clock = new ManualClock();
  const q = new ExpiryQueue(clock, 100);
  const log: string[] = [];
  let b = -1;
  q.add({
    expire: () => {
      log.push('a');
      q.cancel(b);
      q.add(item(log, 'd'));
      t.equal(clock.pending, 0, 'not armed while firing');
    },
  });
  clock.advance(10);
  b = q.add(item(log, 'b'));
  clock.advance(10);
  q.add(item(log, 'c'));
  clock.advance(80);
  t.same(log, ['a']);
  t.equal(clock.pending, 1, 'armed once, for c');
  t.equal(q.size, 2, 'b, cancelled at the front while firing, is gone');
  clock.advance(20);
  t.same(log, ['a', 'c']);
  clock.advance(80);
  t.same(log, ['a', 'c', 'd'], 'd 100 after it was added');
  t.end();
});

void t.test('a queue with its own fire function serves one kind of timer of objects that wait in several queues', (t) => {
  const clock = new ManualClock();
  const log: string[] = [];
  const x = { name: 'x' };
  const short = new ExpiryQueue<{ name: string }>(clock, 10, 0, (o) => { log.push(`short ${o.name}`); });
  const long = new ExpiryQueue<{ name: string }>(clock, 20, 0, (o) => { log.push(`long ${o.name}`); });
  short.add(x);
  long.add(x);
  clock.advance(20);
  t.same(log, ['short x', 'long x']);
  t.end();
});
