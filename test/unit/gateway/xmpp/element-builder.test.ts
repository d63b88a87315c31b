import t from 'tap';
import { StanzaBuilder } from '../../../../gateway/xmpp/element-builder.ts';

const C = 'jabber:component:accept';

void t.test('a stanza carries no xmlns; a child carries xmlns only when its namespace differs from its parent', (tt) => {
  const b = new StanzaBuilder();
  b.open({ local: 'iq', uri: C, attrs: { xmlns: C, type: 'get', id: '1' } });
  b.open({ local: 'query', uri: 'http://jabber.org/protocol/disco#info', attrs: { xmlns: 'http://jabber.org/protocol/disco#info' } });
  b.open({ local: 'item', uri: 'http://jabber.org/protocol/disco#info', attrs: {} });
  tt.equal(b.depth, 3);
  tt.equal(b.close(), undefined);
  b.open({ local: 'x', uri: 'urn:p', attrs: { 'xmlns:p': 'urn:p', 'p:a': '1' } });
  tt.equal(b.close(), undefined);
  tt.equal(b.close(), undefined);
  const built = b.close();
  tt.same(built, {
    uri: C,
    element: { name: 'iq', attrs: { type: 'get', id: '1' }, children: [
      { name: 'query', attrs: { xmlns: 'http://jabber.org/protocol/disco#info' }, children: [
        { name: 'item', attrs: {}, children: [] },
        { name: 'x', attrs: { 'xmlns:p': 'urn:p', 'p:a': '1', xmlns: 'urn:p' }, children: [] },
      ] },
    ] },
  });
  tt.equal(b.depth, 0);
  tt.end();
});

void t.test('a redundant xmlns equal to the parent namespace is dropped', (tt) => {
  const b = new StanzaBuilder();
  b.open({ local: 'message', uri: C, attrs: {} });
  b.open({ local: 'body', uri: C, attrs: { xmlns: C } });
  b.close();
  tt.same(b.close()?.element, { name: 'message', attrs: {}, children: [{ name: 'body', attrs: {}, children: [] }] });
  tt.end();
});

void t.test('text: adjacent pieces merge, text between stanzas and empty text are dropped', (tt) => {
  const b = new StanzaBuilder();
  b.text('  ');
  b.open({ local: 'message', uri: C, attrs: {} });
  b.text('a');
  b.text('');
  b.text('b');
  b.open({ local: 'x', uri: C, attrs: {} });
  b.close();
  b.text('c');
  tt.same(b.close()?.element.children, ['ab', { name: 'x', attrs: {}, children: [] }, 'c']);
  tt.equal(b.close(), undefined, 'close with nothing open');
  tt.end();
});
