import { readFileSync } from 'node:fs';
import t from 'tap';
import { buildPidf, DEFAULT_PERSON_ID, DM_NS, formatQvalue, parsePidf, PIDF_NS, RPID_NS, type PidfDocument } from '../../../translators/pidf.ts';
import { parseXml } from '../../../translators/xml-parse.ts';
import { el } from '../../../translators/xml.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/pidf/${name}`, import.meta.url), 'utf8');
const refused = (detail: string): unknown => ({ ok: false, error: { code: 'bad-request', detail: `PIDF: ${detail}` } });
const P = `xmlns="${PIDF_NS}"`;
const doc = (inner: string, rootAttrs = ''): string =>
  `<presence ${P} xmlns:dm="${DM_NS}" xmlns:rpid="${RPID_NS}" entity="sip:a@corp.example"${rootAttrs}>${inner}</presence>`;
const tupleXml = (inner: string, id = 't1'): string => `<tuple id="${id}"><status><basic>open</basic></status>${inner}</tuple>`;

// ---- the fixtures, read into the model
const FIXTURES: [string, string, PidfDocument][] = [
  ['RFC 3863 §6 example: two tuples, notes in two languages, a presentity note, extensions passed over', 'rfc3863-example.xml', {
    entity: 'pres:someone@example.com',
    tuples: [
      {
        id: 'bs35r9', basic: 'open', contact: { uri: 'im:someone@mobilecarrier.net', priority: 0.8 },
        notes: [{ text: "Don't Disturb Please!", lang: 'en' }, { text: "Ne dérangez pas, s'il vous plaît", lang: 'fr' }],
        timestamp: '2001-10-27T16:49:29Z',
      },
      { id: 'eg92n8', basic: 'open', contact: { uri: 'mailto:someone@example.com', priority: 1 }, notes: [] },
    ],
    notes: [{ text: "I'll be in Tokyo next week" }],
  }],
  ['RFC 4480 example: the person\'s activities and notes (rpid:note in activities, dm:note); device and mood passed over', 'rfc4480-example.xml', {
    entity: 'pres:someone@example.com',
    tuples: [
      {
        id: 'bs35r9', basic: 'open', contact: { uri: 'im:someone@mobilecarrier.net', priority: 0.8 },
        notes: [{ text: "Don't Disturb Please!", lang: 'en' }, { text: "Ne dérangez pas, s'il vous plaît", lang: 'fr' }],
        timestamp: '2005-10-27T16:49:29Z',
      },
      { id: 'ty4658', basic: 'open', contact: { uri: 'mailto:secretary@example.com', priority: 1 }, notes: [] },
      { id: 'eg92n8', basic: 'open', contact: { uri: 'mailto:someone@example.com', priority: 1 }, notes: [] },
    ],
    notes: [{ text: "I'll be in Tokyo next week" }],
    person: { id: 'p1', activities: ['away'], notes: [{ text: 'Far away' }, { text: 'Scoring 120' }] },
  }],
  ['RFC 4480: several activities at once, in document order', 'rfc4480-meeting.xml', {
    entity: 'pres:someone@example.com',
    tuples: [{ id: 'a8098a', basic: 'open', contact: { uri: 'sip:someone@pc33.example.com' }, notes: [] }],
    notes: [],
    person: { id: 'p2', activities: ['meeting', 'on-the-phone'], notes: [{ text: 'In the quarterly review', lang: 'en' }] },
  }],
  ['Kamailio pua: one tuple with contact and note, RPID in the person, mixed text in activities ignored', 'kamailio-pua-open.xml', {
    entity: 'sip:alice@corp.example',
    tuples: [{ id: '0x81475a0', basic: 'open', contact: { uri: 'sip:alice@192.0.2.10:5060;transport=udp', priority: 0.8 }, notes: [{ text: 'On the phone' }] }],
    notes: [],
    person: { id: 'pdd748945', activities: ['on-the-phone'], notes: [{ text: 'On the phone' }] },
  }],
  ['Kamailio pua: a single closed tuple', 'kamailio-pua-closed.xml', {
    entity: 'sip:alice@corp.example',
    tuples: [{ id: '0x8147d28', basic: 'closed', notes: [] }],
    notes: [],
  }],
  ['Kamailio presence_xml dummy body: one open tuple', 'kamailio-presence-xml-dummy.xml', {
    entity: 'sip:bob@corp.example',
    tuples: [{ id: 'tuple_123456', basic: 'open', notes: [] }],
    notes: [],
  }],
  ['Lync-style: many tuples, notes in four languages, xml:lang inherited from <presence>', 'lync-style-multi.xml', {
    entity: 'sip:carol@contoso.example',
    tuples: [
      {
        id: 't-desktop', basic: 'open', contact: { uri: 'sip:carol@contoso.example;opaque=user:epid:a1b2c3d4e5;gruu', priority: 1 },
        notes: [{ text: 'In a meeting', lang: 'en-US' }, { text: 'In einer Besprechung', lang: 'de-DE' }, { text: 'En réunion', lang: 'fr-FR' }, { text: '会議中', lang: 'ja-JP' }],
        timestamp: '2026-11-02T09:58:12Z',
      },
      {
        id: 't-mobile', basic: 'open', contact: { uri: 'sip:carol@contoso.example;opaque=user:epid:f6a7b8c9d0;gruu', priority: 0.5 },
        notes: [{ text: 'Unterwegs', lang: 'de-DE' }, { text: 'On the road', lang: 'en-US' }],
        timestamp: '2026-11-02T09:40:00Z',
      },
      {
        id: 't-web', basic: 'closed', contact: { uri: 'sip:carol@contoso.example;opaque=user:epid:0011223344;gruu', priority: 0.1 },
        notes: [{ text: 'Signed out & away', lang: 'en-US' }],
        timestamp: '2026-11-01T18:00:00Z',
      },
      { id: 't-phone', basic: 'open', contact: { uri: 'tel:+15550100', priority: 0.8 }, notes: [] },
    ],
    notes: [{ text: 'Back on Monday', lang: 'en-US' }, { text: 'Ab Montag zurück', lang: 'de-DE' }],
    person: { id: 'carol', activities: ['busy'], notes: [{ text: 'Busy until 11:00', lang: 'en-US' }, { text: 'Beschäftigt bis 11:00', lang: 'de-DE' }] },
  }],
  ['the gateway\'s own shape: SID- tuple ids, gr contacts', 'gateway-sid-tuples.xml', {
    entity: 'sip:dave@xmpp.example',
    tuples: [
      {
        id: 'SID-70686f6e65', basic: 'open', contact: { uri: 'sip:dave@xmpp.example;gr=70686f6e65', priority: 0.504 },
        notes: [{ text: 'Vacation', lang: 'en' }, { text: 'In vacanza', lang: 'it' }], timestamp: '2026-11-02T10:00:00Z',
      },
      { id: 'SID-42c3bc726f', basic: 'closed', notes: [], timestamp: '2026-11-02T10:00:00Z' },
    ],
    notes: [],
    person: { id: 'person', activities: ['vacation'], notes: [] },
  }],
];
for (const [what, file, model] of FIXTURES) {
  void t.test(`parse: ${what} (${file})`, (t) => {
    t.same(parsePidf(fixture(file)), { ok: true, value: model });
    t.end();
  });
  void t.test(`round trip: ${file} → model → buildPidf → parsePidf gives the same model`, (t) => {
    t.same(parsePidf(buildPidf(model)), { ok: true, value: model });
    t.end();
  });
}

