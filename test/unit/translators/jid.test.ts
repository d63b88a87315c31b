import t from 'tap';
import {
  bareJid, checkLocalpart, domainpartProfile, formatJid, localpartProfile, makeJid, mapLocalpart, parseJid,
  resourcepartProfile, utf8Length, widthMap,
} from '../../../translators/jid.ts';

const LOCAL_OK: [string, string, string][] = [
  ['alice', 'alice', 'an ASCII localpart stays as it is'],
  ['Alice', 'alice', 'the localpart is lowercased (RFC 8265 case mapping)'],
  ['ＡＬＩＣＥ', 'alice', 'fullwidth letters are width-mapped, then lowercased'],
  ['ｶﾞ', 'ガ', 'halfwidth katakana and its voiced mark are width-mapped and composed by NFC'],
  ['e\u0301', 'é', 'the localpart is NFC-normalised'],
  ['straße', 'straße', 'ß is valid (PRECIS exception) and not case-folded'],
  ['ΣΑΣ', 'σας', 'Greek capitals lowercase by toLowerCase (final sigma rule included)'],
  ['張三', '張三', 'CJK letters are valid'],
  ['c\\net', 'c\\net', 'a backslash (ASCII 0x5C) is valid in a localpart'],
  ['a!#$%*+=?^_`{|}~-', 'a!#$%*+=?^_`{|}~-', 'ASCII printable characters other than the eight forbidden ones are valid'],
  ['שלום', 'שלום', 'a right-to-left localpart of RTL letters holds the bidi rule'],
  ['שלום1', 'שלום1', 'a right-to-left localpart may end in a European digit'],
  ['مرحبا\u0661', 'مرحبا\u0661', 'a right-to-left localpart may end in an Arabic-Indic digit'],
  ['مرحبا\u0651', 'مرحبا\u0651', 'a right-to-left localpart may end in a nonspacing mark'],
];
for (const [input, out, rule] of LOCAL_OK) {
  void t.test(`localpart: ${rule}`, (t) => {
    t.same(localpartProfile(input), { ok: true, value: out });
    t.end();
  });
}

const LOCAL_BAD: [string, string][] = [
  ['', 'an empty localpart is refused'],
  ['a b', 'a space is refused'],
  ['a"b', 'a double quote is refused (RFC 7622 §3.3.1)'],
  ['a&b', 'an ampersand is refused (RFC 7622 §3.3.1)'],
  ["a'b", 'an apostrophe is refused (RFC 7622 §3.3.1)'],
  ['a/b', 'a slash is refused (RFC 7622 §3.3.1)'],
  ['a:b', 'a colon is refused (RFC 7622 §3.3.1)'],
  ['a<b', 'a less-than sign is refused (RFC 7622 §3.3.1)'],
  ['a>b', 'a greater-than sign is refused (RFC 7622 §3.3.1)'],
  ['a@b', 'an at sign is refused (RFC 7622 §3.3.1)'],
  ['a\u0000b', 'a control character is refused'],
  ['a\u007fb', 'DEL is refused'],
  ['a\ufffdb', 'U+FFFD is refused'],
  ['a\ud800b', 'a lone surrogate is refused'],
  ['a\u200db', 'a zero width joiner is refused (CONTEXTJ; ours: refused outright)'],
  ['a\u00adb', 'a default-ignorable code point (soft hyphen) is refused'],
  ['\ufdd0', 'a noncharacter is refused'],
  ['a\u0378', 'an unassigned code point is refused'],
  ['\u2163', 'a compatibility character (Roman numeral four) is refused (HasCompat)'],
  ['ﬁ', 'a ligature is refused (HasCompat)'],
  ['a☃', 'a symbol is refused (IdentifierClass)'],
  ['😀', 'an emoji is refused (IdentifierClass)'],
  ['a\u00b7b', 'a middle dot is refused (CONTEXTO; ours: refused outright)'],
  ['a\u1100', 'old Hangul conjoining jamo are refused'],
  ['\u0661\u0662', 'a right-to-left localpart may not start with an Arabic-Indic digit (bidi rule 1)'],
  ['\u0640', 'Arabic tatweel is refused (PRECIS DISALLOWED exception)'],
  ['\u0661\u06f1', 'Arabic-Indic and extended Arabic-Indic digits may not be mixed'],
  ['a\u3000b', 'an ideographic space is width-mapped to a space, then refused'],
  ['1שלום', 'a right-to-left localpart may not start with a digit (bidi rule 1)'],
  ['שלוםabc', 'a right-to-left localpart may not hold a left-to-right letter (bidi rule 2)'],
  ['שלום-', 'a right-to-left localpart may not end with a neutral (bidi rule 3)'],
  ['a'.repeat(1024), 'a localpart over 1023 bytes is refused'],
  ['é'.repeat(512), 'the 1023-byte limit counts UTF-8 bytes, not characters'],
];
for (const [input, rule] of LOCAL_BAD) {
  void t.test(`localpart: ${rule}`, (t) => {
    const r = localpartProfile(input);
    t.equal(r.ok, false);
    if (!r.ok) t.equal(r.error.code, 'address-malformed');
    t.end();
  });
}

void t.test('localpart: exactly 1023 bytes is accepted', (t) => {
  t.equal(localpartProfile('a'.repeat(1023)).ok, true);
  t.end();
});

void t.test('mapLocalpart() and checkLocalpart() are the two halves of the profile', (t) => {
  t.equal(mapLocalpart('Ａb'), 'ab');
  t.equal(checkLocalpart('A').ok, true, 'enforcement alone does not lowercase nor refuse ASCII capitals');
  t.end();
});

