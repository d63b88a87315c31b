import t from 'tap';
import {
  XEP0106_ESCAPES, escapeLocalpart, jidToSipUser, parseSipUri, percentDecodeUser, percentEncodeUser, resourceFromGr,
  sipInstanceFromResource, sipUriToXmppUser, sipUserToJid, sipUserToLocalpart, unescapeLocalpart, xmppUserToSipUri,
  type AddressingOptions,
} from '../../../translators/address.ts';
import { formatJid } from '../../../translators/jid.ts';

const direct: AddressingOptions = { addressing: 'direct' };
const escaped: AddressingOptions = { addressing: 'escaped', gatewayDomain: 'sip.xmpp.example' };

// XEP-0106 §5, its own examples: unescaped ↔ escaped.
const XEP0106_EXAMPLES: [string, string][] = [
  ['space cadet', 'space\\20cadet'],
  ['call me "ishmael"', 'call\\20me\\20\\22ishmael\\22'],
  ['at&t guy', 'at\\26t\\20guy'],
  ["d'artagnan", 'd\\27artagnan'],
  ['/.fanboy', '\\2f.fanboy'],
  ['::foo::', '\\3a\\3afoo\\3a\\3a'],
  ['<foo>', '\\3cfoo\\3e'],
  ['user@host', 'user\\40host'],
  ['c:\\net', 'c\\3a\\net'],
  ['c:\\\\net', 'c\\3a\\\\net'],
  ['c:\\cool stuff', 'c\\3a\\cool\\20stuff'],
  ['c:\\5commas', 'c\\3a\\5c5commas'],
];
for (const [plain, esc] of XEP0106_EXAMPLES) {
  void t.test(`XEP-0106 example: ${plain}@example.com ↔ ${esc}@example.com`, (t) => {
    t.same(escapeLocalpart(plain), { ok: true, value: esc });
    t.equal(unescapeLocalpart(esc), plain);
    const jid = sipUserToJid(`sip:${percentEncodeUser(plain)}@example.com`, direct);
    t.same(jid, { ok: true, value: { local: esc, domain: 'example.com' } });
    t.same(xmppUserToSipUri(`${esc}@example.com`), { ok: true, value: `sip:${percentEncodeUser(plain)}@example.com` });
    t.end();
  });
}

void t.test('XEP-0106: exactly ten characters are escaped, as data', (t) => {
  t.same(XEP0106_ESCAPES.map(([c]) => c).join(''), ' "&\'/:<>@\\');
  t.same(XEP0106_ESCAPES.map(([, e]) => e), ['\\20', '\\22', '\\26', '\\27', '\\2f', '\\3a', '\\3c', '\\3e', '\\40', '\\5c']);
  t.end();
});

void t.test('XEP-0106: a backslash not starting an escape stays as it is', (t) => {
  t.same(escapeLocalpart('a\\zz\\4'), { ok: true, value: 'a\\zz\\4' });
  t.end();
});

void t.test('XEP-0106: a leading or trailing space is refused (\\20 may not begin or end a localpart)', (t) => {
  for (const s of [' alice', 'alice ']) {
    const r = escapeLocalpart(s);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.error.code, 'address-malformed');
  }
  const viaSip = sipUserToJid('sip:alice%20@corp.example', direct);
  t.equal(viaSip.ok, false);
  t.end();
});

void t.test('XEP-0106: unescaping leaves non-escape sequences and unknown codes alone', (t) => {
  t.equal(unescapeLocalpart('a\\41b\\5c20'), 'a\\41b\\20');
  t.end();
});

