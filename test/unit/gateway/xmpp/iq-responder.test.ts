import t from 'tap';
import { el } from '../../../../translators/xml.ts';
import { NS_DISCO_INFO, NS_PING, answerIq, discoInfo } from '../../../../gateway/xmpp/iq-responder.ts';
import { NS_STANZAS } from '../../../../gateway/xmpp/stanza.ts';

const iq = (type: string, to: string, ...payload: ReturnType<typeof el>[]) => el('iq', { type, id: 'q1', from: 'romeo@montague.example/home', to }, ...payload);

void t.test('disco#info to the component domain and to a user JID: gateway/sip identity (XEP-0030, XEP-0100)', (tt) => {
  for (const to of ['gw.example', 'juliet@gw.example']) {
    const r = answerIq(iq('get', to, el('query', { xmlns: NS_DISCO_INFO })));
    tt.same(r, el('iq', { type: 'result', id: 'q1', from: to, to: 'romeo@montague.example/home' }, discoInfo()), to);
  }
  tt.same(discoInfo().children[0], el('identity', { category: 'gateway', type: 'sip', name: 'Parley' }));
  tt.same(discoInfo().children.slice(1), [el('feature', { var: NS_DISCO_INFO }), el('feature', { var: NS_PING })]);
  tt.end();
});

void t.test('XEP-0199 ping gets an empty result', (tt) => {
  tt.same(answerIq(iq('get', 'gw.example', el('ping', { xmlns: NS_PING }))), el('iq', { type: 'result', id: 'q1', from: 'gw.example', to: 'romeo@montague.example/home' }));
  tt.end();
});

void t.test('any other get or set gets service-unavailable, type cancel (RFC 6120 §8.4)', (tt) => {
  const unavailable = (type: string, p: ReturnType<typeof el>) => tt.same(answerIq(iq(type, 'gw.example', p)),
    el('iq', { type: 'error', id: 'q1', from: 'gw.example', to: 'romeo@montague.example/home' }, el('error', { type: 'cancel' }, el('service-unavailable', { xmlns: NS_STANZAS }))));
  unavailable('get', el('query', { xmlns: 'jabber:iq:version' }));
  unavailable('set', el('query', { xmlns: NS_DISCO_INFO }));
  unavailable('set', el('ping', { xmlns: NS_PING }));
  unavailable('get', el('query', { xmlns: 'http://jabber.org/protocol/disco#items' }));
  tt.end();
});

void t.test('results, errors, iqs without id or from, and non-iqs are never answered (RFC 6120 §8.2.3)', (tt) => {
  tt.equal(answerIq(iq('result', 'gw.example')), undefined);
  tt.equal(answerIq(iq('error', 'gw.example')), undefined);
  tt.equal(answerIq(el('iq', { type: 'get', from: 'a@x', to: 'gw.example' }, el('ping', { xmlns: NS_PING }))), undefined);
  tt.equal(answerIq(el('iq', { type: 'get', id: 'x', to: 'gw.example' }, el('ping', { xmlns: NS_PING }))), undefined);
  tt.equal(answerIq(el('message', { id: 'x', from: 'a@x' })), undefined);
  tt.end();
});
