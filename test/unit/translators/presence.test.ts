import { readFileSync } from 'node:fs';
import t from 'tap';
import { DM_NS, PIDF_NS, RPID_NS } from '../../../translators/pidf.ts';
import {
  ACTIVITY_TO_SHOW, activityForShow, AVAILABILITY_ORDER, mostAvailable, OFFLINE_TUPLE_ID, pidfToXmppPresence, priorityToQvalue, qvalueToPriority,
  resourceForTupleId, SHOW_PRECEDENCE, SHOW_TO_ACTIVITY, showForActivities, tupleIdForResource, xmppPresenceToPidf, xmppPresenceToPidfModel,
  type XmppResourcePresence, type XmppShow,
} from '../../../translators/presence.ts';
import { el, type XmlElement } from '../../../translators/xml.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/pidf/${name}`, import.meta.url), 'utf8');
const ENTITY = 'sip:bob@xmpp.example';
const res = (resource: string, over: Partial<XmppResourcePresence> = {}): XmppResourcePresence => ({ resource, available: true, statuses: [], ...over });
const pidfDoc = (inner: string): string =>
  `<presence xmlns="${PIDF_NS}" xmlns:dm="${DM_NS}" xmlns:rpid="${RPID_NS}" entity="sip:alice@corp.example">${inner}</presence>`;
const openTuple = (id = 't1', inner = ''): string => `<tuple id="${id}"><status><basic>open</basic></status>${inner}</tuple>`;
const person = (activities: string[]): string => `<dm:person id="p"><rpid:activities>${activities.map((a) => `<rpid:${a}/>`).join('')}</rpid:activities></dm:person>`;
const ADDR = { from: 'alice@corp.example', to: 'w@xmpp.example' };

