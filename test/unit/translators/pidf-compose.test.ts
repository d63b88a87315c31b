// The composed document a SIP watcher of an XMPP user sees: the XMPP-derived presence plus the
// PUBLISHed documents (translators/pidf-compose.ts), table-driven.
import t from 'tap';
import { composePidf, uniqueTupleId } from '../../../translators/pidf-compose.ts';
import { buildPidf, parsePidf, type PidfDocument, type PidfTuple } from '../../../translators/pidf.ts';
import { xmppPresenceToPidfModel } from '../../../translators/presence.ts';

const tuple = (id: string, extra: Partial<PidfTuple> = {}): PidfTuple => ({ id, basic: 'open', notes: [], ...extra });
const doc = (tuples: PidfTuple[], extra: Partial<PidfDocument> = {}): PidfDocument => ({ entity: 'sip:bob@xmpp.test', tuples, notes: [], ...extra });
const ids = (d: PidfDocument): string[] => d.tuples.map((x) => x.id);

// [what, base, published, expected]
const ROWS: Array<[string, PidfDocument, PidfDocument[], PidfDocument]> = [
  ['nothing published: the base document as it is', doc([tuple('SID-6c')]), [], doc([tuple('SID-6c')])],
  ['one published tuple is added after the XMPP tuples, the base entity kept',
    doc([tuple('SID-6c')]), [doc([tuple('desk', { notes: [{ text: 'On a call' }] })], { entity: 'sip:someone-else@corp.test' })],
    doc([tuple('SID-6c'), tuple('desk', { notes: [{ text: 'On a call' }] })])],
  ['a repeated tuple id is renamed id-2, then id-3; the first seen keeps it',
    doc([tuple('t1')]), [doc([tuple('t1')]), doc([tuple('t1'), tuple('t1-2')])],
    doc([tuple('t1'), tuple('t1-2'), tuple('t1-3'), tuple('t1-2-2')])],
  ['a repeated id inside the base is made unique too', doc([tuple('x'), tuple('x')]), [doc([])], doc([tuple('x'), tuple('x-2')])],
  ['presence-level notes of all documents, base first',
    doc([], { notes: [{ text: 'XMPP' }] }), [doc([], { notes: [{ text: 'Back at 3', lang: 'en' }] })],
    doc([], { notes: [{ text: 'XMPP' }, { text: 'Back at 3', lang: 'en' }] })],
  ['one person: activities once each (base first), all notes, the first id given',
    doc([], { person: { activities: ['away'], notes: [] } }),
    [doc([], { person: { id: 'p1', activities: ['on-the-phone', 'away'], notes: [{ text: 'Call' }] } }), doc([], { person: { id: 'p2', activities: [], notes: [{ text: 'Call' }] } })],
    doc([], { person: { id: 'p1', activities: ['away', 'on-the-phone'], notes: [{ text: 'Call' }, { text: 'Call' }] } })],
  ['a person only in a published document', doc([tuple('a')]), [doc([], { person: { activities: ['busy'], notes: [] } })],
    doc([tuple('a')], { person: { activities: ['busy'], notes: [] } })],
  ['no person anywhere: none', doc([tuple('a')]), [doc([tuple('b')])], doc([tuple('a'), tuple('b')])],
];

for (const [what, base, published, expected] of ROWS) {
  t.test(what, async (t) => {
    const got = composePidf(base, published);
    t.same(got, expected);
    t.equal(new Set(ids(got)).size, got.tuples.length, 'tuple ids unique');
  });
}

t.test('uniqueTupleId: free ids pass, taken ones get the first free suffix', async (t) => {
  t.equal(uniqueTupleId('t', new Set()), 't');
  t.equal(uniqueTupleId('t', new Set(['t'])), 't-2');
  t.equal(uniqueTupleId('t', new Set(['t', 't-2', 't-3'])), 't-4');
});

t.test('an XMPP user\'s presence composed with a desk phone\'s PUBLISH builds a valid PIDF with both', async (t) => {
  const base = xmppPresenceToPidfModel({ entity: 'sip:bob@xmpp.test', resources: [{ resource: 'laptop', available: true, show: 'away', statuses: [{ text: 'Lunch' }] }] });
  const phone = parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@xmpp.test">'
    + '<tuple id="SID-6c6170746f70"><status><basic>open</basic></status><note>desk phone</note></tuple><dm:person id="p"><rpid:activities><rpid:on-the-phone/></rpid:activities></dm:person></presence>');
  t.ok(phone.ok);
  if (!phone.ok) return;
  const composed = composePidf(base, [phone.value]);
  const again = parsePidf(buildPidf(composed));
  t.ok(again.ok, 'the built document reads back');
  if (!again.ok) return;
  t.same(ids(again.value), ['SID-6c6170746f70', 'SID-6c6170746f70-2'], 'the publisher\'s tuple reusing the XMPP tuple id is renamed');
  t.same(again.value.tuples.map((x) => x.notes.map((n) => n.text)), [['Lunch'], ['desk phone']]);
  t.same(again.value.person?.activities, ['away', 'on-the-phone']);
});