void t.test('widthMap() maps only the fullwidth and halfwidth forms', (t) => {
  t.equal(widthMap('Ａ\u2163'), 'A\u2163');
  t.end();
});

void t.test('utf8Length() counts UTF-8 bytes', (t) => {
  t.equal(utf8Length('aé😀'), 1 + 2 + 4);
  t.end();
});

const DOMAINS: [string, string | undefined, string][] = [
  ['Example.COM', 'example.com', 'the domainpart is lowercased'],
  ['example.com.', 'example.com', 'a final dot is stripped (RFC 7622 §3.2)'],
  ['ｅｘａｍｐｌｅ.com', 'example.com', 'fullwidth letters in a domainpart are width-mapped'],
  ['bücher.example', 'bücher.example', 'a U-label domain is accepted'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example', 'an A-label stays as it is (no IDNA conversion)'],
  ['[::1]', '[::1]', 'an IPv6 literal is accepted'],
  ['192.0.2.1', '192.0.2.1', 'an IPv4 address is accepted'],
  ['', undefined, 'an empty domainpart is refused'],
  ['.', undefined, 'a lone dot is refused'],
  ['a..b', undefined, 'an empty label is refused'],
  ['-a.example', undefined, 'a label may not start with a hyphen'],
  ['a b.example', undefined, 'a space is refused in a domainpart'],
  ['a_b.example', undefined, 'an underscore is refused in a domainpart'],
  [`${'a'.repeat(64)}.example`, undefined, 'a label over 63 bytes is refused'],
  [Array(300).fill('abc').join('.'), undefined, 'a domainpart over 1023 bytes is refused'],
];
for (const [input, out, rule] of DOMAINS) {
  void t.test(`domainpart: ${rule}`, (t) => {
    const r = domainpartProfile(input);
    if (out === undefined) t.equal(r.ok, false);
    else t.same(r, { ok: true, value: out });
    t.end();
  });
}

const RESOURCES: [string, string | undefined, string][] = [
  ['Home', 'Home', 'a resourcepart keeps its case (OpaqueString)'],
  ['my laptop/2 ☃ 😀', 'my laptop/2 ☃ 😀', 'spaces, slashes, symbols and emoji are valid in a resourcepart'],
  ['a\u00a0b', 'a b', 'a non-ASCII space is mapped to U+0020'],
  ['e\u0301', 'é', 'a resourcepart is NFC-normalised'],
  ['', undefined, 'an empty resourcepart is refused'],
  ['a\u0007', undefined, 'a control character is refused in a resourcepart'],
  ['a\ue000', undefined, 'a private-use character is refused in a resourcepart'],
  ['a\u200b', undefined, 'a default-ignorable code point is refused in a resourcepart'],
  ['\u1100', undefined, 'old Hangul jamo are refused in a resourcepart'],
  ['r'.repeat(1024), undefined, 'a resourcepart over 1023 bytes is refused'],
];
for (const [input, out, rule] of RESOURCES) {
  void t.test(`resourcepart: ${rule}`, (t) => {
    const r = resourcepartProfile(input);
    if (out === undefined) t.equal(r.ok, false);
    else t.same(r, { ok: true, value: out });
    t.end();
  });
}

const JIDS: [string, object | undefined, string][] = [
  ['Alice@Example.com/Home', { local: 'alice', domain: 'example.com', resource: 'Home' }, 'a full JID is split and each part prepared'],
  ['example.com', { domain: 'example.com' }, 'a domain JID has no localpart nor resource'],
  ['alice@example.com', { local: 'alice', domain: 'example.com' }, 'a bare JID has no resource'],
  ['example.com/a@b/c', { domain: 'example.com', resource: 'a@b/c' }, 'the resourcepart starts at the first slash and may hold @ and / (RFC 7622 §3.2)'],
  ['@example.com', undefined, 'an empty localpart before @ is refused'],
  ['alice@example.com/', undefined, 'an empty resourcepart after / is refused'],
  ['a@b@example.com', undefined, 'a second @ lands in the domainpart and is refused'],
  ['alice@', undefined, 'an empty domainpart is refused'],
];
for (const [input, out, rule] of JIDS) {
  void t.test(`parseJid: ${rule}`, (t) => {
    const r = parseJid(input);
    if (out === undefined) {
      t.equal(r.ok, false);
      if (!r.ok) t.equal(r.error.code, 'address-malformed');
    } else {
      t.same(r, { ok: true, value: out });
    }
    t.end();
  });
}

void t.test('formatJid() writes local@domain/resource, leaving out absent parts', (t) => {
  t.equal(formatJid({ local: 'a', domain: 'b.example', resource: 'r/1' }), 'a@b.example/r/1');
  t.equal(formatJid({ domain: 'b.example' }), 'b.example');
  t.end();
});

void t.test('bareJid() drops the resource', (t) => {
  t.same(bareJid({ local: 'a', domain: 'b', resource: 'r' }), { local: 'a', domain: 'b' });
  t.end();
});

void t.test('makeJid() prepares each part and reports the first invalid one', (t) => {
  t.same(makeJid({ local: 'A', domain: 'B.example', resource: 'R' }), { ok: true, value: { local: 'a', domain: 'b.example', resource: 'R' } });
  t.equal(makeJid({ domain: '' }).ok, false);
  t.equal(makeJid({ local: 'a b', domain: 'x.example' }).ok, false);
  t.equal(makeJid({ domain: 'x.example', resource: '' }).ok, false);
  t.end();
});