void t.test('parse: a parsed tree, text and UTF-8 bytes read the same', (t) => {
  const text = fixture('lync-style-multi.xml');
  const tree = parseXml(text);
  t.ok(tree.ok);
  if (tree.ok) t.same(parsePidf(tree.value), parsePidf(text));
  t.same(parsePidf(new TextEncoder().encode(text)), parsePidf(text));
  t.end();
});

// ---- reading rules
const READ: [string, string, PidfDocument][] = [
  ['a note keeps its text exactly (whitespace, markup characters); a note with no text is dropped',
    doc(tupleXml('<note>  two  spaces\n</note><note/><note></note><note>&lt;b&gt;</note>')),
    { entity: 'sip:a@corp.example', tuples: [{ id: 't1', basic: 'open', notes: [{ text: '  two  spaces\n' }, { text: '<b>' }] }], notes: [] }],
  ['xml:lang is inherited from <presence> and <tuple>; an own xml:lang wins; xml:lang="" means none (XML §2.12)',
    doc(`<tuple id="t1" xml:lang="de"><status><basic>open</basic></status><note>a</note><note xml:lang="fr">b</note><note xml:lang="">c</note></tuple><note>d</note>`, ' xml:lang="en"'),
    { entity: 'sip:a@corp.example', tuples: [{ id: 't1', basic: 'open', notes: [{ text: 'a', lang: 'de' }, { text: 'b', lang: 'fr' }, { text: 'c' }] }], notes: [{ text: 'd', lang: 'en' }] }],
  ['token values are read trimmed: basic, contact, priority, timestamp, entity (ours)',
    doc(`<tuple id="t1"><status><basic> closed </basic></status><contact priority=" 0.5 ">\n sip:x@y \n</contact><timestamp> 2026-01-01T00:00:00Z </timestamp></tuple>`).replace('entity="sip:a@corp.example"', 'entity=" sip:a@corp.example "'),
    { entity: 'sip:a@corp.example', tuples: [{ id: 't1', basic: 'closed', contact: { uri: 'sip:x@y', priority: 0.5 }, notes: [], timestamp: '2026-01-01T00:00:00Z' }], notes: [] }],
  ['a tuple whose status has no basic has none (RFC 3863 §4.1.4: basic is optional)',
    doc('<tuple id="t1"><status/></tuple>'),
    { entity: 'sip:a@corp.example', tuples: [{ id: 't1', notes: [] }], notes: [] }],
  ['the first status, contact and timestamp count; elements of other namespaces in a tuple are passed over',
    doc(`<tuple id="t1"><status><basic>open</basic></status><status><basic>closed</basic></status><contact>sip:1@x</contact><contact>sip:2@x</contact><timestamp>1</timestamp><timestamp>2</timestamp><x:note xmlns:x="urn:x">not ours</x:note><rpid:note>rpid</rpid:note></tuple>`),
    { entity: 'sip:a@corp.example', tuples: [{ id: 't1', basic: 'open', contact: { uri: 'sip:1@x' }, notes: [], timestamp: '1' }], notes: [] }],
  ['a basic of another namespace is not the PIDF basic',
    doc('<tuple id="t1"><status><x:basic xmlns:x="urn:x">open</x:basic></status></tuple>'),
    { entity: 'sip:a@corp.example', tuples: [{ id: 't1', notes: [] }], notes: [] }],
  ['qvalues at their bounds: 0, 0., 0.001, 1, 1.000',
    doc(['0', '0.', '0.001', '1', '1.000'].map((p, i) => tupleXml(`<contact priority="${p}">sip:${i}@x</contact>`, `t${i}`)).join('')),
    { entity: 'sip:a@corp.example', tuples: [0, 0, 0.001, 1, 1].map((priority, i) => ({ id: `t${i}`, basic: 'open' as const, contact: { uri: `sip:${i}@x`, priority }, notes: [] })), notes: [] }],
  ['several persons merge: activities (each once) and notes of all; the first id (ours)',
    doc(`<dm:person><rpid:activities><rpid:away/></rpid:activities><dm:note>one</dm:note></dm:person><dm:person id="p2"><rpid:activities><rpid:away/><rpid:busy/></rpid:activities><rpid:note>two</rpid:note><note>three</note></dm:person><dm:person id="p3"/>`),
    { entity: 'sip:a@corp.example', tuples: [], notes: [], person: { id: 'p2', activities: ['away', 'busy'], notes: [{ text: 'one' }, { text: 'two' }, { text: 'three' }] } }],
  ['a person with no id; activities of other namespaces and notes of other namespaces are passed over; activity notes take the activities\' xml:lang',
    doc(`<dm:person xml:lang="sv"><rpid:activities xml:lang="da"><x:napping xmlns:x="urn:x"/><rpid:note>n</rpid:note><rpid:other>brooding</rpid:other></rpid:activities><x:note xmlns:x="urn:x">x</x:note><note xmlns="">no namespace</note><dm:note>p</dm:note><dm:activities><rpid:busy/></dm:activities></dm:person>`),
    { entity: 'sip:a@corp.example', tuples: [], notes: [], person: { activities: ['other'], notes: [{ text: 'n', lang: 'da' }, { text: 'p', lang: 'sv' }] } }],
  ['elements of other namespaces under <presence> are passed over (a tuple or person of the wrong namespace too)',
    doc(`<dm:device id="d"><dm:note>PC</dm:note></dm:device><x:tuple xmlns:x="urn:x" id="t9"/><person/><x:note xmlns:x="urn:x">x</x:note>`),
    { entity: 'sip:a@corp.example', tuples: [], notes: [] }],
];
for (const [what, xml, model] of READ) {
  void t.test(`parse: ${what}`, (t) => {
    t.same(parsePidf(xml), { ok: true, value: model });
    t.end();
  });
}

