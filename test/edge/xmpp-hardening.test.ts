// The XEP-0114 link against a scripted fake server: every defect of @xmpp/component 0.13.1 that
// docs/xmpp-component.md lists, reproduced on the wire, ends in the RFC 6120 stream error and a
// reconnect — never in a dead process, a lost character or an unbounded buffer.
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import type { Test } from 'tap';
import { ComponentLink } from '../../gateway/xmpp/component-link.ts';
import type { ComponentLinkOptions } from '../../gateway/xmpp/component-link.ts';
import { silentLogger } from '../../gateway/log.ts';
import { ManualClock } from '../../gateway/clock.ts';
import { child, text } from '../../translators/xml.ts';
import type { XmlElement } from '../../translators/xml.ts';
import { FakeXmppServer } from './xmpp-fake-server.ts';
import type { FakeConnection } from './xmpp-fake-server.ts';

const DOMAIN = 'gw.example';
const SECRET = 's3cret';
const HELLO = `<message from='romeo@montague.example/home' to='juliet@${DOMAIN}' id='m1'><body>hello</body></message>`;

class Inbox {
  readonly items: XmlElement[] = [];
  #waiters: ((e: XmlElement) => void)[] = [];
  push(e: XmlElement): void {
    const w = this.#waiters.shift();
    if (w) w(e);
    else this.items.push(e);
  }
  next(): Promise<XmlElement> {
    const e = this.items.shift();
    if (e !== undefined) return Promise.resolve(e);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

async function setup(tt: Test, extra: Partial<ComponentLinkOptions> = {}, prologue?: string) {
  const server = await FakeXmppServer.start({ domain: DOMAIN, secret: SECRET, prologue });
  const link = new ComponentLink({
    domain: DOMAIN, host: '127.0.0.1', port: server.port, secret: SECRET, log: silentLogger,
    backoff: { initialMs: 40, maxMs: 200 }, random: () => 0.5, ...extra,
  });
  const inbox = new Inbox();
  link.onStanza((s) => { inbox.push(s); });
  const statuses: [boolean, string | undefined][] = [];
  const statusWaiters: { online: boolean; resolve: () => void }[] = [];
  link.onStatus((online, reason) => {
    statuses.push([online, reason]);
    for (const w of statusWaiters.splice(0)) {
      if (w.online === online) w.resolve();
      else statusWaiters.push(w);
    }
  });
  const until = (online: boolean): Promise<void> =>
    link.online === online ? Promise.resolve() : new Promise((resolve) => statusWaiters.push({ online, resolve }));
  tt.teardown(async () => {
    await link.stop();
    await server.close();
  });
  const started = link.start();
  const c0 = await server.connection(0);
  await started;
  return { server, link, inbox, statuses, until, c0 };
}

/** After a stream error: the link reconnects, and a normal message flows on the new stream. */
async function reconnectsAndFlows(tt: Test, server: FakeXmppServer, inbox: Inbox, until: (o: boolean) => Promise<void>, n = 1): Promise<FakeConnection> {
  const c = await server.connection(n);
  tt.equal(await c.handshake, true, 'the second connection handshakes');
  await until(true);
  await c.write(HELLO);
  const m = await inbox.next();
  tt.equal(text(child(m, 'body')!), 'hello', 'a normal message flows after the reconnect');
  return c;
}

void t.test('handshake: the component sends hex SHA-1(id + secret) and is online on <handshake/> (XEP-0114 §3)', async (tt) => {
  const { link, c0 } = await setup(tt);
  tt.equal(await c0.handshake, true);
  tt.equal(link.online, true);
  tt.match(c0.received, /^<stream:stream xmlns='jabber:component:accept' xmlns:stream='http:\/\/etherx\.jabber\.org\/streams' to='gw\.example'>/);
});

void t.test('an undefined entity (&foo;) closes the stream with not-well-formed, then the link reconnects', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  await c0.write(`<message from='a@b.example' to='u@${DOMAIN}'><body>&foo;</body></message>`);
  tt.equal(await c0.streamError, 'not-well-formed');
  await c0.closed;
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('&#0; closes the stream with not-well-formed (XML 1.0 §4.1 WFC: Legal Character), then the link reconnects', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  await c0.write(`<message from='a@b.example' to='u@${DOMAIN}'><body>x&#0;y</body></message>`);
  tt.equal(await c0.streamError, 'not-well-formed');
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a DOCTYPE in the stream prologue closes the stream with restricted-xml (RFC 6120 §11.1)', async (tt) => {
  const { server, inbox, until, c0, link } = await setup(tt, {}, "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY x 'y'>]>");
  tt.equal(await c0.streamError, 'restricted-xml');
  tt.equal(link.online, false, 'never online on a stream with a DTD');
  server.prologue = "<?xml version='1.0'?>";
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a DOCTYPE between stanzas closes the stream with restricted-xml instead of silencing later stanzas', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  await c0.write(`<!DOCTYPE message>${HELLO}`);
  tt.equal(await c0.streamError, 'restricted-xml');
  tt.equal(inbox.items.length, 0, 'nothing after the DOCTYPE was delivered');
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a processing instruction closes the stream with restricted-xml (RFC 6120 §11.1)', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  await c0.write(`<?evil payload?>${HELLO}`);
  tt.equal(await c0.streamError, 'restricted-xml');
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a comment closes the stream with restricted-xml (RFC 6120 §11.1)', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  await c0.write(`<message to='u@${DOMAIN}'><!-- x --></message>`);
  tt.equal(await c0.streamError, 'restricted-xml');
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('bytes that are not UTF-8 close the stream with not-well-formed (XML 1.0 §4.3.3)', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  await c0.write(Buffer.concat([Buffer.from(`<message to='u@${DOMAIN}'><body>`), Buffer.from([0xc3, 0x28]), Buffer.from('</body></message>')]));
  tt.equal(await c0.streamError, 'not-well-formed');
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('100,000 nested elements: policy-violation at maxDepth, bounded memory, then a reconnect', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  const before = process.memoryUsage().heapUsed;
  await c0.write(`<message to='u@${DOMAIN}'>` + '<a>'.repeat(100_000));
  tt.equal(await c0.streamError, 'policy-violation');
  const growth = process.memoryUsage().heapUsed - before;
  tt.ok(growth < 50 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB`);
  tt.comment(`heap growth during 100,000 nested elements: ${(growth / 1048576).toFixed(1)} MB`);
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a 10 MB stanza sent in 64 KiB chunks: policy-violation, heap grows < 50 MB, then a reconnect', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const chunk = 'x'.repeat(64 * 1024);
  let sent = 0;
  await c0.write(`<message to='u@${DOMAIN}'><body>`);
  const errored = c0.streamError;
  let stopped = false;
  void errored.then(() => { stopped = true; });
  while (sent < 10 * 1024 * 1024 && !stopped && !c0.socket.destroyed) {
    await c0.write(chunk);
    sent += chunk.length;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  tt.equal(await errored, 'policy-violation');
  const growth = peak - before;
  tt.ok(growth < 50 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB`);
  tt.comment(`10 MB stanza: ${(sent / 1024).toFixed(0)} KiB written before the stream error; peak heap growth ${(growth / 1048576).toFixed(1)} MB`);
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a stanza just under maxStanzaBytes is delivered; one byte over is refused', async (tt) => {
  const limit = 4096;
  const { server, inbox, until, c0 } = await setup(tt, { limits: { maxStanzaBytes: limit } });
  const head = `<message to='u@${DOMAIN}'><body>`;
  const tail = '</body></message>';
  const fill = (n: number): string => 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2);
  await c0.write(`  ${head}${fill(limit - head.length - tail.length)}${tail}  `);
  const m = await inbox.next();
  tt.equal(Buffer.byteLength(text(child(m, 'body')!)), limit - head.length - tail.length, 'exactly maxStanzaBytes: delivered');
  await c0.write(`${head}${fill(limit - head.length - tail.length + 1)}${tail}`);
  tt.equal(await c0.streamError, 'policy-violation', 'one byte over: refused');
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a UTF-8 character split across two TCP writes arrives intact (one streaming decoder)', async (tt) => {
  const { inbox, c0 } = await setup(tt);
  const raw = Buffer.from(`<message to='u@${DOMAIN}'><body>a😀b中c</body></message>`);
  const emoji = raw.indexOf(Buffer.from('😀'));
  const cjk = raw.indexOf(Buffer.from('中'));
  await c0.write(raw.subarray(0, emoji + 2)); // half of the 4-byte emoji
  await new Promise((r) => setTimeout(r, 10));
  await c0.write(raw.subarray(emoji + 2, cjk + 1)); // 1 of 3 bytes of the CJK character
  await new Promise((r) => setTimeout(r, 10));
  await c0.write(raw.subarray(cjk + 1));
  const m = await inbox.next();
  tt.equal(text(child(m, 'body')!), 'a😀b中c');
});

void t.test('a body with U+0000 and U+0007 is written with U+FFFD and the link stays online', async (tt) => {
  const { link, c0, inbox } = await setup(tt);
  await link.send({ name: 'message', attrs: { from: `juliet@${DOMAIN}`, to: 'romeo@montague.example' }, children: [{ name: 'body', attrs: {}, children: ['a\u0000b\u0007c'] }] });
  const out = await c0.stanza(0);
  tt.equal(text(child(out, 'body')!), 'a\uFFFDb\uFFFDc');
  tt.notMatch(c0.received, /[\u0000\u0007]/, 'no raw control character on the wire');
  tt.equal(link.online, true);
  await c0.write(HELLO);
  tt.equal(text(child(await inbox.next(), 'body')!), 'hello', 'the stream is still usable');
});

void t.test('the server closing the TCP connection: offline, then a reconnect after the backoff delay', async (tt) => {
  const { server, link, statuses, until, c0 } = await setup(tt, { backoff: { initialMs: 200, maxMs: 1000 }, random: () => 0 });
  const closedAt = performance.now();
  c0.socket.destroy();
  await until(false);
  await until(true);
  const took = performance.now() - closedAt;
  tt.ok(took >= 100, `reconnected after ${took.toFixed(0)} ms (first delay = 200/2 + 0 jitter = 100 ms)`);
  tt.comment(`reconnect after server close: ${took.toFixed(0)} ms`);
  tt.equal(server.connections.length, 2);
  tt.same(statuses.map((s) => s[0]), [true, false, true]);
  tt.equal(link.online, true);
});

void t.test('</stream:stream> from the server is answered in kind, then the link reconnects', async (tt) => {
  const { server, inbox, until, c0 } = await setup(tt);
  await c0.write('</stream:stream>');
  await c0.closed;
  tt.equal(c0.sawStreamClose, true);
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a stream error from the server takes the link offline with the condition as reason', async (tt) => {
  const { server, inbox, until, c0, statuses } = await setup(tt);
  await c0.write(`<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`);
  await until(false);
  tt.match(statuses.at(-1)?.[1], /system-shutdown/);
  await reconnectsAndFlows(tt, server, inbox, until);
});

void t.test('a wrong secret: the server refuses the handshake, the link stays offline and retries', async (tt) => {
  const server = await FakeXmppServer.start({ domain: DOMAIN, secret: 'other' });
  const link = new ComponentLink({ domain: DOMAIN, host: '127.0.0.1', port: server.port, secret: SECRET, log: silentLogger, backoff: { initialMs: 20, maxMs: 40 }, random: () => 0 });
  tt.teardown(async () => { await link.stop(); await server.close(); });
  await link.start();
  tt.equal(link.online, false);
  tt.equal(await server.connections[0]!.handshake, false);
  const c1 = await server.connection(1);
  tt.equal(await c1.handshake, false, 'retried');
});

void t.test('send() while offline rejects with ComponentOfflineError; stop() closes the stream and does not reconnect', async (tt) => {
  const { server, link, c0 } = await setup(tt);
  await link.stop();
  tt.equal(c0.sawStreamClose, true);
  await c0.closed;
  await tt.rejects(link.send({ name: 'message', attrs: {}, children: [] }), { name: 'ComponentOfflineError' });
  await new Promise((r) => setTimeout(r, 150));
  tt.equal(server.connections.length, 1, 'no reconnect after stop');
});

void t.test('whitespace keepalive: one space after 60 s idle, none while stanzas flow (RFC 6120 §4.6.1)', async (tt) => {
  const clock = new ManualClock();
  const { link, c0 } = await setup(tt, { clock });
  const wrote = (): string => c0.received;
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
  const base = wrote().length;
  clock.advance(59_999);
  await settle();
  tt.equal(wrote().length, base, 'nothing before 60 s');
  clock.advance(1);
  await settle();
  tt.equal(wrote().slice(base), ' ', 'one space at 60 s idle');
  clock.advance(30_000);
  await link.send({ name: 'presence', attrs: { from: `juliet@${DOMAIN}` }, children: [] });
  await c0.stanza(0);
  const afterSend = wrote().length;
  clock.advance(30_000);
  await settle();
  tt.equal(wrote().length, afterSend, 'no ping 30 s after a stanza');
  clock.advance(30_000);
  await settle();
  tt.equal(wrote().slice(afterSend), ' ', 'ping once idle for 60 s again');
});

void t.test('a server that never answers the stream header: connection-timeout stream error, then a retry', async (tt) => {
  const seen: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    let got = '';
    sock.on('data', (d: Buffer) => { got += d.toString(); });
    sock.on('end', () => { seen.push(got); sock.end(); });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const link = new ComponentLink({ domain: DOMAIN, host: '127.0.0.1', port, secret: SECRET, log: silentLogger, handshakeTimeoutMs: 100, backoff: { initialMs: 20, maxMs: 40 }, random: () => 0 });
  tt.teardown(async () => {
    await link.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  await link.start();
  tt.equal(link.online, false);
  tt.match(seen[0], /<stream:error><connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/><\/stream:error><\/stream:stream>$/);
  while (sockets.length < 2) await new Promise((r) => setTimeout(r, 10));
  tt.pass('retried after the timeout');
});
