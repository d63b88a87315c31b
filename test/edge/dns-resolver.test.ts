// The node:dns side of RFC 3263 against the test DNS server on loopback: record decoding, error
// mapping, timeouts and the cache.
import t from 'tap';
import type { Test } from 'tap';
import { ManualClock } from '../../gateway/clock.ts';
import { DnsResolver } from '../../gateway/sip/dns-resolver.ts';
import type { DnsResolverOptions } from '../../gateway/sip/dns-resolver.ts';
import { DnsError } from '../../gateway/sip/rfc3263.ts';
import { TestDnsServer } from '../harness/dns-server.ts';
import type { Zone } from '../harness/dns-server.ts';

async function setup(t: Test, zone: Zone, opts: DnsResolverOptions = {}) {
  const dns = await TestDnsServer.start(zone);
  t.teardown(() => dns.close());
  const clock = new ManualClock();
  const resolver = new DnsResolver({ servers: [dns.server], timeoutMs: 200, tries: 1, clock, ...opts });
  return { dns, resolver, clock };
}

const code = (a: unknown) => (a instanceof DnsError ? a.code : a);

void t.test('NAPTR (RFC 3403), SRV (RFC 2782), A and AAAA answers are decoded field by field', async (t) => {
  const { resolver } = await setup(t, {
    'peer.test': { naptr: [{ order: 10, preference: 20, flags: 's', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.peer.test' }] },
    '_sip._udp.peer.test': { srv: [{ priority: 1, weight: 2, port: 5070, target: 'one.peer.test' }, { priority: 0, weight: 0, port: 0, target: '.' }] },
    'one.peer.test': { a: ['127.0.0.1', '127.0.0.2'], aaaa: ['::1', '2001:db8::5:6'] },
  });
  t.same(await resolver.naptr('peer.test'), [{ flags: 's', service: 'SIP+D2U', regexp: '', replacement: '_sip._udp.peer.test', order: 10, preference: 20 }]);
  const srv = await resolver.srv('_SIP._udp.peer.test');
  t.same(srv, [{ priority: 1, weight: 2, port: 5070, name: 'one.peer.test' }, { priority: 0, weight: 0, port: 0, name: '' }], 'root target "." comes back as ""');
  t.same(await resolver.addresses('one.peer.test'), ['127.0.0.1', '127.0.0.2', '::1', '2001:db8::5:6'], 'A first, then AAAA');
});

void t.test('NXDOMAIN, NODATA, SERVFAIL, REFUSED and silence map to answers and DnsError codes', async (t) => {
  const { resolver } = await setup(t, {
    'srv-only.test': { srv: [{ priority: 0, weight: 0, port: 1, target: 'x.test' }] },
    'broken.test': 'SERVFAIL',
    'closed.test': 'REFUSED',
    'silent.test': 'DROP',
    'v6.test': { aaaa: ['::1'] },
  });
  t.equal(code(await resolver.naptr('nowhere.test')), 'NXDOMAIN');
  t.same(await resolver.naptr('srv-only.test'), [], 'NODATA is an empty answer');
  t.equal(code(await resolver.srv('broken.test')), 'SERVFAIL');
  t.equal(code(await resolver.srv('closed.test')), 'REFUSED');
  const started = Date.now();
  t.equal(code(await resolver.srv('silent.test')), 'TIMEOUT');
  t.ok(Date.now() - started < 2000, 'the timeout is the configured one');
  t.same(await resolver.addresses('v6.test'), ['::1'], 'AAAA alone is enough');
  t.equal(code(await resolver.addresses('nowhere.test')), 'NXDOMAIN');
  t.equal(code(await resolver.addresses('broken.test')), 'SERVFAIL');
});

void t.test('answers are cached up to their TTL (A) or maxCacheMs; negative ones negativeCacheMs; failures not at all', async (t) => {
  const { dns, resolver, clock } = await setup(t, {
    'peer.test': { a: ['127.0.0.1'], ttl: 5, srv: [{ priority: 0, weight: 0, port: 1, target: 'x.test' }] },
    'broken.test': 'SERVFAIL',
  }, { maxCacheMs: 30_000, negativeCacheMs: 1000 });
  const asked = () => dns.queries.map((q) => `${q.type} ${q.name}`);
  await Promise.all([resolver.srv('peer.test'), resolver.srv('peer.test')]);
  t.same(asked(), ['SRV peer.test'], 'concurrent lookups share one query');
  await resolver.addresses('peer.test');
  await resolver.addresses('peer.test');
  t.equal(asked().filter((q) => q === 'A peer.test').length, 1, 'A answer cached');
  clock.advance(5000);
  await resolver.addresses('peer.test');
  t.equal(asked().filter((q) => q === 'A peer.test').length, 2, 'the A TTL (5 s) expired');
  await resolver.srv('peer.test');
  t.equal(asked().filter((q) => q === 'SRV peer.test').length, 1, 'SRV still cached (no TTL from node:dns: maxCacheMs)');
  clock.advance(25_000);
  await resolver.srv('peer.test');
  t.equal(asked().filter((q) => q === 'SRV peer.test').length, 2, 'maxCacheMs reached');
  await resolver.naptr('gone.test');
  await resolver.naptr('gone.test');
  t.equal(asked().filter((q) => q === 'NAPTR gone.test').length, 1, 'NXDOMAIN cached');
  clock.advance(1000);
  await resolver.naptr('gone.test');
  t.equal(asked().filter((q) => q === 'NAPTR gone.test').length, 2, 'for negativeCacheMs only');
  await resolver.srv('broken.test');
  await resolver.srv('broken.test');
  t.equal(asked().filter((q) => q === 'SRV broken.test').length, 2, 'SERVFAIL is asked again');
  dns.zone['broken.test'] = { srv: [{ priority: 0, weight: 0, port: 7, target: 'ok.test' }] };
  t.same(await resolver.srv('broken.test'), [{ priority: 0, weight: 0, port: 7, name: 'ok.test' }], 'and recovers');
  resolver.clear();
  await resolver.srv('peer.test');
  t.equal(asked().filter((q) => q === 'SRV peer.test').length, 3, 'clear() forgets');
});

void t.test('the cache holds at most maxEntries names, oldest dropped first', async (t) => {
  const { dns, resolver } = await setup(t, { 'a.test': { a: ['127.0.0.1'] }, 'b.test': { a: ['127.0.0.1'] } }, { maxEntries: 1 });
  await resolver.srv('a.test');
  await resolver.srv('b.test');
  await resolver.srv('a.test');
  t.same(dns.queries.map((q) => q.name), ['a.test', 'b.test', 'a.test']);
});

void t.test('a bad server address is refused at construction', (t) => {
  t.throws(() => new DnsResolver({ servers: ['not an address'] }));
  t.end();
});
