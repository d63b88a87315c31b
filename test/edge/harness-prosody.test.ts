// Proves the Prosody harness and the XMPP test client against the real Prosody (Debian 0.12):
// login with SASL PLAIN, byte-exact UTF-8 delivery, restart on the same ports, clean stop.
import t from 'tap';
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { startProsody } from '../harness/prosody.ts';
import type { ProsodyHandle } from '../harness/prosody.ts';
import { connectClient } from '../harness/xmpp-client.ts';
import { createStreamReader } from '../harness/xml-stream.ts';
import { el, child, text } from '../../translators/xml.ts';
import type { XmlElement } from '../../translators/xml.ts';

const USERS = [
  { user: 'bob', password: 'pw' },
  { user: 'alice', password: 'pässwörd "q" \\' },
];
// Emoji with a skin-tone modifier, a ZWJ sequence, CJK, a combining acute, markup characters.
const BODY = 'héllo 👋🏽 👩‍💻 中文 日本語 e\u0301 <tag> & "q" \'a\'';

async function prosody(tt: Test): Promise<ProsodyHandle> {
  const p = await startProsody({ vhost: 'xmpp.test', users: USERS, components: [{ domain: 'corp.test', secret: 's3cret' }] });
  tt.teardown(() => p.stop());
  return p;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
  });
}

const bodyOf = (m: XmlElement): string => text(child(m, 'body') ?? el('body'));

void t.test('two users log in with SASL PLAIN and a UTF-8 message arrives byte-identical', async (tt) => {
  const p = await prosody(tt);
  tt.ok(p.startupMs() < 5000, `prosody started in ${p.startupMs().toFixed(0)} ms`);
  const bob = await connectClient({ port: p.c2sPort, jid: 'bob@xmpp.test', password: 'pw' });
  tt.teardown(() => bob.close());
  const alice = await connectClient({ port: p.c2sPort, jid: 'alice@xmpp.test', password: USERS[1]!.password, resource: 'phone' });
  tt.teardown(() => alice.close());
  tt.match(bob.jid, /^bob@xmpp\.test\/.+/);
  tt.equal(alice.jid, 'alice@xmpp.test/phone');

  alice.send(el('message', { to: 'bob@xmpp.test', type: 'chat', id: 'm1' }, el('body', {}, BODY)));
  const got = await bob.nextStanza((s) => s.name === 'message' && s.attrs.id === 'm1');
  tt.equal(got.attrs.from, 'alice@xmpp.test/phone');
  tt.same(Buffer.from(bodyOf(got), 'utf8'), Buffer.from(BODY, 'utf8'));

  // And back, as a raw string stanza.
  bob.send(`<message to='alice@xmpp.test/phone' type='chat' id='m2'><body>中文 🀄</body></message>`);
  const back = await alice.nextStanza((s) => s.name === 'message' && s.attrs.id === 'm2');
  tt.equal(bodyOf(back), '中文 🀄');
});

void t.test('a wrong password is refused with SASL not-authorized', async (tt) => {
  const p = await prosody(tt);
  await tt.rejects(connectClient({ port: p.c2sPort, jid: 'bob@xmpp.test', password: 'wrong' }), /not-authorized/);
});

void t.test('the XML reader decodes a UTF-8 sequence split across TCP segments', (tt) => {
  const got: XmlElement[] = [];
  const r = createStreamReader({ onOpen: () => undefined, onElement: (e) => got.push(e), onClose: () => undefined, onError: (e) => tt.fail(e.message) });
  const bytes = Buffer.from(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message><body>${BODY.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</body></message>`);
  for (const b of bytes) r.write(Uint8Array.of(b)); // one byte per segment
  tt.equal(got.length, 1);
  tt.equal(bodyOf(got[0]!), BODY);
  tt.end();
});

void t.test('the component port accepts a XEP-0114 handshake and routes to the component', async (tt) => {
  const p = await prosody(tt);
  const sock = connect({ host: '127.0.0.1', port: p.componentPort });
  tt.teardown(() => sock.destroy());
  const elements: XmlElement[] = [];
  let streamId = '';
  let wake: () => void = () => undefined;
  const reader = createStreamReader({
    onOpen: (attrs) => ((streamId = attrs.id ?? ''), wake()),
    onElement: (e) => (elements.push(e), wake()),
    onClose: () => undefined,
    onError: (e) => tt.fail(e.message),
  });
  sock.on('data', (d: Buffer) => reader.write(d));
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
  };
  sock.write(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='corp.test'>`);
  await until(() => streamId !== '');
  sock.write(`<handshake>${createHash('sha1').update(streamId + 's3cret').digest('hex')}</handshake>`);
  await until(() => elements.some((e) => e.name === 'handshake'));

  const bob = await connectClient({ port: p.c2sPort, jid: 'bob@xmpp.test', password: 'pw' });
  tt.teardown(() => bob.close());
  bob.send(el('message', { to: 'alice@corp.test', type: 'chat', id: 'c1' }, el('body', {}, BODY)));
  await until(() => elements.some((e) => e.name === 'message'));
  const m = elements.find((e) => e.name === 'message')!;
  tt.equal(m.attrs.from, bob.jid);
  tt.equal(m.attrs.to, 'alice@corp.test');
  tt.equal(bodyOf(m), BODY);
});

void t.test('restart() comes back on the same ports with the same accounts', async (tt) => {
  const p = await prosody(tt);
  const { c2sPort, componentPort } = p;
  const bob = await connectClient({ port: c2sPort, jid: 'bob@xmpp.test', password: 'pw' });
  tt.teardown(() => bob.close());
  await p.restart();
  await bob.closed; // the old session sees its stream end
  tt.equal(p.c2sPort, c2sPort);
  tt.equal(p.componentPort, componentPort);
  tt.ok(await portOpen(componentPort), 'component port listens again');
  const again = await connectClient({ port: c2sPort, jid: 'bob@xmpp.test', password: 'pw' });
  tt.teardown(() => again.close());
  tt.match(again.jid, /^bob@xmpp\.test\//);
});

void t.test('addUser() creates an account on a running server', async (tt) => {
  const p = await prosody(tt);
  await p.addUser('carol', 'c-pw');
  const carol = await connectClient({ port: p.c2sPort, jid: 'carol@xmpp.test', password: 'c-pw' });
  tt.teardown(() => carol.close());
  tt.match(carol.jid, /^carol@xmpp\.test\//);
});

void t.test('stop() ends the server, frees its ports and removes its directory', async (tt) => {
  const p = await startProsody({ vhost: 'xmpp.test', users: USERS, components: [{ domain: 'corp.test', secret: 's3cret' }] });
  tt.teardown(() => p.stop());
  tt.ok(existsSync(p.dir));
  await p.stop();
  tt.notOk(existsSync(p.dir), 'temp dir removed');
  tt.notOk(await portOpen(p.c2sPort), 'c2s port closed');
  tt.notOk(await portOpen(p.componentPort), 'component port closed');
  await p.stop(); // idempotent
});
