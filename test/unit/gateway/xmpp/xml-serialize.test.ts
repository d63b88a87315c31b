import t from 'tap';
import { el } from '../../../../translators/xml.ts';
import { InvalidXmlNameError, escapeText, serialize } from '../../../../gateway/xmpp/xml-serialize.ts';

// XML 1.0 §2.2 Char: every code point XML 1.0 cannot carry, and its neighbours that it can.
const NOT_CHARS = [
  ...Array.from({ length: 9 }, (_, i) => i), 0x0b, 0x0c, ...Array.from({ length: 18 }, (_, i) => 0x0e + i), 0xfffe, 0xffff,
];

void t.test('every character XML 1.0 cannot carry is replaced with U+FFFD and counted, in text and attributes', (tt) => {
  for (const cp of NOT_CHARS) {
    const c = String.fromCharCode(cp);
    const out = serialize(el('body', { a: `x${c}y` }, `x${c}y`));
    tt.equal(out.xml, '<body a="x\uFFFDy">x\uFFFDy</body>', `U+${cp.toString(16).padStart(4, '0')}`);
    tt.equal(out.replaced, 2);
  }
  tt.end();
});

void t.test('characters XML 1.0 carries are kept (tab, LF, U+0020, U+D7FF, U+E000, U+FFFD, astral)', (tt) => {
  const ok = '\t\n \uD7FF\uE000\uFFFD\u{10000}\u{1F600}\u{10FFFF}';
  tt.same(serialize(el('b', {}, ok)), { xml: `<b>${ok}</b>`, replaced: 0 });
  tt.end();
});

const cases: [string, string, string, number][] = [
  ['ampersand, less-than, greater-than in text', 'a & b < c > d', 'a &amp; b &lt; c &gt; d', 0],
  ['quotes are literal in text', `"it's"`, `"it's"`, 0],
  ['CR in text is escaped so the parser does not turn it into LF', 'a\r\nb', 'a&#13;\nb', 0],
  ['a surrogate pair (emoji) is kept intact', 'x\u{1F600}y', 'x\u{1F600}y', 0],
  ['a lone high surrogate is replaced', 'x\uD83Dy', 'x\uFFFDy', 1],
  ['a lone low surrogate is replaced', 'x\uDE00y', 'x\uFFFDy', 1],
  ['a high surrogate at the end is replaced', 'x\uD83D', 'x\uFFFD', 1],
  ['two high surrogates then a low: the first is lone', '\uD83D\uD83D\uDE00', '\uFFFD\u{1F600}', 1],
  ['reversed pair: both lone', '\uDE00\uD83D', '\uFFFD\uFFFD', 2],
];
void t.test('text escaping (table)', (tt) => {
  for (const [name, input, xml, replaced] of cases) tt.same(escapeText(input), { xml, replaced }, name);
  tt.end();
});

void t.test('attribute escaping: & < > " and tab, CR, LF as character references', (tt) => {
  tt.equal(serialize(el('x', { v: `a&b<c>d"e'f\tg\rh\ni` })).xml, `<x v="a&amp;b&lt;c&gt;d&quot;e'f&#9;g&#13;h&#10;i"/>`);
  tt.end();
});

void t.test('structure: empty elements self-close, children and text nest in order', (tt) => {
  const e = el('message', { to: 'a@b', type: 'chat' }, el('body', {}, 'hi'), el('active', { xmlns: 'http://jabber.org/protocol/chatstates' }));
  tt.same(serialize(e), { xml: '<message to="a@b" type="chat"><body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>', replaced: 0 });
  tt.equal(serialize(el('a', {}, '')).xml, '<a></a>');
  tt.equal(serialize(el('x:y', { 'xml:lang': 'en', 'xmlns:x': 'urn:x' })).xml, '<x:y xml:lang="en" xmlns:x="urn:x"/>');
  tt.end();
});

void t.test('a name that is not an XML name is refused, never written', (tt) => {
  tt.throws(() => serialize(el('a b')), InvalidXmlNameError);
  tt.throws(() => serialize(el('a', { 'x"y': '1' })), { name: 'InvalidXmlNameError', xmlName: 'x"y' });
  tt.throws(() => serialize(el('a', {}, el('1x'))), InvalidXmlNameError);
  tt.throws(() => serialize(el('')), InvalidXmlNameError);
  tt.end();
});

void t.test('names are checked however many distinct ones were seen before (the memo of good names is bounded)', (tt) => {
  for (let i = 0; i < 1100; i++) tt.equal(serialize(el(`n${i}`)).xml, `<n${i}/>`);
  tt.throws(() => serialize(el('1n')), InvalidXmlNameError);
  tt.equal(serialize(el('n5', { a: 'plain' }, 'plain')).xml, '<n5 a="plain">plain</n5>', 'a remembered name, strings without specials as they are');
  tt.end();
});
