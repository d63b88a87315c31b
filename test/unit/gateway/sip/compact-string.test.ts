// Compact copies of strings kept for long: same value, any content (UTF-8, numeric, empty).
import t from 'tap';
import { flat, intern } from '../../../../gateway/sip/compact-string.ts';

void t.test('flat and intern keep the value of sliced, concatenated, numeric, empty and non-ASCII strings', (t) => {
  const header = '<sip:alice@example.com>;tag=1928301774';
  const sliced = header.slice(1, header.indexOf('>'));
  const cons = `${sliced};${'x'.repeat(20)};${String(Date.now())}`;
  for (const s of [sliced, cons, '12345', '', 'sip:jörg@例え.jp', '__proto__']) {
    t.equal(flat(s), s);
    t.equal(intern(s), s);
  }
  t.end();
});
