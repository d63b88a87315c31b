// uri.ts: SIP-URI / SIPS-URI parsing (RFC 3261 §19.1, §25.1; IPv6 references RFC 5118), other schemes
// kept opaque, host comparison and %-unescaping — table-driven.
import t from 'tap';
import { digitsValue } from '../../../../gateway/sip/chars.ts';
import { canonicalHost, isSipUri, parseUri, unescapeUri, UriError, uriParam } from '../../../../gateway/sip/uri.ts';

void t.test('SIP and SIPS URIs', (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['sip:alice@atlanta.example.com', { scheme: 'sip', user: 'alice', password: undefined, host: 'atlanta.example.com', port: undefined, headers: undefined }],
    ['SIP:alice@h', { scheme: 'sip' }],
    ['sIpS:h', { scheme: 'sips', user: undefined, host: 'h' }],
    ['sips:bob:secret@h:5061', { scheme: 'sips', user: 'bob', password: 'secret', port: 5061 }],
    ['sip:[2001:db8::10]:5070', { host: '2001:db8::10', ipv6: true, port: 5070 }],
    ['sip:h;transport=TCP;lr', { params: [['transport', 'TCP'], ['lr', undefined]] }],
    ['sip:h;Maddr=x?subject=hi&priority=urgent', { params: [['maddr', 'x']], headers: 'subject=hi&priority=urgent' }],
    ['sip:%61lice@h', { user: '%61lice' }],
  ];
  for (const [text, want] of cases) {
    const u = parseUri(text);
    if (u instanceof UriError || !isSipUri(u)) {
      t.fail(`${text}: ${u instanceof UriError ? u.detail : 'not a SIP URI'}`);
      continue;
    }
    for (const [k, value] of Object.entries(want)) t.same(u[k as keyof typeof u], value, `${text}: ${k}`);
  }
  t.end();
});

void t.test('other schemes are kept opaque', (t) => {
  t.same(parseUri('tel:+1-201-555-0123'), { scheme: 'tel', opaque: '+1-201-555-0123' });
  t.same(parseUri('XMPP:juliet@example.com'), { scheme: 'xmpp', opaque: 'juliet@example.com' });
  t.same(parseUri('sipx:a'), { scheme: 'sipx', opaque: 'a' }, 'four letters, not sips');
  t.equal(isSipUri({ scheme: 'tel', opaque: '1' }), false);
  t.end();
});

void t.test('URIs refused', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['alice@h', /scheme/],
    [':h', /scheme/],
    ['1ip:h', /scheme/],
    ['s_p:h', /scheme/],
    ['tel:', /malformed tel/],
    ['tel:a b', /malformed tel/],
    ['sip:@h', /user part/],
    ['sip:a b@h', /user part/],
    ['sip:a:p w@h', /user part/],
    ['sip:[2001:db8::1', /IPv6/],
    ['sip:[192.0.2.1]', /IPv6/],
    ['sip:', /missing host/],
    ['sip:h:', /port/],
    ['sip:h:65536', /port/],
    ['sip:h:1234567', /port/],
    ['sip:h/x', /after host/],
    ['sip:h;=x', /parameter/],
    ['sip:h;a=', /parameter/],
    ['sip:h;a"=b', /parameter/],
    ['sip:h;a=b"', /parameter/],
    ['sip:h?a b', /headers/],
  ];
  for (const [text, detail] of cases) {
    const u = parseUri(text);
    t.ok(u instanceof UriError && detail.test(u.detail), `${text} refused (${u instanceof UriError ? u.detail : 'parsed'})`);
  }
  t.end();
});

void t.test('uriParam, digitsValue', (t) => {
  const u = parseUri('sip:h;lr;transport=udp');
  if (u instanceof UriError || !isSipUri(u)) throw new Error('unparsed');
  t.equal(uriParam(u, 'lr'), '');
  t.equal(uriParam(u, 'transport'), 'udp');
  t.equal(uriParam(u, 'maddr'), undefined);
  t.equal(digitsValue('x5060y', 1, 5), 5060);
  t.equal(digitsValue('', 0, 0), 0);
  t.end();
});

void t.test('canonicalHost', (t) => {
  t.equal(canonicalHost('Atlanta.Example.COM'), 'atlanta.example.com');
  t.equal(canonicalHost('2001:DB8:0:0::1'), '2001:db8::1');
  t.equal(canonicalHost('2001:db8:::192.0.2.1'), canonicalHost('2001:db8::192.0.2.1'), 'RFC 5118 §4.4 three colons');
  t.equal(canonicalHost('zz::x'), 'zz::x', 'not an address: as written, in lower case');
  t.end();
});

void t.test('unescapeUri', (t) => {
  t.equal(unescapeUri('alice'), 'alice');
  t.equal(unescapeUri('%61lice%20smith'), 'alice smith');
  t.equal(unescapeUri('a%00b'), 'a\u0000b', '%00 survives');
  t.equal(unescapeUri('%C3%A9t%C3%A9'), 'été', 'UTF-8 sequences');
  t.equal(unescapeUri('100%'), '100%', 'a lone % stays');
  t.equal(unescapeUri('é%41'), 'éA', 'unescaped non-ASCII kept');
  t.end();
});
