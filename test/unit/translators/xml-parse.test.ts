import t from 'tap';
import { DEFAULT_XML_LIMITS, parseXml, XML_NS, XMLNS_NS } from '../../../translators/xml-parse.ts';
import { el, type XmlElement } from '../../../translators/xml.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const refused = (detail: string): unknown => ({ ok: false, error: { code: 'bad-request', detail: `XML: ${detail}` } });
const U = 'urn:example:u';
const V = 'urn:example:v';

// ---- well-formed documents: the tree each one reads as
const ACCEPTED: [string, string | Uint8Array, XmlElement][] = [
  ['an empty element', '<a/>', el('a')],
  ['an element with an end tag and whitespace in it', '<a ></a >', el('a')],
  ['an element in the default namespace carries it as attrs.xmlns', `<a xmlns='${U}'><b/></a>`, el('a', { xmlns: U }, el('b', { xmlns: U }))],
  ['a prefixed element reads the same as a default-namespaced one', `<p:a xmlns:p="${U}"><p:b/></p:a>`, el('a', { xmlns: U }, el('b', { xmlns: U }))],
  ['xmlns="" puts an element back in no namespace', `<a xmlns="${U}"><b xmlns=""><c/></b></a>`, el('a', { xmlns: U }, el('b', {}, el('c')))],
  ['an inner declaration rebinds a prefix for its subtree only', `<p:a xmlns:p="${U}"><p:b xmlns:p="${V}"/><p:c/></p:a>`, el('a', { xmlns: U }, el('b', { xmlns: V }), el('c', { xmlns: U }))],
  ['an unprefixed attribute is in no namespace, keyed by its name', `<a xmlns="${U}" id="1"/>`, el('a', { xmlns: U, id: '1' })],
  ['xml:lang keeps its prefix; xml:space too', '<a xml:lang="de-CH" xml:space="preserve"/>', el('a', { 'xml:lang': 'de-CH', 'xml:space': 'preserve' })],
  ['a prefixed attribute is keyed {namespace}local (Clark notation)', `<a xmlns:q="${V}" q:x="1" x="2"/>`, el('a', { [`{${V}}x`]: '1', x: '2' })],
  ['the xml prefix may be declared with its own namespace', `<a xmlns:xml="${XML_NS}" xml:lang="en"/>`, el('a', { 'xml:lang': 'en' })],
  ['the five predefined entities', '<a b="&lt;&gt;&amp;&apos;&quot;">&lt;&gt;&amp;&apos;&quot;</a>', el('a', { b: `<>&'"` }, `<>&'"`)],
  ['decimal and hex character references, astral ones included', '<a b="&#65;&#x1F600;">&#233;&#xe9;&#x00041;&#x10FFFF;</a>', el('a', { b: 'A😀' }, 'ééA\u{10FFFF}')],
  ['attribute values are normalised: tab and newline become spaces, references to them stay', '<a b="x\ty\nz&#10;&#9;&#13;"/>', el('a', { b: 'x y z\n\t\r' })],
  ['CRLF and lone CR in text read as LF (§2.11)', '<a>x\r\ny\rz</a>', el('a', {}, 'x\ny\nz')],
  ['CRLF in an attribute value reads as one space', '<a b="x\r\ny"/>', el('a', { b: 'x y' })],
  ['text, references and CDATA merge into one string; CDATA text is literal', '<a>x &amp; <![CDATA[<y> & ]]]]>z</a>', el('a', {}, 'x & <y> & ]]z')],
  ['whitespace text is kept', '<a> <b/>\n</a>', el('a', {}, ' ', el('b'), '\n')],
  ['> is allowed in text and attribute values', '<a b=">">></a>', el('a', { b: '>' }, '>')],
  ['an empty attribute value, single quotes, spaces around =', `<a b = '' c= "x"/>`, el('a', { b: '', c: 'x' })],
  ['comments and whitespace around the root are skipped; comments inside are skipped and the text around them merges', '\n<!-- before --> <a><!-- in -->x<!---->y</a>\n<!-- after -->\n', el('a', {}, 'xy')],
  ['an XML declaration with encoding and standalone', `<?xml version="1.0" encoding="UTF-8" standalone='yes' ?><a/>`, el('a')],
  ['an XML declaration with US-ASCII, after a BOM', '\uFEFF<?xml version=\'1.0\' encoding="us-ascii"?>\n<a/>', el('a')],
  ['an XML declaration with standalone only', '<?xml version="1.0" standalone="no"?><a/>', el('a')],
  ['UTF-8 bytes are decoded (BOM skipped)', Uint8Array.from([0xef, 0xbb, 0xbf, ...enc('<a>é😀</a>')]), el('a', {}, 'é😀')],
  ['non-ASCII names: letters, middle dot, combining marks, astral letters', '<été·\u0301\u203F x\u{10000}="1"><_a-b.c9/></été·\u0301\u203F>', el('été·\u0301\u203F', { 'x\u{10000}': '1' }, el('_a-b.c9'))],
  ['non-ASCII text, U+FFFD and astral characters pass', '<a>中文 \uFFFD \u{1F44D}\u{1F3FD} \uE000</a>', el('a', {}, '中文 \uFFFD \u{1F44D}\u{1F3FD} \uE000')],
];
for (const [what, input, tree] of ACCEPTED) {
  void t.test(`accepted: ${what}`, (t) => {
    t.same(parseXml(input), { ok: true, value: tree });
    t.end();
  });
}