// SIP → XMPP, direct
const SIP_TO_JID: [string, string, string][] = [
  ['sip:alice@corp.example', 'alice@corp.example', 'a sip: URI maps to the same user and domain (RFC 7247 §6)'],
  ['sips:alice@corp.example', 'alice@corp.example', 'a sips: URI maps like sip:'],
  ['pres:alice@corp.example', 'alice@corp.example', 'a pres: URI maps like sip:'],
  ['im:alice@corp.example', 'alice@corp.example', 'an im: URI maps like sip:'],
  ['SIP:alice@corp.example', 'alice@corp.example', 'the scheme is case-insensitive'],
  ['sip:Alice@Corp.Example', 'alice@corp.example', 'user and domain are case-mapped: Alice and alice meet in one JID (ours)'],
  ['sip:alice@corp.example;transport=tcp?subject=hi', 'alice@corp.example', 'URI parameters and headers are dropped'],
  ['sip:alice:secret@corp.example:5070', 'alice@corp.example', 'a password and a port are dropped'],
  ['<sip:alice@corp.example>', 'alice@corp.example', 'angle brackets around a bare URI are tolerated'],
  ['sip:j%C3%BCrgen@corp.example', 'jürgen@corp.example', 'the user part is percent-decoded as UTF-8'],
  ['sip:%E5%BC%B5@corp.example', '張@corp.example', 'a percent-encoded CJK user part decodes'],
  ['sip:a;b?c/d@corp.example', 'a;b?c\\2fd@corp.example', 'user-unreserved characters stay; a slash is XEP-0106-escaped'],
  ['sip:corp.example', 'corp.example', 'a URI without user part maps to a domain JID in direct addressing'],
  ['sip:alice@corp.example.', 'alice@corp.example', 'a final dot of the host is dropped'],
  ['sip:alice@[2001:db8::1]', 'alice@[2001:db8::1]', 'an IPv6 reference host is kept'],
  ['sip:alice@corp.example;gr=686f6d65', 'alice@corp.example/home', 'a hex gr parameter becomes the resource (RFC 5627, hex practice)'],
  ['sip:alice@corp.example;gr=urn:uuid:f81d4fae', 'alice@corp.example', 'a gr that is not our hex names no resource (ours)'],
  ['sip:alice@corp.example;gr', 'alice@corp.example', 'a gr without value names no resource'],
];
for (const [uri, jid, rule] of SIP_TO_JID) {
  void t.test(`SIP → XMPP (direct): ${rule}`, (t) => {
    const r = sipUserToJid(uri, direct);
    t.ok(r.ok);
    if (r.ok) t.equal(formatJid(r.value), jid);
    const x = sipUriToXmppUser(uri);
    t.ok(x.ok);
    if (x.ok) t.equal(formatJid(x.value), jid, 'an XMPP user named by a SIP URI maps the same way');
    t.end();
  });
}

const SIP_BAD: [string, string, string][] = [
  ['tel:+15551234', 'unsupported-uri-scheme', 'an unknown scheme is refused with 416 (RFC 3261 §21.4.17)'],
  ['http://corp.example/', 'unsupported-uri-scheme', 'an http URI is an unknown scheme'],
  ['alice@corp.example', 'address-malformed', 'a string without scheme is malformed (400)'],
  ['sip:@corp.example', 'address-malformed', 'an empty user part is malformed'],
  ['sip:al ice@corp.example', 'address-malformed', 'a raw space in the user part is malformed'],
  ['sip:al%2@corp.example', 'address-malformed', 'a truncated percent escape is malformed'],
  ['sip:al%FFice@corp.example', 'address-malformed', 'a user part that is not UTF-8 is malformed'],
  ['sip:al%00ice@corp.example', 'address-malformed', 'a NUL in the user part is refused by the localpart profile'],
  ['sip:%F0%9F%98%80@corp.example', 'address-malformed', 'an emoji user part is refused by the localpart profile, never guessed'],
  ['sip:alice@corp_example', 'address-malformed', 'an invalid host is malformed'],
  ['sip:alice@', 'address-malformed', 'an empty host is malformed'],
  [`sip:alice@${'a'.repeat(64)}.example`, 'address-malformed', 'a host label over 63 bytes fails the domainpart profile'],
  ['1sip:alice@corp.example', 'address-malformed', 'a scheme must start with a letter'],
  ['sip:alice@corp.example:port', 'address-malformed', 'a non-numeric port is malformed'],
  [`sip:${'a'.repeat(1024)}@corp.example`, 'address-malformed', 'a user part over 1023 bytes is malformed'],
];
for (const [uri, code, rule] of SIP_BAD) {
  void t.test(`SIP → XMPP: ${rule}`, (t) => {
    const r = sipUserToJid(uri, direct);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.error.code, code);
    const x = sipUriToXmppUser(uri);
    t.equal(x.ok, false);
    t.end();
  });
}

// SIP → XMPP, escaped
const SIP_TO_ESCAPED: [string, string, string][] = [
  ['sip:alice@corp.example', 'alice%corp.example@sip.xmpp.example', 'a SIP user appears as user%sipdomain under the gateway domain'],
  ['sip:Alice@CORP.example', 'alice%corp.example@sip.xmpp.example', 'the escaped form is case-mapped'],
  ['sip:at%26t%20guy@corp.example', 'at\\26t\\20guy%corp.example@sip.xmpp.example', 'the user part is XEP-0106-escaped before the %domain'],
  ['sip:100%25@corp.example', '100%%corp.example@sip.xmpp.example', 'a user part holding % keeps it'],
  ['sip:alice@[2001:db8::1]', 'alice%[2001\\3adb8\\3a\\3a1]@sip.xmpp.example', 'an IPv6 host is XEP-0106-escaped in the localpart'],
  ['sip:alice@corp.example;gr=6c6170746f70', 'alice%corp.example@sip.xmpp.example/laptop', 'a hex gr becomes the resource'],
];
for (const [uri, jid, rule] of SIP_TO_ESCAPED) {
  void t.test(`SIP → XMPP (escaped): ${rule}`, (t) => {
    const r = sipUserToJid(uri, escaped);
    t.ok(r.ok);
    if (r.ok) t.equal(formatJid(r.value), jid);
    t.end();
  });
}

