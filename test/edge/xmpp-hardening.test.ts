// The XEP-0114 link against a scripted fake server: every defect of @xmpp/component 0.13.1 that
// docs/xmpp-component.md lists, reproduced on the wire, ends in the RFC 6120 stream error and a
// reconnect — never in a dead process, a lost character or an unbounded buffer.
import t from 'tap';
import type { Test } from 'tap';
import { ComponentLink } from '../../gateway/xmpp/component-link.ts';
import type { ComponentLinkOptions } from '../../gateway/xmpp/component-link.ts';
import { silentLogger } from '../../gateway/log.ts';
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
