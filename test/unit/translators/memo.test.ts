// memoized(): one call of f per distinct argument, until the table is full and starts over.
import t from 'tap';
import { memoized } from '../../../translators/memo.ts';

void t.test('each argument is computed once and its result shared', (t) => {
  const calls: string[] = [];
  const upper = memoized((s: string) => { calls.push(s); return { value: s.toUpperCase() }; });
  const a = upper('bob');
  t.equal(upper('bob'), a, 'the same result object');
  t.equal(upper('alice').value, 'ALICE');
  t.same(calls, ['bob', 'alice']);
  t.end();
});

void t.test('a full table is forgotten at once', (t) => {
  const calls: string[] = [];
  const id = memoized((s: string) => { calls.push(s); return s; }, 2);
  id('a');
  id('b');
  id('c'); // the table held 2: it starts over with c
  id('a');
  id('c');
  t.same(calls, ['a', 'b', 'c', 'a']);
  t.end();
});
