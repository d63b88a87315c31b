// The event state compositor (RFC 3903 §6 steps 2, 4–7) on a ManualClock: entity tags, refresh,
// modify, remove, 412, Expires rules, body checks, soft-state expiry on the DeadlineWheel, bounds.
import t from 'tap';
import { ManualClock, type Clock } from '../../../../../gateway/clock.ts';
import { badEvent, DEFAULT_PUBLISH_POLICY, EventStateCompositor, type CompositorOptions, type PublishInput } from '../../../../../gateway/core/presence/compositor.ts';

const PIDF = 'application/pidf+xml';
const doc = (note: string, id = 't1'): Uint8Array => new TextEncoder().encode(
  `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@xmpp.test"><tuple id="${id}"><status><basic>open</basic></status><note>${note}</note></tuple></presence>`,
);
const BOB = 'bob@xmpp.test';
const none = new Uint8Array();

function rig(o: Partial<CompositorOptions> = {}) {
  const clock = new ManualClock();
  const changes: string[] = [];
  let n = 0;
  const esc = new EventStateCompositor({ clock, onChange: (p) => { changes.push(p); }, newEtag: () => `e${++n}`, ...o });
  const pub = (r: Partial<PublishInput>) => esc.publish({ presentity: BOB, body: none, ...r });
  const notes = (p = BOB): string[] => esc.documents(p).map((d) => d.tuples[0]!.notes[0]!.text);
  return { clock, changes, esc, pub, notes };
}

t.test('step 2: no Event, or another package → 489 with Allow-Events: presence; presence (any case, parameters) passes', async (t) => {
  const bad = { status: 489, reason: 'Bad Event', headers: [['Allow-Events', 'presence']] };
  t.same(badEvent(undefined), bad);
  t.same(badEvent('dialog'), bad);
  t.same(badEvent('presence.winfo'), bad);
  t.equal(badEvent('presence'), undefined);
  t.equal(badEvent(' Presence;id=7'), undefined);
});

t.test('an initial PUBLISH: 200 with a SIP-ETag and the granted Expires (default 3600); the state is held and told', async (t) => {
  const r = rig();
  t.same(r.pub({ contentType: PIDF, body: doc('On a call') }), { status: 200, reason: 'OK', headers: [['SIP-ETag', 'e1'], ['Expires', '3600']] });
  t.same(r.changes, [BOB]);
  t.same(r.notes(), ['On a call']);
  t.equal(r.esc.size, 1);
  t.same(r.esc.documents('alice@xmpp.test'), [], 'other presentities have nothing');
});

t.test('an initial PUBLISH without a body → 400', async (t) => {
  const r = rig();
  t.same(r.pub({ expires: '600' }), { status: 400, reason: 'Bad Request (an initial PUBLISH needs a body)', headers: [] });
  t.same(r.changes, []);
});

t.test('Expires: below 60 → 423 with Min-Expires: 60; above the cap → the cap; not a number → 400', async (t) => {
  const r = rig();
  t.same(r.pub({ expires: '59', contentType: PIDF, body: doc('x') }), { status: 423, reason: 'Interval Too Brief', headers: [['Min-Expires', '60']] });
  t.same(r.pub({ expires: 'soon', contentType: PIDF, body: doc('x') }), { status: 400, reason: 'Bad Request (Expires is not a number of seconds)', headers: [] });
  t.same(r.pub({ expires: ' 86400 ', contentType: PIDF, body: doc('x') }).headers, [['SIP-ETag', 'e1'], ['Expires', String(DEFAULT_PUBLISH_POLICY.maxExpires)]]);
  t.equal(DEFAULT_PUBLISH_POLICY.maxExpires, 3600, 'the cap is the watchers\' longest grant');
  t.same(r.pub({ expires: '60', contentType: PIDF, body: doc('y') }).headers, [['SIP-ETag', 'e2'], ['Expires', '60']], 'exactly the minimum is fine');
});