void t.test('accepted: element names are local names, attribute key order does not matter', (t) => {
  const r = parseXml(`<p:a xmlns:p="${U}" z="1" a="2"/>`);
  t.ok(r.ok);
  if (r.ok) {
    t.equal(r.value.name, 'a');
    t.same(Object.keys(r.value.attrs).sort(), ['a', 'xmlns', 'z']);
  }
  t.end();
});

// ---- malformed or refused documents: each with the reason
const REFUSED: [string, string | Uint8Array, string][] = [
  ['an empty document', '', 'no root element'],
  ['only whitespace and a comment', ' <!-- c --> ', 'no root element'],
  ['text only', 'hello', 'text outside the root element'],
  ['text after the root', '<a/>x', 'text outside the root element'],
  ['a reference before the root', '&amp;<a/>', 'text outside the root element'],
  ['two root elements', '<a/><b/>', 'more than one root element'],
  ['an unclosed element', '<a><b></b>', 'unclosed element'],
  ['a mismatched end tag', '<a></b>', 'end tag does not match the start tag'],
  ['a prefix change in the end tag (tags match by qualified name)', `<p:a xmlns:p="${U}" xmlns:q="${U}"></q:a>`, 'end tag does not match the start tag'],
  ['an end tag without a start tag', '</a>', 'end tag does not match the start tag'],
  ['an end tag with an attribute', '<a></a b="1">', 'malformed end tag'],
  ['an unterminated end tag', '<a></a', 'malformed end tag'],
  ['a duplicate attribute', '<a b="1" b="2"/>', 'duplicate attribute'],
  ['two attributes with the same expanded name (NS §6.3)', `<a xmlns:p="${U}" xmlns:q="${U}" p:x="1" q:x="2"/>`, 'duplicate attribute'],
  ['an unquoted attribute value', '<a b=1/>', 'attribute value not quoted'],
  ['an unterminated attribute value', '<a b="1/>', 'unterminated attribute value'],
  ['< in an attribute value', '<a b="<"/>', '< in an attribute value'],
  ['an attribute without a value', '<a b/>', 'malformed attribute'],
  ['attributes without space between them', '<a b="1"c="2"/>', 'malformed start tag'],
  ['a start tag cut short', '<a b="1"', 'unterminated start tag'],
  ['a space before the element name', '< a/>', 'malformed start tag'],
  ['a slash not followed by >', '<a/ >', 'malformed start tag'],
  ['an element name starting with a digit', '<1a/>', 'malformed start tag'],
  ['an undeclared entity', '<a>&nbsp;</a>', 'entity references other than the five predefined ones are not allowed'],
  ['an undeclared entity in an attribute', '<a b="&lol;"/>', 'entity references other than the five predefined ones are not allowed'],
  ['an entity reference without ;', '<a>&amp</a>', 'malformed reference'],
  ['an entity reference with a space', '<a>&am p;</a>', 'entity references other than the five predefined ones are not allowed'],
  ['a character reference to NUL', '<a>&#0;</a>', 'character reference to a character XML does not allow'],
  ['a character reference to a control character', '<a b="&#x1;"/>', 'character reference to a character XML does not allow'],
  ['a character reference to a surrogate', '<a>&#xD800;</a>', 'character reference to a character XML does not allow'],
  ['a character reference to U+FFFE', '<a>&#xFFFE;</a>', 'character reference to a character XML does not allow'],
  ['a character reference beyond U+10FFFF', '<a>&#x110000;</a>', 'character reference to a character XML does not allow'],
  ['a huge decimal character reference', '<a>&#99999999999999999999;</a>', 'character reference to a character XML does not allow'],
  ['an empty character reference', '<a>&#;</a>', 'character reference to a character XML does not allow'],
  ['an empty hex character reference', '<a>&#x;</a>', 'character reference to a character XML does not allow'],
  ['a decimal reference with a hex digit', '<a>&#12a;</a>', 'character reference to a character XML does not allow'],
  ['a hex reference with an uppercase X', '<a>&#X41;</a>', 'character reference to a character XML does not allow'],
  ['a hex reference with a non-hex letter', '<a>&#x4G;</a>', 'character reference to a character XML does not allow'],
  [']]> in text', '<a>x]]>y</a>', ']]> in text'],
  ['a DOCTYPE', '<!DOCTYPE a><a/>', 'DTDs are not allowed'],
  ['a DOCTYPE inside the root', '<a><!DOCTYPE a></a>', 'DTDs are not allowed'],
  ['other markup declarations', '<a><!ELEMENT a ANY></a>', 'malformed markup'],
  ['a processing instruction before the root', '<?app x?><a/>', 'processing instructions are not allowed'],
  ['a processing instruction inside the root', '<a><?app?></a>', 'processing instructions are not allowed'],
  ['an xml-stylesheet processing instruction', '<?xml-stylesheet href="x"?><a/>', 'processing instructions are not allowed'],
  ['an XML declaration not at the very start', ' <?xml version="1.0"?><a/>', 'processing instructions are not allowed'],
  ['an XML declaration with nothing in it', '<?xml?><a/>', 'processing instructions are not allowed'],
  ['an XML declaration for XML 1.1', '<?xml version="1.1"?><a/>', 'only XML version 1.0 is read'],
  ['an XML declaration without version', '<?xml encoding="UTF-8"?><a/>', 'malformed XML declaration'],
  ['an XML declaration naming another encoding', '<?xml version="1.0" encoding="ISO-8859-1"?><a/>', 'only UTF-8 documents are read'],
  ['an XML declaration with a bad standalone', '<?xml version="1.0" standalone="maybe"?><a/>', 'malformed XML declaration'],
  ['an XML declaration with its parts out of order', '<?xml version="1.0" standalone="yes" encoding="UTF-8"?><a/>', 'malformed XML declaration'],
  ['an XML declaration with an unknown part', '<?xml version="1.0" foo="bar"?><a/>', 'malformed XML declaration'],
  ['an XML declaration without space between parts', '<?xml version="1.0"encoding="UTF-8"?><a/>', 'malformed XML declaration'],
  ['an XML declaration with an unquoted value', '<?xml version=1.0?><a/>', 'malformed XML declaration'],
  ['an XML declaration without =', '<?xml version "1.0"?><a/>', 'malformed XML declaration'],
  ['an unterminated XML declaration value', '<?xml version="1.0', 'malformed XML declaration'],
  ['-- inside a comment', '<a><!-- x -- y --></a>', '-- in a comment'],
  ['a comment ending with --->', '<a><!-- x ---></a>', '-- in a comment'],
  ['an unterminated comment', '<a><!-- x', 'unterminated comment'],
  ['an unterminated CDATA section', '<a><![CDATA[x</a>', 'unterminated CDATA section'],
  ['a CDATA section outside the root', '<![CDATA[x]]><a/>', 'CDATA outside the root element'],
  ['an undeclared element prefix', '<p:a/>', 'undeclared namespace prefix'],
  ['an undeclared attribute prefix', '<a p:b="1"/>', 'undeclared namespace prefix'],
  ['a prefix out of its scope', `<a><p:b xmlns:p="${U}"/><p:c/></a>`, 'undeclared namespace prefix'],
  ['an element name with two colons', `<a:b:c xmlns:a="${U}"/>`, 'malformed element name'],
  ['an element name starting with a colon', '<:a/>', 'malformed element name'],
  ['an element name ending with a colon', '<a:/>', 'malformed element name'],
  ['a local name starting with a digit', `<a:1b xmlns:a="${U}"/>`, 'malformed element name'],
  ['an attribute name with two colons', `<a xmlns:b="${U}" b:c:d="1"/>`, 'malformed attribute name'],
  ['an empty prefix declaration', `<a xmlns:="${U}"/>`, 'malformed attribute name'],
  ['undeclaring a prefix (XML 1.0 namespaces forbid it)', `<a xmlns:p=""/>`, 'a prefix cannot be undeclared in XML 1.0'],
  ['declaring the xmlns prefix', `<a xmlns:xmlns="${U}"/>`, 'the xmlns prefix and namespace are reserved'],
  ['binding the xmlns namespace', `<a xmlns="${XMLNS_NS}"/>`, 'the xmlns prefix and namespace are reserved'],
  ['an element with the xmlns prefix', '<xmlns:a/>', 'the xmlns prefix and namespace are reserved'],
  ['binding the xml prefix to another namespace', `<a xmlns:xml="${U}"/>`, 'the xml prefix and namespace are reserved'],
  ['binding the xml namespace to another prefix', `<a xmlns:p="${XML_NS}"/>`, 'the xml prefix and namespace are reserved'],
  ['binding the xml namespace as the default', `<a xmlns="${XML_NS}"/>`, 'the xml prefix and namespace are reserved'],
  ['a control character in text', '<a>\u0001</a>', 'a character XML does not allow'],
  ['a NUL in an attribute', '<a b="\u0000"/>', 'a character XML does not allow'],
  ['U+FFFF', '<a>\uFFFF</a>', 'a character XML does not allow'],
  ['a lone high surrogate', '<a>\uD800x</a>', 'a character XML does not allow'],
  ['a high surrogate at the very end', '<a/>\uD800', 'a character XML does not allow'],
  ['a lone low surrogate', '<a>\uDC00</a>', 'a character XML does not allow'],
  ['bytes that are not UTF-8', Uint8Array.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]), 'document is not valid UTF-8'],
  ['UTF-16 bytes', Uint8Array.from([0xff, 0xfe, 0x3c, 0x00, 0x61, 0x00]), 'document is not valid UTF-8'],
];
for (const [what, input, detail] of REFUSED) {
  void t.test(`refused: ${what}`, (t) => {
    t.same(parseXml(input), refused(detail));
    t.end();
  });
}

