// Reading XMPP presence stanzas for the presence core (RFC 6121 §3, §4).
import t from 'tap';
import { bareJid, presenceOfType, readPresence } from '../../../../../gateway/core/presence/xmpp-presence.ts';
import { el } from '../../../../../translators/xml.ts';

t.test('an available presence gives the resource, show, every status with its language, and priority', async (t) => {
  const s = el('presence', { from: 'bob@xmpp.test/laptop', to: 'carol@corp.test' },
    el('show', {}, ' dnd '), el('status', {}, 'In a meeting'), el('status', { 'xml:lang': 'de' }, 'Besprechung'), el('status', { 'xml:lang': '' }, 'x'), el('priority', {}, '5'));
  t.same(readPresence(s), {
    kind: 'available', from: 'bob@xmpp.test', to: 'carol@corp.test', resource: 'laptop',
    presence: { resource: 'laptop', available: true, statuses: [{ text: 'In a meeting' }, { lang: 'de', text: 'Besprechung' }, { text: 'x' }], show: 'dnd', priority: 5 },
  });
});

t.test('an unknown show and a non-numeric priority are left out; no show on unavailable', async (t) => {
  t.same(readPresence(el('presence', { from: 'bob@xmpp.test', to: 'a@corp.test' }, el('show', {}, 'busy'), el('priority', {}, 'high')))?.presence,
    { resource: '', available: true, statuses: [] });
  t.same(readPresence(el('presence', { from: 'bob@xmpp.test/r', to: 'a@corp.test', type: 'unavailable' }, el('show', {}, 'away'), el('status', {}, 'bye')))?.presence,
    { resource: 'r', available: false, statuses: [{ text: 'bye' }] });
});

t.test('subscription types and probe carry no presence', async (t) => {
  for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error'] as const) {
    t.same(readPresence(el('presence', { from: 'bob@xmpp.test/r', to: 'alice@corp.test/x', type })), { kind: type, from: 'bob@xmpp.test', to: 'alice@corp.test', resource: 'r' }, type);
  }
});

t.test('not presence, unaddressed, or an unknown type: undefined', async (t) => {
  t.equal(readPresence(el('message', { from: 'a@b', to: 'c@d' })), undefined);
  t.equal(readPresence(el('presence', { to: 'c@d' })), undefined);
  t.equal(readPresence(el('presence', { from: 'a@b' })), undefined);
  t.equal(readPresence(el('presence', { from: 'a@b', to: 'c@d', type: 'invisible' })), undefined);
});

t.test('bare JIDs and subscription stanzas', async (t) => {
  t.equal(bareJid('a@b/c/d'), 'a@b');
  t.equal(bareJid('a@b'), 'a@b');
  t.same(presenceOfType('subscribed', 'alice@corp.test', 'bob@xmpp.test'), el('presence', { type: 'subscribed', from: 'alice@corp.test', to: 'bob@xmpp.test' }));
});
