// FifoMap: at most max entries, the one set longest ago goes first; re-setting a key makes it the
// newest; deleted keys leave no trace in the order; a large one (sharded) keeps exactly the last max.
import t from 'tap';
import { FifoMap } from '../../../gateway/fifo-map.ts';

void t.test('past the bound, the key set longest ago goes', (t) => {
  const m = new FifoMap<number>(2);
  m.set('a', 1).set('b', 2);
  t.equal(m.size, 2);
  m.set('c', 3);
  t.equal(m.size, 2);
  t.equal(m.has('a'), false, 'a, the oldest, went');
  t.equal(m.get('b'), 2);
  t.equal(m.get('c'), 3);
  t.end();
});

void t.test('re-setting a key makes it the newest', (t) => {
  const m = new FifoMap<number>(2);
  m.set('a', 1).set('b', 2).set('a', 10);
  t.equal(m.size, 2);
  m.set('c', 3);
  t.equal(m.has('b'), false, 'b is now the oldest and went');
  t.equal(m.get('a'), 10);
  m.set('d', 4);
  t.equal(m.has('a'), false, 'then a');
  t.same([m.get('c'), m.get('d')], [3, 4]);
  t.end();
});

void t.test('a deleted key frees its place; a deleted and re-set key is new', (t) => {
  const m = new FifoMap<number>(3);
  m.set('a', 1).set('b', 2).set('c', 3);
  t.equal(m.delete('a'), true);
  t.equal(m.delete('a'), false);
  m.set('a', 4); // evicts nothing live: the slot it reuses held the deleted a
  t.equal(m.size, 3);
  m.set('e', 5);
  t.equal(m.has('b'), false, 'b was the oldest live one');
  t.equal(m.get('a'), 4, 'the re-set a stays');
  m.clear();
  t.equal(m.size, 0);
  m.set('x', 1);
  t.equal(m.get('x'), 1, 'usable after clear');
  t.end();
});

void t.test('a large one keeps exactly the last max keys', (t) => {
  const m = new FifoMap<number>(100_000);
  for (let i = 0; i < 250_000; i++) m.set(`k${i}`, i);
  t.equal(m.size, 100_000);
  t.equal(m.get('k149999'), undefined);
  t.equal(m.get('k150000'), 150_000);
  t.equal(m.get('k249999'), 249_999);
  t.end();
});

void t.test('the bound must be a positive integer', (t) => {
  t.throws(() => new FifoMap(0), RangeError);
  t.throws(() => new FifoMap(1.5), RangeError);
  t.end();
});