t.test('Content-Type other than PIDF (or none, or unreadable) → 415 with Accept; parameters are fine', async (t) => {
  const r = rig();
  const refused = { status: 415, reason: 'Unsupported Media Type', headers: [['Accept', PIDF]] };
  t.same(r.pub({ body: doc('x') }), refused, 'absent');
  t.same(r.pub({ contentType: 'application/xpidf+xml', body: doc('x') }), refused, 'another type');
  t.same(r.pub({ contentType: 'not a type', body: doc('x') }), refused, 'unreadable');
  t.equal(r.pub({ contentType: 'Application/PIDF+XML; charset=UTF-8', body: doc('x') }).status, 200);
});

t.test('an unreadable or hostile PIDF → 400 naming the cause; nothing is kept', async (t) => {
  const r = rig();
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="x">&lol2;</presence>';
  for (const body of [enc('not xml'), enc(bomb), enc('<presence xmlns="urn:ietf:params:xml:ns:pidf"/>'), enc('<x/>')]) {
    const a = r.pub({ contentType: PIDF, body });
    t.equal(a.status, 400);
    t.match(a.reason, /\S/);
    t.same(a.headers, []);
  }
  t.equal(r.esc.size, 0);
  t.same(r.changes, []);
});

t.test('refresh (SIP-If-Match, no body): a new entity tag and expiry, the old tag is spent, nobody is told', async (t) => {
  const r = rig();
  r.pub({ expires: '120', contentType: PIDF, body: doc('On a call') });
  r.changes.length = 0;
  t.same(r.pub({ ifMatch: ' e1 ', expires: '600' }), { status: 200, reason: 'OK', headers: [['SIP-ETag', 'e2'], ['Expires', '600']] });
  t.same(r.changes, [], 'the state did not change');
  t.equal(r.pub({ ifMatch: 'e1' }).status, 412, 'the old entity tag no longer matches');
  r.clock.advance(300_000);
  t.same(r.notes(), ['On a call'], 'alive past its first expiry: the refresh moved it');
  t.same(r.pub({ ifMatch: 'e2' }).headers, [['SIP-ETag', 'e3'], ['Expires', '3600']], 'a refresh without Expires gets the default');
});

t.test('modify (SIP-If-Match with a body): the document is replaced in place, watchers are told', async (t) => {
  const r = rig();
  r.pub({ contentType: PIDF, body: doc('first') });
  r.pub({ contentType: PIDF, body: doc('second', 't2') });
  r.changes.length = 0;
  t.same(r.pub({ ifMatch: 'e1', contentType: PIDF, body: doc('first, changed') }).headers, [['SIP-ETag', 'e3'], ['Expires', '3600']]);
  t.same(r.changes, [BOB]);
  t.same(r.notes(), ['first, changed', 'second'], 'oldest publication first, modified in place');
});

t.test('a refused modification leaves the state and its entity tag as they were', async (t) => {
  const r = rig();
  r.pub({ contentType: PIDF, body: doc('kept') });
  t.equal(r.pub({ ifMatch: 'e1', contentType: 'text/plain', body: doc('nope') }).status, 415);
  t.equal(r.pub({ ifMatch: 'e1', expires: '5' }).status, 423);
  t.same(r.notes(), ['kept']);
  t.equal(r.pub({ ifMatch: 'e1' }).status, 200, 'the tag still matches');
});

t.test('remove (SIP-If-Match, Expires: 0): 200 with a fresh tag and Expires 0, the state goes, watchers are told', async (t) => {
  const r = rig();
  r.pub({ contentType: PIDF, body: doc('bye') });
  r.changes.length = 0;
  t.same(r.pub({ ifMatch: 'e1', expires: '0' }), { status: 200, reason: 'OK', headers: [['SIP-ETag', 'e2'], ['Expires', '0']] });
  t.same(r.changes, [BOB]);
  t.equal(r.esc.size, 0);
  t.same(r.notes(), []);
  t.equal(r.pub({ ifMatch: 'e1', expires: '0' }).status, 412, 'removed is gone');
  r.pub({ contentType: PIDF, body: doc('one') });
  r.pub({ contentType: PIDF, body: doc('two') });
  r.pub({ ifMatch: 'e3', expires: '0' });
  t.same(r.notes(), ['two'], 'one of several removed, the others stay');
  r.pub({ ifMatch: 'e4', expires: '0' });
  const told = r.changes.length;
  r.clock.advance(4_000_000);
  t.equal(r.changes.length, told, 'no expiry fires for removed state later');
});