function toXmpp(doc: string | Uint8Array): XmlElement[] {
  const r = pidfToXmppPresence(doc, ADDR);
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

// ---- MAPPINGS §4 rows, XMPP → PIDF: show → activity
for (const [show, activity] of SHOW_TO_ACTIVITY) {
  const rule = activity === undefined ? 'open, no activity' : `open + rpid activity ${activity}`;
  void t.test(`XMPP → PIDF: show ${show} → ${rule} (ours, SylkServer's practice)`, (t) => {
    const r = xmppPresenceToPidfModel({ entity: ENTITY, resources: [res('phone', show === 'none' ? {} : { show })] });
    t.equal(r.tuples[0]?.basic, 'open');
    t.same(r.person, activity === undefined ? undefined : { activities: [activity], notes: [] });
    t.end();
  });
}

void t.test('XMPP → PIDF: type=unavailable → basic closed', (t) => {
  const r = xmppPresenceToPidfModel({ entity: ENTITY, resources: [res('phone', { available: false })] });
  t.same(r.tuples.map((x) => x.basic), ['closed']);
  t.end();
});

// ---- PIDF → XMPP: activity → show
for (const [activity, show] of ACTIVITY_TO_SHOW) {
  void t.test(`PIDF → XMPP: rpid ${activity} → show ${show}${activity === 'away' || activity === 'busy' ? '' : ' (ours)'}`, (t) => {
    t.same(toXmpp(pidfDoc(openTuple() + person([activity]))), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' }, el('show', {}, show))]);
    t.end();
  });
}

for (const activity of ['unknown', 'sleeping', 'other', 'lunch']) {
  void t.test(`PIDF → XMPP: rpid ${activity} gives no show`, (t) => {
    t.same(toXmpp(pidfDoc(openTuple() + person([activity]))), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' })]);
    t.end();
  });
}

const PRECEDENCE: [string[], XmppShow | undefined][] = [
  [['away', 'busy'], 'dnd'],
  [['vacation', 'away'], 'xa'],
  [['steering', 'holiday', 'on-the-phone'], 'dnd'],
  [['appointment', 'lunch'], 'away'],
  [[], undefined],
];
for (const [activities, show] of PRECEDENCE) {
  void t.test(`PIDF → XMPP: activities [${activities.join(', ')}] give show ${show ?? 'none'} (precedence ${SHOW_PRECEDENCE.join(' > ')}) (ours)`, (t) => {
    t.equal(showForActivities(activities), show);
    t.end();
  });
}

void t.test('PIDF → XMPP: basic closed → type=unavailable, with its notes as statuses, no show and no priority', (t) => {
  const doc = pidfDoc(`<tuple id="t1"><status><basic>closed</basic></status><contact priority="1">sip:x@y</contact><note>Gone home</note></tuple>${person(['busy'])}`);
  t.same(toXmpp(doc), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example', type: 'unavailable' }, el('status', {}, 'Gone home'))]);
  t.end();
});

void t.test('PIDF → XMPP: open without a mapped activity → available, no show', (t) => {
  t.same(toXmpp(pidfDoc(openTuple())), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' })]);
  t.end();
});

void t.test('PIDF → XMPP: a tuple without <basic> is read as open (?)', (t) => {
  t.same(toXmpp(pidfDoc('<tuple id="t1"><status/></tuple>')), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' })]);
  t.end();
});

// ---- notes ↔ statuses, every language
void t.test('XMPP → PIDF: every <status xml:lang> becomes a <note xml:lang>; an empty status says nothing (ours)', (t) => {
  const statuses = [{ text: 'Lunch', lang: 'en' }, { text: 'Mittagessen', lang: 'de' }, { text: 'sans langue' }, { text: 'blank lang', lang: '' }, { text: '', lang: 'fr' }];
  const r = xmppPresenceToPidfModel({ entity: ENTITY, resources: [res('phone', { statuses })] });
  t.same(r.tuples[0]?.notes, [{ text: 'Lunch', lang: 'en' }, { text: 'Mittagessen', lang: 'de' }, { text: 'sans langue' }, { text: 'blank lang' }]);
  t.end();
});

void t.test('PIDF → XMPP: every <note xml:lang> of the tuple becomes a <status xml:lang>', (t) => {
  const doc = pidfDoc(openTuple('t1', '<note xml:lang="en">Lunch</note><note xml:lang="de">Mittagessen</note><note>plain</note>'));
  t.same(toXmpp(doc), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' },
    el('status', { 'xml:lang': 'en' }, 'Lunch'), el('status', { 'xml:lang': 'de' }, 'Mittagessen'), el('status', {}, 'plain'))]);
  t.end();
});

void t.test('PIDF → XMPP: a tuple without notes takes the person\'s notes, else the document\'s (ours)', (t) => {
  const withPerson = pidfDoc(openTuple() + '<note>doc</note><dm:person id="p"><dm:note xml:lang="en">person</dm:note></dm:person>');
  t.same(toXmpp(withPerson), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' }, el('status', { 'xml:lang': 'en' }, 'person'))]);
  const withEmptyPerson = pidfDoc(openTuple() + '<note>doc</note><dm:person id="p"/>');
  t.same(toXmpp(withEmptyPerson), [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' }, el('status', {}, 'doc'))]);
  t.end();
});

// ---- resources ↔ tuple ids
const TUPLE_IDS: [string, string][] = [
  ['phone', 'SID-70686f6e65'],
  ['Büro', 'SID-42c3bc726f'],
  ['my laptop', 'SID-6d79206c6170746f70'],
  ['😀', 'SID-f09f9880'],
  ['a/b@c', 'SID-612f624063'],
];
for (const [resource, id] of TUPLE_IDS) {
  void t.test(`resource "${resource}" ↔ tuple id ${id} (SID- + hex of UTF-8, SylkServer's practice) (ours)`, (t) => {
    t.equal(tupleIdForResource(resource), id);
    t.equal(resourceForTupleId(id), resource);
    t.end();
  });
}

const OTHER_IDS: [string, string | undefined, string][] = [
  ['bs35r9', 'bs35r9', 'an id not of the SID- form is the resource as it is (?)'],
  ['0x81475a0', '0x81475a0', 'a Kamailio id is the resource as it is (?)'],
  ['SID-zz', 'SID-zz', 'SID- followed by non-hex is the resource as it is (?)'],
  ['SID-ff', 'SID-ff', 'SID- followed by hex of invalid UTF-8 is the resource as it is (?)'],
  ['SID-', 'SID-', 'SID- alone is the resource as it is (?)'],
  ['SID-07', 'SID-07', 'SID- hex of a character no resource may hold is the id as it is (?)'],
  ['a\u0007b', undefined, 'an id that is no valid resourcepart names no resource (bare JID)'],
  ['x'.repeat(1024), undefined, 'an id longer than a resourcepart names no resource (bare JID)'],
];
for (const [id, resource, rule] of OTHER_IDS) {
  void t.test(`tuple id → resource: ${rule}`, (t) => {
    t.equal(resourceForTupleId(id), resource);
    t.end();
  });
}

void t.test('PIDF → XMPP: one presence per tuple, from the resource the id names; none → the bare JID', (t) => {
  const doc = pidfDoc(openTuple('SID-70686f6e65') + openTuple('desk') + openTuple('a&#x85;b'));
  t.same(toXmpp(doc).map((p) => p.attrs.from), ['alice@corp.example/phone', 'alice@corp.example/desk', 'alice@corp.example']);
  t.end();
});

// ---- priority ↔ contact priority
const PRIORITIES: [number, number, string][] = [
  [0, 0, '0'],
  [1, 0.008, '0.008'],
  [64, 0.504, '0.504'],
  [100, 0.787, '0.787'],
  [127, 1, '1'],
  [-1, 0, '0'],
  [-128, 0, '0'],
  [200, 1, '1'],
];
for (const [p, q, written] of PRIORITIES) {
  void t.test(`XMPP → PIDF: <priority>${p}</priority> → contact priority="${written}" (p/127 to 3 decimals, p < 0 → 0, above 127 → 1) (ours)`, (t) => {
    t.equal(priorityToQvalue(p), q);
    const doc = xmppPresenceToPidf({ entity: ENTITY, resources: [res('phone', { priority: p })] });
    const contact = (doc.children[0] as XmlElement).children[1] as XmlElement;
    t.same(contact, el('contact', { xmlns: PIDF_NS, priority: written }, 'sip:bob@xmpp.example;gr=70686f6e65'));
    t.end();
  });
}

const QVALUES: [string, number][] = [['0', 0], ['0.1', 13], ['0.5', 64], ['0.8', 102], ['1.0', 127]];
for (const [q, p] of QVALUES) {
  void t.test(`PIDF → XMPP: contact priority="${q}" → <priority>${p}</priority> (round(q×127)) (ours)`, (t) => {
    t.equal(qvalueToPriority(Number(q)), p);
    t.same(toXmpp(pidfDoc(openTuple('t1', `<contact priority="${q}">sip:x@y</contact>`))),
      [el('presence', { from: 'alice@corp.example/t1', to: 'w@xmpp.example' }, el('priority', {}, String(p)))]);
    t.end();
  });
}

void t.test('priority: every XMPP priority 0..127 survives XMPP → PIDF → XMPP', (t) => {
  const lost = [];
  for (let p = 0; p <= 127; p++) if (qvalueToPriority(priorityToQvalue(p)) !== p) lost.push(p);
  t.same(lost, []);
  t.end();
});

// ---- several resources: the person's activity from the most available one
void t.test(`most available: the order is ${AVAILABILITY_ORDER.join(' > ')} (ours)`, (t) => {
  t.same(AVAILABILITY_ORDER, ['chat', 'none', 'away', 'xa', 'dnd']);
  t.end();
});

const MOST_AVAILABLE: [string, XmppResourcePresence[], string | undefined][] = [
  ['chat beats available', [res('a'), res('b', { show: 'chat' })], 'b'],
  ['available beats away', [res('a', { show: 'away' }), res('b')], 'b'],
  ['away beats xa', [res('a', { show: 'xa' }), res('b', { show: 'away' })], 'b'],
  ['xa beats dnd', [res('a', { show: 'dnd' }), res('b', { show: 'xa' })], 'b'],
  ['a worse show is not taken after a better one', [res('a', { show: 'away' }), res('b', { show: 'dnd', priority: 100 })], 'a'],
  ['a tie goes to the higher priority', [res('a', { show: 'away', priority: 1 }), res('b', { show: 'away', priority: 5 })], 'b'],
  ['an absent priority counts as 0 (against a higher one)', [res('a', { show: 'away' }), res('b', { show: 'away', priority: 2 })], 'b'],
  ['an absent priority counts as 0', [res('a', { show: 'away', priority: -1 }), res('b', { show: 'away' })], 'b'],
  ['an equal priority keeps the first listed', [res('a', { priority: 3 }), res('b', { priority: 3 })], 'a'],
  ['no resource, none', [], undefined],
];
for (const [rule, resources, best] of MOST_AVAILABLE) {
  void t.test(`most available: ${rule} (ours)`, (t) => {
    t.equal(mostAvailable(resources)?.resource, best);
    t.end();
  });
}

void t.test('XMPP → PIDF: the activity comes from the most available resource: dnd desk + away phone → away', (t) => {
  const r = xmppPresenceToPidfModel({ entity: ENTITY, resources: [res('desk', { show: 'dnd', priority: 10 }), res('phone', { show: 'away' })] });
  t.same(r.person, { activities: ['away'], notes: [] });
  t.same(r.tuples.map((x) => x.id), ['SID-6465736b', 'SID-70686f6e65']);
  t.end();
});

void t.test('XMPP → PIDF: a chat resource beside a dnd one gives no activity', (t) => {
  const r = xmppPresenceToPidfModel({ entity: ENTITY, resources: [res('desk', { show: 'dnd' }), res('phone', { show: 'chat' })] });
  t.equal(r.person, undefined);
  t.equal(activityForShow('chat'), undefined);
  t.end();
});

// ---- whole documents, XMPP → PIDF
void t.test('XMPP → PIDF: a whole document, one tuple per available resource, contact with gr, timestamp from `now`', (t) => {
  const doc = xmppPresenceToPidf({
    entity: ENTITY,
    now: '2026-11-02T10:00:00Z',
    resources: [
      res('phone', { show: 'xa', priority: 64, statuses: [{ text: 'Vacation', lang: 'en' }, { text: 'In vacanza', lang: 'it' }] }),
      res('Büro', { available: false, statuses: [{ text: 'bye' }] }),
      res('desk', { show: 'dnd', contact: 'sip:bob@192.0.2.7;transport=tcp' }),
    ],
  });
  const P = PIDF_NS;
  t.same(doc, el('presence', { xmlns: P, entity: ENTITY },
    el('tuple', { xmlns: P, id: 'SID-70686f6e65' },
      el('status', { xmlns: P }, el('basic', { xmlns: P }, 'open')),
      el('contact', { xmlns: P, priority: '0.504' }, 'sip:bob@xmpp.example;gr=70686f6e65'),
      el('note', { xmlns: P, 'xml:lang': 'en' }, 'Vacation'),
      el('note', { xmlns: P, 'xml:lang': 'it' }, 'In vacanza'),
      el('timestamp', { xmlns: P }, '2026-11-02T10:00:00Z')),
    el('tuple', { xmlns: P, id: 'SID-6465736b' },
      el('status', { xmlns: P }, el('basic', { xmlns: P }, 'open')),
      el('contact', { xmlns: P }, 'sip:bob@192.0.2.7;transport=tcp'),
      el('timestamp', { xmlns: P }, '2026-11-02T10:00:00Z')),
    el('person', { xmlns: DM_NS, id: 'person' }, el('activities', { xmlns: RPID_NS }, el('away', { xmlns: RPID_NS })))));
  t.end();
});

void t.test('XMPP → PIDF: a resource gone unavailable while others stay is left out (ours)', (t) => {
  const r = xmppPresenceToPidfModel({ entity: ENTITY, resources: [res('old', { available: false }), res('phone')] });
  t.same(r.tuples.map((x) => [x.id, x.basic]), [['SID-70686f6e65', 'open']]);
  t.end();
});

void t.test('XMPP → PIDF: no resource available → one closed tuple from the first listed, with its statuses (never drop the text) (ours)', (t) => {
  const r = xmppPresenceToPidfModel({ entity: ENTITY, now: '2026-11-02T10:00:00Z', resources: [res('phone', { available: false, priority: 5, statuses: [{ text: 'Gone home', lang: 'en' }] }), res('desk', { available: false })] });
  t.same(r, {
    entity: ENTITY,
    tuples: [{ id: 'SID-70686f6e65', basic: 'closed', contact: { uri: 'sip:bob@xmpp.example;gr=70686f6e65' }, notes: [{ text: 'Gone home', lang: 'en' }], timestamp: '2026-11-02T10:00:00Z' }],
    notes: [],
  });
  t.end();
});

void t.test(`XMPP → PIDF: no resource known at all → one closed tuple "${OFFLINE_TUPLE_ID}" (ours)`, (t) => {
  t.same(xmppPresenceToPidf({ entity: ENTITY, resources: [] }), el('presence', { xmlns: PIDF_NS, entity: ENTITY },
    el('tuple', { xmlns: PIDF_NS, id: OFFLINE_TUPLE_ID }, el('status', { xmlns: PIDF_NS }, el('basic', { xmlns: PIDF_NS }, 'closed')))));
  t.end();
});

const CONTACTS: [string, XmppResourcePresence, string | undefined, string][] = [
  ['sips:bob@xmpp.example', res('phone'), 'sips:bob@xmpp.example;gr=70686f6e65', 'a sips: entity gives a sips: contact with gr'],
  ['pres:bob@xmpp.example', res('phone', { priority: 10 }), undefined, 'a pres: entity gives no contact, so no priority (ours)'],
  ['sip:bob@xmpp.example;x=y', res('phone'), undefined, 'an entity with parameters gives no derived contact (ours)'],
  ['pres:bob@xmpp.example', res('phone', { contact: 'sip:bob@gw.example;gr=70686f6e65' }), 'sip:bob@gw.example;gr=70686f6e65', 'a given contact is used as it is'],
  ['pres:bob@xmpp.example', res('phone', { available: false }), undefined, 'a closed tuple of a pres: entity has no contact'],
];
for (const [entity, r, contact, rule] of CONTACTS) {
  void t.test(`XMPP → PIDF: ${rule}`, (t) => {
    t.equal(xmppPresenceToPidfModel({ entity, resources: [r] }).tuples[0]?.contact?.uri, contact);
    t.end();
  });
}

// ---- whole documents, PIDF → XMPP (the fixtures)
const from = (resource?: string): string => (resource === undefined ? 'alice@corp.example' : `alice@corp.example/${resource}`);
const to = 'w@xmpp.example';
const FIXTURES: [string, string, XmlElement[]][] = [
  ['Kamailio pua: on-the-phone → dnd, the note, priority 0.8 → 102', 'kamailio-pua-open.xml', [
    el('presence', { from: from('0x81475a0'), to }, el('show', {}, 'dnd'), el('status', {}, 'On the phone'), el('priority', {}, '102')),
  ]],
  ['Kamailio pua: a closed tuple → unavailable', 'kamailio-pua-closed.xml', [el('presence', { from: from('0x8147d28'), to, type: 'unavailable' })]],
  ['Kamailio presence_xml dummy → available', 'kamailio-presence-xml-dummy.xml', [el('presence', { from: from('tuple_123456'), to })]],
  ['Lync-style: four tuples, busy → dnd on the open ones, every language, person notes for a tuple without notes', 'lync-style-multi.xml', [
    el('presence', { from: from('t-desktop'), to }, el('show', {}, 'dnd'),
      el('status', { 'xml:lang': 'en-US' }, 'In a meeting'), el('status', { 'xml:lang': 'de-DE' }, 'In einer Besprechung'),
      el('status', { 'xml:lang': 'fr-FR' }, 'En réunion'), el('status', { 'xml:lang': 'ja-JP' }, '会議中'), el('priority', {}, '127')),
    el('presence', { from: from('t-mobile'), to }, el('show', {}, 'dnd'),
      el('status', { 'xml:lang': 'de-DE' }, 'Unterwegs'), el('status', { 'xml:lang': 'en-US' }, 'On the road'), el('priority', {}, '64')),
    el('presence', { from: from('t-web'), to, type: 'unavailable' }, el('status', { 'xml:lang': 'en-US' }, 'Signed out & away')),
    el('presence', { from: from('t-phone'), to }, el('show', {}, 'dnd'),
      el('status', { 'xml:lang': 'en-US' }, 'Busy until 11:00'), el('status', { 'xml:lang': 'de-DE' }, 'Beschäftigt bis 11:00'), el('priority', {}, '102')),
  ]],
  ['RFC 3863: no person → no show; the second tuple takes the document note', 'rfc3863-example.xml', [
    el('presence', { from: from('bs35r9'), to }, el('status', { 'xml:lang': 'en' }, "Don't Disturb Please!"), el('status', { 'xml:lang': 'fr' }, "Ne dérangez pas, s'il vous plaît"), el('priority', {}, '102')),
    el('presence', { from: from('eg92n8'), to }, el('status', {}, "I'll be in Tokyo next week"), el('priority', {}, '127')),
  ]],
  ['RFC 4480: away on every tuple; person notes where a tuple has none', 'rfc4480-example.xml', [
    el('presence', { from: from('bs35r9'), to }, el('show', {}, 'away'), el('status', { 'xml:lang': 'en' }, "Don't Disturb Please!"), el('status', { 'xml:lang': 'fr' }, "Ne dérangez pas, s'il vous plaît"), el('priority', {}, '102')),
    el('presence', { from: from('ty4658'), to }, el('show', {}, 'away'), el('status', {}, 'Far away'), el('status', {}, 'Scoring 120'), el('priority', {}, '127')),
    el('presence', { from: from('eg92n8'), to }, el('show', {}, 'away'), el('status', {}, 'Far away'), el('status', {}, 'Scoring 120'), el('priority', {}, '127')),
  ]],
  ['RFC 4480: meeting and on-the-phone → dnd', 'rfc4480-meeting.xml', [
    el('presence', { from: from('a8098a'), to }, el('show', {}, 'dnd'), el('status', { 'xml:lang': 'en' }, 'In the quarterly review')),
  ]],
  ['the gateway\'s SID tuples: resources decoded, vacation → xa', 'gateway-sid-tuples.xml', [
    el('presence', { from: from('phone'), to }, el('show', {}, 'xa'), el('status', { 'xml:lang': 'en' }, 'Vacation'), el('status', { 'xml:lang': 'it' }, 'In vacanza'), el('priority', {}, '64')),
    el('presence', { from: from('Büro'), to, type: 'unavailable' }),
  ]],
];
for (const [what, file, presences] of FIXTURES) {
  void t.test(`PIDF → XMPP: ${what} (${file})`, (t) => {
    t.same(pidfToXmppPresence(fixture(file), ADDR), { ok: true, value: presences });
    t.end();
  });
}

void t.test('PIDF → XMPP: UTF-8 bytes and a parsed tree read as the text does', (t) => {
  const text = fixture('lync-style-multi.xml');
  const expected = pidfToXmppPresence(text, ADDR);
  t.same(pidfToXmppPresence(new TextEncoder().encode(text), ADDR), expected);
  t.same(pidfToXmppPresence(xmppPresenceToPidf({ entity: ENTITY, resources: [res('phone')] }), ADDR), { ok: true, value: [el('presence', { from: from('phone'), to })] });
  t.end();
});

void t.test('PIDF → XMPP: a document without tuples → one unavailable presence from the bare JID, with the notes (ours)', (t) => {
  t.same(toXmpp(pidfDoc('<note xml:lang="en">Away all week</note>' + person(['vacation']))),
    [el('presence', { from: from(), to, type: 'unavailable' }, el('status', { 'xml:lang': 'en' }, 'Away all week'))]);
  t.end();
});

void t.test('PIDF → XMPP: a document that is not PIDF, or not XML, is refused (bad-request)', (t) => {
  t.same(pidfToXmppPresence('<presence xmlns="jabber:client"/>', ADDR), { ok: false, error: { code: 'bad-request', detail: 'PIDF: the document is not a PIDF <presence>' } });
  t.same(pidfToXmppPresence('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', ADDR), { ok: false, error: { code: 'bad-request', detail: 'XML: DTDs are not allowed' } });
  t.same(pidfToXmppPresence(fixture('lync-style-multi.xml'), ADDR, { maxElements: 10 }), { ok: false, error: { code: 'bad-request', detail: 'XML: too many elements' } });
  t.end();
});

// ---- both ways
void t.test('round trip XMPP → PIDF → XMPP: resources, shows (xa comes back as away: RPID has no twin), statuses, priorities', (t) => {
  const doc = xmppPresenceToPidf({ entity: ENTITY, resources: [
    res('phone', { show: 'xa', priority: 5, statuses: [{ text: 'Out', lang: 'en' }, { text: 'Dehors', lang: 'fr' }] }),
    res('desk', { show: 'away', priority: -3 }),
  ] });
  t.same(pidfToXmppPresence(doc, ADDR), { ok: true, value: [
    el('presence', { from: from('phone'), to }, el('show', {}, 'away'), el('status', { 'xml:lang': 'en' }, 'Out'), el('status', { 'xml:lang': 'fr' }, 'Dehors'), el('priority', {}, '5')),
    el('presence', { from: from('desk'), to }, el('show', {}, 'away'), el('priority', {}, '0')),
  ] });
  t.end();
});
