// Server transactions by base key and method: lookup (ACK as INVITE), the CANCEL target, removal by
// identity, and the bound on slots under one branch.
import t from 'tap';
import { MAX_METHODS_PER_BRANCH, ServerTable } from '../../../../gateway/sip/server-table.ts';

void t.test('a slot is found by its base key and method; ACK finds the INVITE', (t) => {
  const table = new ServerTable<string>();
  const msg = table.add('b1', 'MESSAGE', 'tx-message');
  const inv = table.add('b2', 'INVITE', 'tx-invite');
  t.equal(table.find('b1', 'MESSAGE'), msg);
  t.equal(table.find('b1', 'OPTIONS'), undefined, 'another method under the same branch is another transaction');
  t.equal(table.find('b3', 'MESSAGE'), undefined);
  t.equal(table.find('b2', 'ACK'), inv, 'ACK matches the INVITE (§17.2.3)');
  t.equal(table.find('b1', 'ACK'), undefined, 'an ACK matches no non-INVITE');
  t.equal(table.size, 2);
  t.end();
});

void t.test('a CANCEL finds the request it cancels, whatever its method, but not another CANCEL', (t) => {
  const table = new ServerTable<string>();
  t.equal(table.cancelled('b'), undefined);
  const cancel = table.add('b', 'CANCEL', 'tx-cancel');
  t.equal(table.cancelled('b'), undefined, 'only the CANCEL itself');
  const inv = table.add('b', 'INVITE', 'tx-invite');
  t.equal(table.cancelled('b'), inv);
  t.equal(table.find('b', 'CANCEL'), cancel);
  t.equal(table.size, 1, 'one entry per base key');
  t.end();
});

void t.test('a value is replaced in place; removal is by identity and idempotent', (t) => {
  const table = new ServerTable<string>();
  const a = table.add('b', 'INVITE', 'a');
  const c = table.add('b', 'CANCEL', 'c');
  a.value = 'a-completed';
  t.equal(table.find('b', 'INVITE')?.value, 'a-completed');
  table.remove(c);
  t.equal(table.find('b', 'CANCEL'), undefined);
  t.equal(table.find('b', 'INVITE'), a);
  table.remove(c);
  t.equal(table.find('b', 'INVITE'), a, 'removing twice changes nothing');
  table.remove(a);
  t.equal(table.size, 0);
  table.remove(a);
  t.equal(table.size, 0);
  // A slot removed from the head while others remain.
  const x = table.add('k', 'INVITE', 'x');
  const y = table.add('k', 'CANCEL', 'y');
  const z = table.add('k', 'MESSAGE', 'z');
  table.remove(x);
  t.equal(table.find('k', 'CANCEL'), y);
  t.equal(table.find('k', 'MESSAGE'), z);
  table.remove(z);
  t.equal(table.find('k', 'CANCEL'), y);
  t.equal(table.find('k', 'MESSAGE'), undefined);
  // A new transaction under a key whose old slot was removed is not touched by the old one's removal.
  const y2 = table.add('k', 'MESSAGE', 'z2');
  table.remove(z);
  t.equal(table.find('k', 'MESSAGE'), y2);
  table.clear();
  t.equal(table.size, 0);
  t.end();
});

void t.test('a branch reused for many methods keeps at most MAX_METHODS_PER_BRANCH slots, dropping the oldest', (t) => {
  const table = new ServerTable<number>();
  const slots = Array.from({ length: MAX_METHODS_PER_BRANCH + 3 }, (_, i) => table.add('b', `M${i}`, i));
  t.equal(table.find('b', 'M0'), undefined, 'the oldest let go');
  t.equal(table.find('b', 'M2'), undefined);
  t.equal(table.find('b', 'M3'), slots[3]);
  t.equal(table.find('b', `M${MAX_METHODS_PER_BRANCH + 2}`), slots[MAX_METHODS_PER_BRANCH + 2]);
  const held = (): number => slots.filter((s, i) => table.find('b', `M${i}`) === s).length;
  t.equal(held(), MAX_METHODS_PER_BRANCH);
  for (const s of slots.slice(0, 3)) table.remove(s);
  t.equal(held(), MAX_METHODS_PER_BRANCH, 'removing slots already let go changes nothing');
  t.equal(table.find('b', 'M3'), slots[3]);
  t.end();
});