t.test('412 for an unknown entity tag, and for the tag of another presentity\'s state', async (t) => {
  const r = rig();
  t.same(r.pub({ ifMatch: 'bogus' }), { status: 412, reason: 'Conditional Request Failed', headers: [] });
  r.esc.publish({ presentity: 'alice@xmpp.test', contentType: PIDF, body: doc('alice') });
  t.equal(r.pub({ ifMatch: 'e1' }).status, 412);
  t.equal(r.esc.documents('alice@xmpp.test').length, 1, 'alice\'s state untouched');
});

t.test('an initial PUBLISH with Expires: 0 is answered 200 and keeps nothing', async (t) => {
  const r = rig();
  t.same(r.pub({ expires: '0', contentType: PIDF, body: doc('x') }).headers, [['SIP-ETag', 'e1'], ['Expires', '0']]);
  t.equal(r.esc.size, 0);
  t.same(r.changes, []);
  t.equal(r.pub({ expires: '0', contentType: PIDF, body: new TextEncoder().encode('junk') }).status, 400, 'its body is still checked');
});

t.test('soft state expires on the wheel (at most a second late): removed and told; its tag then gets 412', async (t) => {
  const r = rig();
  r.pub({ expires: '60', contentType: PIDF, body: doc('short') });
  r.changes.length = 0;
  r.clock.advance(59_999);
  t.same(r.notes(), ['short']);
  r.clock.advance(1001);
  t.same(r.changes, [BOB], 'expiry told');
  t.equal(r.esc.size, 0);
  t.equal(r.pub({ ifMatch: 'e1' }).status, 412);
});

t.test('expired but not yet reaped by the wheel: left out of documents, and 412 (removing it, told once)', async (t) => {
  let now = 0;
  const clock: Clock = { now: () => now, setTimer: () => ({ cancel() {} }) }; // the wheel never fires
  const r = rig({ clock });
  r.pub({ expires: '60', contentType: PIDF, body: doc('late') });
  r.changes.length = 0;
  now = 60_000;
  t.same(r.notes(), [], 'not composed past its expiry');
  t.equal(r.pub({ ifMatch: 'e1' }).status, 412);
  t.same(r.changes, [BOB]);
  t.equal(r.esc.size, 0);
});

t.test('bounds: publications per presentity and in all are refused 403 past the limit', async (t) => {
  const r = rig({ policy: { ...DEFAULT_PUBLISH_POLICY, maxPerPresentity: 1, maxTotal: 2 } });
  t.equal(r.pub({ contentType: PIDF, body: doc('one') }).status, 200);
  t.same(r.pub({ contentType: PIDF, body: doc('two') }), { status: 403, reason: 'Forbidden (too many publications for this presentity)', headers: [] });
  t.equal(r.esc.publish({ presentity: 'alice@xmpp.test', contentType: PIDF, body: doc('a') }).status, 200);
  t.same(r.esc.publish({ presentity: 'carol@xmpp.test', contentType: PIDF, body: doc('c') }), { status: 403, reason: 'Forbidden (too many publications held by the gateway)', headers: [] });
  t.equal(r.pub({ ifMatch: 'e1', contentType: PIDF, body: doc('one, changed') }).status, 200, 'a modification is not a new publication');
});

t.test('default entity tags: 16 base64url characters, fresh each time', async (t) => {
  const clock = new ManualClock();
  const esc = new EventStateCompositor({ clock, onChange: () => {} });
  const tags = [1, 2, 3].map(() => esc.publish({ presentity: BOB, contentType: PIDF, body: doc('x') }).headers[0]![1]);
  const refreshed = esc.publish({ presentity: BOB, ifMatch: tags[0], body: none }).headers[0]![1];
  for (const tag of [...tags, refreshed]) t.match(tag, /^[A-Za-z0-9_-]{16}$/);
  t.equal(new Set([...tags, refreshed]).size, 4);
});

t.test('clear() drops everything without telling anyone, expiries included', async (t) => {
  const r = rig();
  r.pub({ expires: '60', contentType: PIDF, body: doc('x') });
  r.changes.length = 0;
  r.esc.clear();
  t.equal(r.esc.size, 0);
  r.clock.advance(120_000);
  t.same(r.changes, []);
  t.equal(r.clock.pending, 0, 'no timer left');
});
