import t from 'tap';
import { el } from '../../../../translators/xml.ts';
import { NS_STANZAS, iqResult, jidDomain, jidLocal, stanzaError } from '../../../../gateway/xmpp/stanza.ts';

void t.test('jidDomain / jidLocal (RFC 7622 §3)', (tt) => {
  const rows: [string, string, string | undefined][] = [
    ['alice@Corp.Example/res', 'corp.example', 'alice'],
    ['corp.example', 'corp.example', undefined],
    ['corp.example/res@x', 'corp.example', undefined],
    ['a%b.example@gw.example', 'gw.example', 'a%b.example'],
    ['', '', undefined],
  ];
  for (const [jid, domain, local] of rows) {
    tt.equal(jidDomain(jid), domain, `domain of ${jid}`);
    tt.equal(jidLocal(jid), local, `local of ${jid}`);
  }
  tt.end();
});

void t.test('iqResult swaps to/from and keeps the id (RFC 6120 §8.2.3)', (tt) => {
  const iq = el('iq', { type: 'get', id: 'q1', from: 'a@x/r', to: 'gw.example' });
  tt.same(iqResult(iq), el('iq', { type: 'result', id: 'q1', from: 'gw.example', to: 'a@x/r' }));
  tt.same(iqResult(iq, el('p')).children, [el('p')]);
  tt.end();
});

void t.test('stanzaError: same element name, type error, condition in the stanzas namespace (RFC 6120 §8.3)', (tt) => {
  const m = el('message', { id: 'm1', from: 'a@x', to: 'b@gw.example' });
  tt.same(stanzaError(m, 'cancel', 'item-not-found'),
    el('message', { type: 'error', id: 'm1', from: 'b@gw.example', to: 'a@x' }, el('error', { type: 'cancel' }, el('item-not-found', { xmlns: NS_STANZAS }))));
  tt.end();
});
