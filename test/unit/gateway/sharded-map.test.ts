// ShardedMap behaves as a Map of strings (get/has/set/delete/size/clear/values, against a plain Map
// over the same operations), spreads keys that differ only in the middle over its shards, and no
// shard holds much more than its share of 200,000 transaction keys.
import t from 'tap';
import { ShardedMap } from '../../../gateway/sharded-map.ts';

void t.test('the same answers as a Map over a random run of operations', (t) => {
  const sharded = new ShardedMap<number>(4);
  const plain = new Map<string, number>();
  let seed = 7;
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  for (let i = 0; i < 5000; i++) {
    const key = `k${(next() >>> 8) % 300}`;
    switch ((next() >>> 16) % 4) { // the high bits: the low ones of this LCG repeat every 4
      case 0:
      case 1:
        t.equal(sharded.set(key, i), sharded, 'set returns the map');
        plain.set(key, i);
        break;
      case 2:
        if (sharded.delete(key) !== plain.delete(key)) t.fail(`delete ${key}`);
        break;
      default:
        if (sharded.get(key) !== plain.get(key) || sharded.has(key) !== plain.has(key)) t.fail(`get ${key}`);
    }
    if (sharded.size !== plain.size) t.fail(`size after ${i}`);
  }
  t.same([...sharded.values()].sort((a, b) => a - b), [...plain.values()].sort((a, b) => a - b), 'the same values');
  t.equal(sharded.size, plain.size);
  sharded.clear();
  t.equal(sharded.size, 0, 'clear empties it');
  t.same([...sharded.values()], []);
  t.equal(sharded.get('k1'), undefined);
  t.end();
});

void t.test('an overwrite keeps the size; deleting a missing key is false', (t) => {
  const m = new ShardedMap<string>();
  m.set('a', '1').set('a', '2');
  t.equal(m.size, 1);
  t.equal(m.get('a'), '2');
  t.equal(m.delete('b'), false);
  t.equal(m.size, 1);
  t.equal(m.delete('a'), true);
  t.equal(m.size, 0);
  t.end();
});

void t.test('transaction keys that differ only in the middle spread evenly: no shard holds much over its share', (t) => {
  const m = new ShardedMap<number>();
  for (let i = 0; i < 200_000; i++) m.set(`udp|127.0.0.1|5060|z9hG4bK-2714-${i}-0|127.0.0.1:5060`, i);
  t.equal(m.size, 200_000);
  t.equal([...m.values()].length, 200_000, 'every value listed once');
  // 781 a shard on average: a plain Map's last doubling here moves 131,072 entries at once
  // (7.5 ms on the bench VM), a shard's about a thousand.
  t.ok(m.largestShard < 1000, `largest shard ${m.largestShard}`);
  const few = new ShardedMap<number>(4);
  for (let i = 0; i < 1600; i++) few.set(`udp|127.0.0.1|5060|z9hG4bK-2714-${i}-0|127.0.0.1:5060`, i);
  t.ok(few.largestShard < 150, `16 shards of 1,600 keys: largest ${few.largestShard}`);
  t.end();
});

void t.test('the *At methods act on the shard shardOf gives, as get, set and delete do', (t) => {
  const m = new ShardedMap<number>();
  const shard = m.shardOf('key-1');
  t.equal(m.shardOf('key-1'), shard, 'the same key, the same shard');
  t.ok(Number.isInteger(shard) && shard >= 0 && shard < 256);
  m.setAt(shard, 'key-1', 1);
  t.equal(m.get('key-1'), 1, 'setAt is seen by get');
  t.equal(m.size, 1);
  m.setAt(shard, 'key-1', 2);
  t.equal(m.size, 1, 'a re-set is not counted twice');
  m.set('key-2', 3);
  t.equal(m.getAt(m.shardOf('key-2'), 'key-2'), 3, 'set is seen by getAt');
  t.equal(m.deleteAt(shard, 'key-1'), true);
  t.equal(m.deleteAt(shard, 'key-1'), false);
  t.equal(m.size, 1);
  t.end();
});