void t.test('SIP → XMPP (escaped): a URI without user part has no escaped JID', (t) => {
  const r = sipUserToJid('sip:corp.example', escaped);
  t.equal(r.ok, false);
  t.end();
});

void t.test('SIP → XMPP (escaped): a bad gateway domain is refused', (t) => {
  t.equal(sipUserToJid('sip:alice@corp.example', { addressing: 'escaped', gatewayDomain: '' }).ok, false);
  t.end();
});

void t.test('SIP → XMPP (escaped): a leading space in the user part is refused', (t) => {
  t.equal(sipUserToJid('sip:%20alice@corp.example', escaped).ok, false);
  t.end();
});

void t.test('SIP → XMPP (escaped): a localpart over 1023 bytes once the domain is added is refused', (t) => {
  t.equal(sipUserToJid(`sip:${'a'.repeat(1015)}@corp.example`, escaped).ok, false);
  t.end();
});

// XMPP → SIP, escaped
const ESCAPED_TO_SIP: [string, string, string][] = [
  ['alice%corp.example@sip.xmpp.example', 'sip:alice@corp.example', 'user%sipdomain@gateway names sip:user@sipdomain'],
  ['alice\\40corp.example@sip.xmpp.example', 'sip:alice@corp.example', 'the XEP-0106 form user\\40sipdomain@gateway is read too'],
  ['100%%corp.example@sip.xmpp.example', 'sip:100%25@corp.example', 'the % form splits at the LAST % (ours)'],
  ['a\\40b%corp.example@sip.xmpp.example', 'sip:a%40b@corp.example', 'a % after a \\40 is the separator'],
  ['100%\\40corp.example@sip.xmpp.example', 'sip:100%25@corp.example', 'a \\40 after a % is the separator'],
  ['at\\26t\\20guy%corp.example@sip.xmpp.example', 'sip:at&t%20guy@corp.example', 'the user part is unescaped, then percent-encoded'],
  ['alice%corp.example@SIP.xmpp.example/laptop', 'sip:alice@corp.example;gr=6c6170746f70', 'a resource becomes a hex gr'],
  ['alice%[2001\\3adb8\\3a\\3a1]@sip.xmpp.example', 'sip:alice@[2001:db8::1]', 'an escaped IPv6 host is unescaped'],
];
for (const [jid, uri, rule] of ESCAPED_TO_SIP) {
  void t.test(`XMPP → SIP (escaped): ${rule}`, (t) => {
    t.same(jidToSipUser(jid, escaped), { ok: true, value: uri });
    t.end();
  });
}

const ESCAPED_BAD: [string, string, string][] = [
  ['alice%corp.example@other.example', 'unknown-domain', 'a JID not under the gateway domain is an unknown domain'],
  ['sip.xmpp.example', 'address-malformed', 'the gateway domain itself names no SIP user'],
  ['alice@sip.xmpp.example', 'address-malformed', 'a localpart without % or \\40 names no SIP domain'],
  ['%corp.example@sip.xmpp.example', 'address-malformed', 'an empty user before % is malformed'],
  ['alice%@sip.xmpp.example', 'address-malformed', 'an empty SIP domain after % is malformed'],
  ['alice%corp_example@sip.xmpp.example', 'address-malformed', 'an invalid SIP domain after % is malformed'],
  ['a b@sip.xmpp.example', 'address-malformed', 'an invalid JID is malformed'],
];
for (const [jid, code, rule] of ESCAPED_BAD) {
  void t.test(`XMPP → SIP (escaped): ${rule}`, (t) => {
    const r = jidToSipUser(jid, escaped);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.error.code, code);
    t.end();
  });
}

void t.test('XMPP → SIP (escaped): a bad gateway domain is refused', (t) => {
  t.equal(jidToSipUser('a%b.example@x.example', { addressing: 'escaped', gatewayDomain: '' }).ok, false);
  t.end();
});

void t.test('XMPP → SIP (escaped): a trailing dot of the SIP domain is dropped', (t) => {
  t.same(jidToSipUser('alice%corp.example.@sip.xmpp.example', escaped), { ok: true, value: 'sip:alice@corp.example' });
  t.end();
});

