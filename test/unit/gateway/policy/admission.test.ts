import t from 'tap';
import { admit, findAgreement, type AdmissionRequest } from '../../../../gateway/policy/admission.ts';
import type { PeerConfig } from '../../../../gateway/config/types.ts';

const peer = (p: Partial<PeerConfig> & { name: string }): PeerConfig => ({
  remote: { xmpp: [], sip: [] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['message', 'presence'],
  direction: 'both', limits: {}, billing: {}, ...p,
});
const peers: PeerConfig[] = [
  peer({ name: 'any-xmpp', remote: { xmpp: ['*'], sip: [] }, limits: { maxMessageBytes: 100 } }),
  peer({ name: 'partner', remote: { xmpp: ['partner.test'], sip: [] }, local: { domains: ['corp.test'], users: ['alice', 'bob@corp.test'] }, services: ['message'], direction: 'inbound' }),
  peer({ name: 'sip-partner', remote: { xmpp: [], sip: ['sip.partner.test'] } }),
  peer({ name: 'publisher', remote: { xmpp: ['pub.test'], sip: [] }, services: ['message', 'presence', 'publish'] }),
  peer({ name: 'publish-alone', remote: { xmpp: ['pubonly.test'], sip: [] }, services: ['publish'] }),
];
const req = (over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  service: 'message', direction: 'outbound', local: { user: 'alice', domain: 'corp.test' }, remote: { network: 'xmpp', domain: 'xmpp.test' }, bytes: 10, ...over,
});

const rows: Array<[string, AdmissionRequest, string]> = [
  ['a wildcard agreement admits any XMPP domain', req(), 'ok:any-xmpp'],
  ['an exact remote domain wins over the wildcard', req({ remote: { network: 'xmpp', domain: 'partner.test' }, direction: 'inbound' }), 'ok:partner'],
  ['a local domain outside every agreement is refused: no-agreement', req({ local: { user: 'a', domain: 'other.test' } }), 'no-agreement'],
  ['a SIP remote domain needs a SIP agreement', req({ remote: { network: 'sip', domain: 'nobody.test' } }), 'no-agreement'],
  ['a SIP remote domain named in an agreement is admitted', req({ remote: { network: 'sip', domain: 'sip.partner.test' } }), 'ok:sip-partner'],
  ['a user not listed is refused: user-not-enabled', req({ remote: { network: 'xmpp', domain: 'partner.test' }, direction: 'inbound', local: { user: 'carol', domain: 'corp.test' } }), 'user-not-enabled'],
  ['a user listed as user@domain is enabled', req({ remote: { network: 'xmpp', domain: 'partner.test' }, direction: 'inbound', local: { user: 'bob', domain: 'corp.test' } }), 'ok:partner'],
  ['a service the agreement does not grant is refused', req({ remote: { network: 'xmpp', domain: 'partner.test' }, direction: 'inbound', service: 'presence' }), 'service-not-granted'],
  ['publish is granted where the agreement lists it (with presence)', req({ service: 'publish', remote: { network: 'xmpp', domain: 'pub.test' } }), 'ok:publisher'],
  ['publish is refused where the agreement lists presence only', req({ service: 'publish' }), 'service-not-granted'],
  ['publish without presence in the agreement is refused (publish needs presence)', req({ service: 'publish', remote: { network: 'xmpp', domain: 'pubonly.test' } }), 'service-not-granted'],
  ['an inbound-only agreement refuses outbound traffic', req({ remote: { network: 'xmpp', domain: 'partner.test' } }), 'direction-not-allowed'],
  ['content over maxMessageBytes is refused: too-large', req({ bytes: 101 }), 'too-large'],
  ['content of exactly maxMessageBytes passes', req({ bytes: 100 }), 'ok:any-xmpp'],
  ['no size given skips the size rule', req({ bytes: undefined }), 'ok:any-xmpp'],
];

for (const [name, r, want] of rows) {
  t.test(name, async (t) => {
    const d = admit(peers, r);
    t.equal(d.ok ? `ok:${d.peer.name}` : d.code, want);
    if (!d.ok) t.match(d.reason, /\S/, 'a refusal names its cause');
  });
}

t.test('findAgreement returns undefined when nothing matches', async (t) => {
  t.equal(findAgreement([], 'corp.test', { network: 'xmpp', domain: 'x' }), undefined);
});

t.test('a refusal for a missing required service names both', async (t) => {
  const d = admit(peers, req({ service: 'publish', remote: { network: 'xmpp', domain: 'pubonly.test' } }));
  t.same(d, { ok: false, code: 'service-not-granted', reason: 'agreement publish-alone does not grant presence (publish needs presence)', peer: 'publish-alone' });
  const e = admit(peers, req({ service: 'publish' }));
  t.same(e, { ok: false, code: 'service-not-granted', reason: 'agreement any-xmpp does not grant publish', peer: 'any-xmpp' });
});