// ---- hardening
const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>`;

void t.test('hardening: the billion laughs document is refused at its DTD', (t) => {
  t.same(parseXml(BILLION_LAUGHS), refused('DTDs are not allowed'));
  t.end();
});

void t.test('hardening: the billion laughs entities without their DTD are undeclared entities', (t) => {
  t.same(parseXml('<lolz>&lol9;</lolz>'), refused('entity references other than the five predefined ones are not allowed'));
  t.end();
});

void t.test('hardening: an external entity (XXE) is refused at its DTD', (t) => {
  const xxe = '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>';
  t.same(parseXml(xxe), refused('DTDs are not allowed'));
  t.end();
});

const nested = (depth: number): string => '<a>'.repeat(depth) + '</a>'.repeat(depth);

void t.test(`hardening: the default depth limit is ${DEFAULT_XML_LIMITS.maxDepth} (the root is depth 1)`, (t) => {
  t.equal(DEFAULT_XML_LIMITS.maxDepth, 32);
  t.ok(parseXml(nested(32)).ok);
  t.same(parseXml(nested(33)), refused('elements nested too deep'));
  t.same(parseXml('<a>'.repeat(10000)), refused('elements nested too deep'), 'an unclosed deep nest stops at the limit');
  t.end();
});

void t.test('hardening: a self-closing element counts for depth too; the limit is configurable', (t) => {
  t.ok(parseXml('<a><b/></a>', { maxDepth: 2 }).ok);
  t.same(parseXml('<a><b><c/></b></a>', { maxDepth: 2 }), refused('elements nested too deep'));
  t.end();
});

void t.test('hardening: the element count limit (default 4096, configurable)', (t) => {
  t.equal(DEFAULT_XML_LIMITS.maxElements, 4096);
  const flat = (n: number): string => `<r>${'<e/>'.repeat(n - 1)}</r>`;
  t.ok(parseXml(flat(4096)).ok);
  t.same(parseXml(flat(4097)), refused('too many elements'));
  t.ok(parseXml('<a><b/><c/></a>', { maxElements: 3 }).ok);
  t.same(parseXml('<a><b/><c/><d/></a>', { maxElements: 3 }), refused('too many elements'));
  t.end();
});

void t.test('hardening: the size limit is 64 KiB of UTF-8 by default', (t) => {
  t.equal(DEFAULT_XML_LIMITS.maxBytes, 65536);
  const doc = (bytes: number): string => `<a>${'x'.repeat(bytes - 7)}</a>`;
  t.ok(parseXml(doc(65536)).ok);
  t.same(parseXml(doc(65537)), refused('document too large'));
  t.same(parseXml(doc(10_000_000)), refused('document too large'), 'a giant string is refused before it is scanned');
  t.end();
});

void t.test('hardening: the size limit counts UTF-8 bytes, not UTF-16 units', (t) => {
  // 10 characters, 3 bytes each in UTF-8 (+ 7 for the tags): 37 bytes in 17 UTF-16 units.
  const s = `<a>${'€'.repeat(10)}</a>`;
  t.ok(parseXml(s, { maxBytes: 37 }).ok);
  t.same(parseXml(s, { maxBytes: 36 }), refused('document too large'));
  const astral = `<a>${'😀'.repeat(10)}</a>`; // 4 bytes each
  t.ok(parseXml(astral, { maxBytes: 47 }).ok);
  t.same(parseXml(astral, { maxBytes: 46 }), refused('document too large'));
  const two = `<a>${'é'.repeat(10)}</a>`; // 2 bytes each
  t.ok(parseXml(two, { maxBytes: 27 }).ok);
  t.same(parseXml(two, { maxBytes: 26 }), refused('document too large'));
  t.end();
});

void t.test('hardening: byte input is held to the size limit before decoding', (t) => {
  t.ok(parseXml(enc('<a>xyz</a>'), { maxBytes: 10 }).ok);
  t.same(parseXml(enc('<a>xyz</a>'), { maxBytes: 9 }), refused('document too large'));
  t.end();
});

void t.test('hardening: a document of many references and attributes parses in one linear pass', (t) => {
  const attrs = Array.from({ length: 500 }, (_, i) => `a${i}="&amp;&#65;"`).join(' ');
  const body = '&lt;x&gt;'.repeat(5000);
  const r = parseXml(`<r ${attrs}>${body}</r>`);
  t.ok(r.ok);
  if (r.ok) {
    t.equal(Object.keys(r.value.attrs).length, 500);
    t.same(r.value.children, ['<x>'.repeat(5000)]);
  }
  t.end();
});

void t.test('refusal details are fixed texts: nothing of the input is echoed', (t) => {
  const r = parseXml('<secret-name></other-secret>');
  t.ok(!r.ok && !r.error.detail.includes('secret'));
  t.end();
});