// ---- refusals
const REFUSED: [string, string, string][] = [
  ['a root that is not <presence>', `<tuple ${P} id="t"/>`, 'the document is not a PIDF <presence>'],
  ['a <presence> in another namespace (an XMPP stanza)', '<presence xmlns="jabber:client" entity="sip:a@b"/>', 'the document is not a PIDF <presence>'],
  ['a <presence> in no namespace', '<presence entity="sip:a@b"/>', 'the document is not a PIDF <presence>'],
  ['a <presence> without entity', `<presence ${P}/>`, '<presence> has no entity'],
  ['an empty entity', `<presence ${P} entity=" "/>`, '<presence> has no entity'],
  ['a tuple without id', doc('<tuple><status/></tuple>'), 'a tuple has no id'],
  ['a tuple with an empty id', doc('<tuple id=""><status/></tuple>'), 'a tuple has no id'],
  ['a tuple without status', doc('<tuple id="t"><contact>sip:x@y</contact></tuple>'), 'a tuple has no status'],
  ['a basic other than open or closed', doc('<tuple id="t"><status><basic>busy</basic></status></tuple>'), 'basic is neither open nor closed'],
  ['an empty basic', doc('<tuple id="t"><status><basic/></status></tuple>'), 'basic is neither open nor closed'],
  ['two tuples with one id', doc(tupleXml('', 't') + tupleXml('', 't')), 'two tuples have the same id'],
  ['a bad tuple after a good one', doc(tupleXml('', 't') + '<tuple/>'), 'a tuple has no id'],
];
for (const [what, xml, detail] of REFUSED) {
  void t.test(`refused: ${what}`, (t) => {
    t.same(parsePidf(xml), refused(detail));
    t.end();
  });
}

