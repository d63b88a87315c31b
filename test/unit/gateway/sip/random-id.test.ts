// Pooled random ids: the right length, hex, and no repeats across pool refills.
import t from 'tap';
import { randomHex } from '../../../../gateway/sip/random-id.ts';

void t.test('randomHex gives 2×bytes hex characters', (t) => {
  t.match(randomHex(6), /^[0-9a-f]{12}$/);
  t.match(randomHex(10), /^[0-9a-f]{20}$/);
  t.end();
});

void t.test('ids do not repeat across several pool refills (4 KiB each)', (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) seen.add(randomHex(6));
  t.equal(seen.size, 5000);
  t.end();
});
