// The XMPP edge over two components against the scripted fake server: the iqs it answers itself,
// what it hands on, and how it routes outgoing stanzas.
import t from 'tap';
import type { Test } from 'tap';
import { silentLogger } from '../../gateway/log.ts';
import { XmppEdge } from '../../gateway/xmpp/edge.ts';
import { child, el, text } from '../../translators/xml.ts';
import type { XmlElement } from '../../translators/xml.ts';
import { FakeXmppServer } from './xmpp-fake-server.ts';

const A = 'gw.example';
const B = 'sip.xmpp.example';

async function setup(tt: Test) {
  const sa = await FakeXmppServer.start({ domain: A, secret: 'sa' });
  const sb = await FakeXmppServer.start({ domain: B, secret: 'sb' });
  const edge = new XmppEdge({
    components: [
      { domain: A, host: '127.0.0.1', port: sa.port, secret: 'sa' },
      { domain: B, host: '127.0.0.1', port: sb.port, secret: 'sb' },
    ],
    log: silentLogger, backoff: { initialMs: 20, maxMs: 40 }, random: () => 0,
  });
  const got: [XmlElement, string][] = [];
  edge.onStanza((s, d) => { got.push([s, d]); });
  const status: [string, boolean][] = [];
  edge.onStatus((d, online) => { status.push([d, online]); });
  tt.teardown(async () => {
    await edge.stop();
    await sa.close();
    await sb.close();
  });
  await edge.start();
  return { edge, got, status, a: await sa.connection(0), b: await sb.connection(0), sb };
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

void t.test('disco#info to the domain and to a user JID: identity gateway/sip "Parley" with ping feature', async (tt) => {
  const { a } = await setup(tt);
  await a.write(`<iq type='get' id='d1' from='romeo@montague.example/home' to='${A}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
  await a.write(`<iq type='get' id='d2' from='romeo@montague.example/home' to='juliet@${A}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
  for (const [n, to] of [[0, A], [1, `juliet@${A}`]] as const) {
    const r = await a.stanza(n);
    tt.same(r.attrs, { type: 'result', id: `d${n + 1}`, from: to, to: 'romeo@montague.example/home' });
    const q = child(r, 'query', 'http://jabber.org/protocol/disco#info')!;
    tt.same(child(q, 'identity')?.attrs, { category: 'gateway', type: 'sip', name: 'Parley' });
    tt.ok(q.children.some((f) => typeof f !== 'string' && f.attrs.var === 'urn:xmpp:ping'));
  }
});

void t.test('XEP-0199 ping → result; other get/set → service-unavailable; result/error → nothing', async (tt) => {
  const { a, got } = await setup(tt);
  await a.write(`<iq type='result' id='r0' from='x@y' to='${A}'/><iq type='error' id='e0' from='x@y' to='${A}'/>`);
  await a.write(`<iq type='get' id='p1' from='x@y' to='${A}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await a.write(`<iq type='set' id='v1' from='x@y' to='${A}'><query xmlns='jabber:iq:roster'/></iq>`);
  const ping = await a.stanza(0);
  tt.same(ping, el('iq', { type: 'result', id: 'p1', from: A, to: 'x@y' }), 'ping answered; result and error were not');
  const err = await a.stanza(1);
  tt.equal(err.attrs.type, 'error');
  tt.equal(err.attrs.id, 'v1');
  const e = child(err, 'error')!;
  tt.equal(e.attrs.type, 'cancel');
  tt.ok(child(e, 'service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  tt.equal(got.length, 0, 'iqs are not handed on');
});

void t.test('messages and presences are handed on with the component domain', async (tt) => {
  const { a, b, got } = await setup(tt);
  await a.write(`<message from='r@m.example' to='j@${A}'><body>to A</body></message>`);
  await b.write(`<presence from='r@m.example' to='alice%corp.example@${B}'/>`);
  await a.write(`<unknown-element/>`);
  while (got.length < 2) await settle();
  tt.equal(text(child(got.find((g) => g[1] === A)![0], 'body')!), 'to A');
  tt.equal(got.find((g) => g[1] === B)![0].name, 'presence');
});

void t.test('send() routes by the domain of from; unknown domain and offline component are typed rejections', async (tt) => {
  const { edge, a, b, sb } = await setup(tt);
  tt.equal(edge.online(), true);
  tt.equal(edge.online(A), true);
  tt.equal(edge.online('nope.example'), false);
  await edge.send(el('message', { from: `juliet@${A}/r`, to: 'r@m.example' }, el('body', {}, 'via A')));
  await edge.send(el('message', { from: `alice%corp.example@${B.toUpperCase()}`, to: 'r@m.example' }, el('body', {}, 'via B')));
  tt.equal(text(child(await a.stanza(0), 'body')!), 'via A');
  tt.equal(text(child(await b.stanza(0), 'body')!), 'via B');
  await tt.rejects(edge.send(el('message', { from: 'x@elsewhere.example' })), { name: 'UnknownComponentError', domain: 'elsewhere.example' });
  await tt.rejects(edge.send(el('message', {})), { name: 'UnknownComponentError' });
  await sb.close();
  while (edge.online(B)) await settle();
  tt.equal(edge.online(), false);
  await tt.rejects(edge.send(el('message', { from: `a@${B}` })), { name: 'ComponentOfflineError' });
});
