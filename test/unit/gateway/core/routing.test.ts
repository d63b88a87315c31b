import t from 'tap';
import { addressingOf, componentByDomain, componentForSipDomain, jidDomain, jidLocal, uriParts } from '../../../../gateway/core/routing.ts';
import type { ComponentConfig, ParleyConfig } from '../../../../gateway/config/types.ts';

const comp = (domain: string, addressing: 'direct' | 'escaped'): ComponentConfig => ({ domain, host: '127.0.0.1', port: 5347, secret: 's', addressing });
const config = (components: ComponentConfig[]): ParleyConfig => ({
  node: { id: 'n', roles: ['sip', 'xmpp', 'core'] }, bus: { kind: 'memory' }, store: { path: '.' }, http: { listen: '127.0.0.1:1' },
  sip: { listen: [], domains: ['corp.test'] }, xmpp: { components }, peers: [], log: { level: 'info' },
});

t.test('uriParts reads user and domain of the bare URIs the edges hand over (through the address translator)', async (t) => {
  const rows: Array<[string, { user: string; domain: string } | undefined]> = [
    ['sip:alice@corp.test', { user: 'alice', domain: 'corp.test' }],
    ['<sip:alice@Corp.Test>', { user: 'alice', domain: 'corp.test' }],
    ['sips:bob@xmpp.test:5061;transport=tls', { user: 'bob', domain: 'xmpp.test' }],
    ['sip:bob@xmpp.test?subject=x', { user: 'bob', domain: 'xmpp.test' }],
    ['sip:a%40b@[2001:db8::1]:5060', { user: 'a@b', domain: '[2001:db8::1]' }],
    ['sip:corp.test', { user: '', domain: 'corp.test' }],
    ['alice@corp.test', undefined],
    ['tel:+15551234', undefined],
    ['sip:', undefined],
  ];
  for (const [uri, want] of rows) t.same(uriParts(uri), want, uri);
});

t.test('JID parts: domain lowercased and resource dropped; localpart kept', async (t) => {
  t.equal(jidDomain('bob@Xmpp.Test/phone'), 'xmpp.test');
  t.equal(jidDomain('xmpp.test'), 'xmpp.test');
  t.equal(jidLocal('bob@xmpp.test/r@x'), 'bob');
  t.equal(jidLocal('xmpp.test/r'), '');
  t.equal(jidLocal('bob@xmpp.test'), 'bob');
});

t.test('a direct component serves its own SIP domain; otherwise an escaped gateway does', async (t) => {
  const direct = comp('corp.test', 'direct');
  const escaped = comp('sip.xmpp.test', 'escaped');
  t.equal(componentForSipDomain(config([escaped, direct]), 'corp.test'), direct);
  t.equal(componentForSipDomain(config([escaped, direct]), 'other.test'), escaped);
  t.equal(componentForSipDomain(config([direct]), 'other.test'), undefined);
  t.equal(componentByDomain(config([direct]), 'corp.test'), direct);
  t.same(addressingOf(direct), { addressing: 'direct' });
  t.same(addressingOf(escaped), { addressing: 'escaped', gatewayDomain: 'sip.xmpp.test' });
});