for (const p of ['1.5', '-0.1', '0.1234', '.5', '1.01', 'high', '', '2']) {
  void t.test(`refused: a contact priority that is not a qvalue: "${p}"`, (t) => {
    t.same(parsePidf(doc(tupleXml(`<contact priority="${p}">sip:x@y</contact>`))), refused('a contact priority is not a qvalue'));
    t.end();
  });
}

void t.test('refused: malformed XML is refused by the XML parser (bad-request, its detail)', (t) => {
  t.same(parsePidf(`<presence ${P} entity="sip:a@b">`), { ok: false, error: { code: 'bad-request', detail: 'XML: unclosed element' } });
  t.same(parsePidf(`<!DOCTYPE presence><presence ${P} entity="sip:a@b"/>`), { ok: false, error: { code: 'bad-request', detail: 'XML: DTDs are not allowed' } });
  t.end();
});

void t.test('refused: the XML limits apply and can be given', (t) => {
  t.same(parsePidf(fixture('lync-style-multi.xml'), { maxBytes: 1000 }), { ok: false, error: { code: 'bad-request', detail: 'XML: document too large' } });
  t.same(parsePidf(fixture('rfc4480-example.xml'), { maxDepth: 3 }), { ok: false, error: { code: 'bad-request', detail: 'XML: elements nested too deep' } });
  t.end();
});

