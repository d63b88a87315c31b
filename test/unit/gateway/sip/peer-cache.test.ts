// PeerCache: one object per address and port; bounded, starting over past the bound.
import t from 'tap';
import { MAX_PEERS, PeerCache } from '../../../../gateway/sip/peer-cache.ts';

void t.test('the same address and port give the same object', (t) => {
  const c = new PeerCache();
  const a = c.peer('192.0.2.1', 5060);
  t.same(a, { address: '192.0.2.1', port: 5060 });
  t.equal(c.peer('192.0.2.1', 5060), a);
  t.not(c.peer('192.0.2.1', 5061), a, 'another port, another peer');
  t.not(c.peer('2001:db8::1', 5060), a, 'another address, another peer');
  t.equal(c.size, 3);
  t.equal(MAX_PEERS > 1000, true, 'the default bound holds a realistic set of peers');
  t.end();
});

void t.test('past the bound the cache starts over', (t) => {
  const c = new PeerCache(2);
  const a = c.peer('192.0.2.1', 1);
  c.peer('192.0.2.1', 2);
  t.equal(c.size, 2);
  const b = c.peer('192.0.2.2', 1);
  t.equal(c.size, 1, 'cleared, then the new one');
  t.equal(c.peer('192.0.2.2', 1), b);
  const again = c.peer('192.0.2.1', 1);
  t.not(again, a, 'a new object after the start over');
  t.same(again, a, 'for the same address and port');
  t.end();
});
