// SIP watcher → XMPP user: answers and actions of the notifier (MAPPINGS §4, RFC 6665 §4.2).
import t from 'tap';
import { afterAccept, classify, eventPackage, onXmppPresence, onXmppSubscription, type SubscribeInput } from '../../../../../gateway/core/presence/watcher-rules.ts';

const sub = (extra: Partial<SubscribeInput> = {}): SubscribeInput => ({ event: 'presence', expires: 3600, accept: ['application/pidf+xml'], existing: false, ...extra });

t.test('a non-presence event is refused 489 with Allow-Events: presence', async (t) => {
  for (const event of ['dialog', 'message-summary', 'presence.winfo', '']) {
    t.same(classify(sub({ event })), { ok: false, answer: { status: 489, reason: 'Bad Event', headers: [['Allow-Events', 'presence']] } }, event);
  }
});

t.test('the event package is the token before parameters, case-insensitive', async (t) => {
  t.equal(eventPackage(' Presence ;id=7'), 'presence');
  t.same(classify(sub({ event: 'PRESENCE;id=1' })), { ok: true, kind: 'new', expires: 3600 });
});

t.test('an Accept without PIDF is refused 406; absent Accept and wildcards are fine', async (t) => {
  t.same(classify(sub({ accept: ['application/xpidf+xml'] })), { ok: false, answer: { status: 406, reason: 'Not Acceptable', headers: [['Accept', 'application/pidf+xml']] } });
  for (const accept of [[], ['*/*'], ['application/*'], ['text/plain', 'Application/PIDF+XML;q=0.5']]) t.equal(classify(sub({ accept })).ok, true, accept.join(','));
});

t.test('Expires: absent → 3600, above the maximum → 3600, below 60 → 423 with Min-Expires', async (t) => {
  t.same(classify(sub({ expires: undefined })), { ok: true, kind: 'new', expires: 3600 });
  t.same(classify(sub({ expires: 86400 })), { ok: true, kind: 'new', expires: 3600 });
  t.same(classify(sub({ expires: 300, existing: true })), { ok: true, kind: 'refresh', expires: 300 });
  t.same(classify(sub({ expires: 10 })), { ok: false, answer: { status: 423, reason: 'Interval Too Brief', headers: [['Min-Expires', '60']] } });
});

t.test('Expires 0 ends an existing dialog, and is a fetch without one', async (t) => {
  t.same(classify(sub({ expires: 0, existing: true })), { ok: true, kind: 'end', expires: 0 });
  t.same(classify(sub({ expires: 0 })), { ok: true, kind: 'fetch', expires: 0 });
});

t.test('a new watcher not yet approved: NOTIFY pending and an XMPP subscribe from its JID', async (t) => {
  t.same(afterAccept('new', false, false), [{ type: 'save-dialog' }, { type: 'notify', notify: { state: 'pending', document: false } }, { type: 'xmpp', presence: 'subscribe' }]);
});

t.test('a new watcher already approved: NOTIFY active at once; probe when the presence is unknown', async (t) => {
  t.same(afterAccept('new', true, true), [{ type: 'save-dialog' }, { type: 'notify', notify: { state: 'active', document: true } }]);
  t.same(afterAccept('new', true, false).at(-1), { type: 'xmpp', presence: 'probe' });
});

t.test('a refresh gets a NOTIFY of the current state and no XMPP traffic (RFC 6665 §4.2.1.2)', async (t) => {
  t.same(afterAccept('refresh', true, true), [{ type: 'save-dialog' }, { type: 'notify', notify: { state: 'active', document: true } }]);
  t.same(afterAccept('refresh', false, true), [{ type: 'save-dialog' }, { type: 'notify', notify: { state: 'pending', document: false } }]);
});

t.test('Expires 0 ends the dialog with a final NOTIFY and sends XMPP unsubscribe', async (t) => {
  t.same(afterAccept('end', true, true), [
    { type: 'notify', notify: { state: 'terminated', document: true } }, { type: 'forget-dialog' }, { type: 'approval', approved: false }, { type: 'xmpp', presence: 'unsubscribe' },
  ]);
});

t.test('a fetch gets one terminated NOTIFY, with the document only when approved', async (t) => {
  t.same(afterAccept('fetch', true, true), [{ type: 'notify', notify: { state: 'terminated', reason: 'timeout', document: true } }]);
  t.same(afterAccept('fetch', false, true), [{ type: 'notify', notify: { state: 'terminated', reason: 'timeout', document: false } }]);
});

t.test('XMPP subscribed → NOTIFY active with the PIDF; unsubscribed → terminated;reason=rejected', async (t) => {
  t.same(onXmppSubscription('subscribed'), [{ type: 'approval', approved: true }, { type: 'notify', notify: { state: 'active', document: true } }]);
  t.same(onXmppSubscription('unsubscribed'), [{ type: 'approval', approved: false }, { type: 'notify', notify: { state: 'terminated', reason: 'rejected', document: false } }, { type: 'forget-dialog' }]);
});

t.test('a presence change reaches approved dialogs only', async (t) => {
  t.same(onXmppPresence(true), [{ type: 'notify', notify: { state: 'active', document: true } }]);
  t.same(onXmppPresence(false), []);
});