// ---- building
const QVALUES: [number, string][] = [[0, '0'], [1, '1'], [0.5, '0.5'], [0.8, '0.8'], [0.504, '0.504'], [0.0079, '0.008'], [0.12345, '0.123'], [-1, '0'], [2, '1']];
for (const [q, s] of QVALUES) {
  void t.test(`build: priority ${q} is written as the qvalue "${s}" (at most 3 decimals, clamped to 0..1) (ours)`, (t) => {
    t.equal(formatQvalue(q), s);
    t.end();
  });
}

void t.test('build: every element carries its namespace; the schema order (status, contact, notes, timestamp; notes; person)', (t) => {
  const model: PidfDocument = {
    entity: 'sip:bob@xmpp.example',
    tuples: [{ id: 'SID-70', basic: 'open', contact: { uri: 'sip:bob@xmpp.example;gr=70', priority: 0.5 }, notes: [{ text: 'hi', lang: 'en' }, { text: 'salut' }], timestamp: '2026-11-02T10:00:00Z' }],
    notes: [{ text: 'all', lang: 'de' }],
    person: { id: 'p', activities: ['away', 'meeting'], notes: [{ text: 'gone', lang: 'en' }] },
  };
  t.same(buildPidf(model), el('presence', { xmlns: PIDF_NS, entity: 'sip:bob@xmpp.example' },
    el('tuple', { xmlns: PIDF_NS, id: 'SID-70' },
      el('status', { xmlns: PIDF_NS }, el('basic', { xmlns: PIDF_NS }, 'open')),
      el('contact', { xmlns: PIDF_NS, priority: '0.5' }, 'sip:bob@xmpp.example;gr=70'),
      el('note', { xmlns: PIDF_NS, 'xml:lang': 'en' }, 'hi'),
      el('note', { xmlns: PIDF_NS }, 'salut'),
      el('timestamp', { xmlns: PIDF_NS }, '2026-11-02T10:00:00Z')),
    el('note', { xmlns: PIDF_NS, 'xml:lang': 'de' }, 'all'),
    el('person', { xmlns: DM_NS, id: 'p' },
      el('activities', { xmlns: RPID_NS }, el('away', { xmlns: RPID_NS }), el('meeting', { xmlns: RPID_NS })),
      el('note', { xmlns: DM_NS, 'xml:lang': 'en' }, 'gone'))));
  t.end();
});

void t.test('build: a tuple without basic, contact priority or timestamp has only what it has', (t) => {
  t.same(buildPidf({ entity: 'sip:a@b', tuples: [{ id: 't', contact: { uri: 'sip:c@d' }, notes: [] }], notes: [] }),
    el('presence', { xmlns: PIDF_NS, entity: 'sip:a@b' },
      el('tuple', { xmlns: PIDF_NS, id: 't' }, el('status', { xmlns: PIDF_NS }), el('contact', { xmlns: PIDF_NS }, 'sip:c@d'))));
  t.end();
});

void t.test(`build: a person without id gets "${DEFAULT_PERSON_ID}" (ours); one with only notes has no <activities>`, (t) => {
  t.same(buildPidf({ entity: 'sip:a@b', tuples: [], notes: [], person: { activities: [], notes: [{ text: 'n' }] } }),
    el('presence', { xmlns: PIDF_NS, entity: 'sip:a@b' }, el('person', { xmlns: DM_NS, id: DEFAULT_PERSON_ID }, el('note', { xmlns: DM_NS }, 'n'))));
  t.end();
});

void t.test('build: a person with neither activities nor notes is left out', (t) => {
  t.same(buildPidf({ entity: 'sip:a@b', tuples: [], notes: [], person: { id: 'p', activities: [], notes: [] } }), el('presence', { xmlns: PIDF_NS, entity: 'sip:a@b' }));
  t.end();
});