// XMPP → SIP, direct
const DIRECT_TO_SIP: [string, string, string][] = [
  ['bob@xmpp.example', 'sip:bob@xmpp.example', 'a JID maps to the same user and domain'],
  ['jürgen@xmpp.example', 'sip:j%C3%BCrgen@xmpp.example', 'non-ASCII is percent-encoded as UTF-8'],
  ['a!b*c~d@xmpp.example', 'sip:a!b*c~d@xmpp.example', 'unreserved marks stay as they are'],
  ['a#b%c@xmpp.example', 'sip:a%23b%25c@xmpp.example', 'characters outside the SIP user rule are percent-encoded'],
  ['xmpp.example', 'sip:xmpp.example', 'a domain JID maps to a URI without user part'],
  ['bob@xmpp.example/Phone 1', 'sip:bob@xmpp.example;gr=50686f6e652031', 'a resource becomes a hex gr'],
];
for (const [jid, uri, rule] of DIRECT_TO_SIP) {
  void t.test(`XMPP → SIP (direct): ${rule}`, (t) => {
    t.same(xmppUserToSipUri(jid), { ok: true, value: uri });
    t.same(jidToSipUser(jid, direct), { ok: true, value: uri });
    t.end();
  });
}

void t.test('XMPP → SIP: a Jid value is taken as already parsed', (t) => {
  t.same(xmppUserToSipUri({ local: 'bob', domain: 'xmpp.example' }), { ok: true, value: 'sip:bob@xmpp.example' });
  t.same(jidToSipUser({ local: 'a%b.example', domain: 'sip.xmpp.example' }, escaped), { ok: true, value: 'sip:a@b.example' });
  t.end();
});

void t.test('XMPP → SIP: an IDN domain cannot be written in a SIP URI and is refused (no punycode, ours)', (t) => {
  const r = xmppUserToSipUri('bob@bücher.example');
  t.equal(r.ok, false);
  if (!r.ok) t.equal(r.error.code, 'address-malformed');
  t.end();
});

void t.test('XMPP → SIP: an invalid JID is refused', (t) => {
  t.equal(xmppUserToSipUri('@x.example').ok, false);
  t.end();
});

void t.test('round trip: SIP → XMPP → SIP gives the case-mapped URI back', (t) => {
  for (const uri of ['sip:alice@corp.example', 'sip:at&t%20guy@corp.example', 'sip:j%C3%BCrgen@corp.example', 'sip:c:%5C5commas@corp.example']) {
    for (const mode of [direct, escaped]) {
      const j = sipUserToJid(uri.replace('c:', 'c%3A'), mode);
      t.ok(j.ok, uri);
      if (j.ok) t.same(jidToSipUser(j.value, mode), { ok: true, value: uri.replace('c:', 'c%3A') }, `${uri} ${mode.addressing}`);
    }
  }
  t.end();
});

// GRUU
void t.test('gr: a resource is hex-encoded and decodes back', (t) => {
  t.equal(sipInstanceFromResource('home'), '686f6d65');
  t.equal(sipInstanceFromResource('手机'), 'e6898be69cba');
  t.same(resourceFromGr('E6898BE69CBA'), { ok: true, value: '手机' });
  t.end();
});

const GR_BAD: [string, string][] = [
  ['urn:uuid:1', 'a non-hex gr is no resource'],
  ['abc', 'an odd number of hex digits is no resource'],
  ['', 'an empty gr is no resource'],
  ['ff', 'hex that is not UTF-8 is no resource'],
  ['07', 'hex of a control character fails the resourcepart profile'],
];
for (const [gr, rule] of GR_BAD) {
  void t.test(`gr: ${rule}`, (t) => {
    const r = resourceFromGr(gr);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.error.code, 'address-malformed');
    t.end();
  });
}

// lower-level helpers
void t.test('percentEncodeUser() leaves the RFC 3261 user characters and encodes the rest in uppercase hex', (t) => {
  t.equal(percentEncodeUser("az09-_.!~*'()&=+$,;?/"), "az09-_.!~*'()&=+$,;?/");
  t.equal(percentEncodeUser(' @:%é'), '%20%40%3A%25%C3%A9');
  t.end();
});

void t.test('percentDecodeUser() decodes escapes in either case', (t) => {
  t.same(percentDecodeUser('a%2fb%2Fc'), { ok: true, value: 'a/b/c' });
  t.end();
});

void t.test('parseSipUri() reports scheme, decoded user, lowercased host and gr', (t) => {
  t.same(parseSipUri('sips:Bob%40x@Host.Example:5061;GR=6162;lr?h=v'), { ok: true, value: { scheme: 'sips', user: 'Bob@x', host: 'host.example', gr: '6162' } });
  t.same(parseSipUri('im:host.example'), { ok: true, value: { scheme: 'im', host: 'host.example' } });
  t.end();
});

void t.test('sipUserToLocalpart() maps, escapes and enforces', (t) => {
  t.same(sipUserToLocalpart('John Doe'), { ok: true, value: 'john\\20doe' });
  t.end();
});
