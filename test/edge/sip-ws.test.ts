// SIP over WebSocket (RFC 7118) with SIP.js, the library browser clients use, as a real client under
// Node 24 (its global WebSocket is what SIP.js constructs), plus raw WebSocket probes for the edges:
// the handshake, junk frames, keep-alives, size limits, connections closed mid-transaction, wss.
import t from 'tap';
import type { Test } from 'tap';
import { request as httpRequest } from 'node:http';
import { Messager, Subscriber, UserAgent } from 'sip.js';
import type { Notification } from 'sip.js';
import { WebSocket as WsClient } from 'ws';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingRequest, SipEndpointOptions } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import { parseDatagram } from '../../gateway/sip/parser.ts';
import { ParseError } from '../../gateway/sip/parse-error.ts';
import type { SipMessage } from '../../gateway/sip/message.ts';
import { request, status } from './sip/client.ts';
import { makePki } from './sip/certs.ts';

const PIDF = '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:bob@gw.test"><tuple id="t1"><status><basic>open</basic></status></tuple></presence>';

/** Teardown in reverse order of setup (a SIP.js agent stops before the endpoint it talks to). */
const stacks = new WeakMap<Test, Array<() => unknown>>();
function later(t: Test, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const s: Array<() => unknown> = [];
    stacks.set(t, s);
    t.teardown(async () => { for (const f of s.reverse()) await f(); });
    stack = s;
  }
  stack.push(fn);
}

async function endpoint(t: Test, extra: Partial<SipEndpointOptions> = {}) {
  const ep = new SipEndpoint({ listen: ['ws://127.0.0.1:0'], domains: ['gw.test'], log: silentLogger, ...extra });
  const seen: IncomingRequest[] = [];
  ep.onRequest('MESSAGE', (req) => { seen.push(req); return { status: 202 }; });
  await ep.start();
  later(t, () => ep.stop());
  const b = ep.bound[0]!;
  return { ep, seen, url: `${b.transport}://127.0.0.1:${b.port}`, port: b.port };
}

/** A SIP.js user agent connected to url; `responses` records every response SIP.js received. */
async function sipjs(t: Test, url: string) {
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:alice@gw.test'), transportOptions: { server: url },
    logBuiltinEnabled: false, logLevel: 'error',
  });
  const responses: Array<{ status: number; method: string; allow?: string }> = [];
  const transport = ua.transport;
  const deliver = transport.onMessage;
  transport.onMessage = (text: string): void => {
    const m = parseDatagram(Buffer.from(text));
    if (!(m instanceof ParseError) && m.kind === 'response') {
      const allow = m.headers.first('allow');
      responses.push({ status: m.status, method: m.headers.first('cseq')?.split(' ')[1] ?? '', ...(allow !== undefined && { allow }) });
    }
    deliver?.(text);
  };
  await ua.start();
  later(t, () => Promise.race([ua.stop(), new Promise((r) => setTimeout(r, 2000))]));
  return { ua, responses };
}

const target = (s: string) => UserAgent.makeURI(s)!;

/** Polls until cond() or ms elapse. */
async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

/** A raw WebSocket peer (Node's global WebSocket) that parses what comes back. */
class RawWs {
  readonly ws: WebSocket;
  readonly received: Array<SipMessage | string> = [];
  closed = false;
  closeCode = 0;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (ev: MessageEvent) => {
      const text = typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString('utf8');
      const m = parseDatagram(Buffer.from(text));
      this.received.push(m instanceof ParseError ? text : m);
    });
    ws.addEventListener('close', (ev: CloseEvent) => { this.closed = true; this.closeCode = ev.code; });
  }

  static open(t: Test, url: string, protocols: string | string[] = 'sip'): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols);
      t.teardown(() => { ws.close(); });
      ws.addEventListener('open', () => { resolve(new RawWs(ws)); }, { once: true });
      ws.addEventListener('error', () => { reject(new Error('websocket handshake failed')); }, { once: true });
    });
  }
}

void t.test('SIP.js sends MESSAGE over ws: the handler gets the body, SIP.js gets the 2xx', async (t) => {
  const { seen, url } = await endpoint(t);
  const { ua, responses } = await sipjs(t, url);
  const accepted = await new Promise<number>((resolve) => {
    void new Messager(ua, target('sip:bob@gw.test'), 'héllo from a browser', 'text/plain;charset=UTF-8').message({
      requestDelegate: { onAccept: (r) => { resolve(r.message.statusCode ?? 0); }, onReject: (r) => { resolve(r.message.statusCode ?? 0); } },
    });
  });
  t.equal(accepted, 202, 'SIP.js saw 202 Accepted');
  t.same(responses, [{ status: 202, method: 'MESSAGE' }]);
  t.equal(seen.length, 1);
  t.equal(seen[0]!.body.toString('utf8'), 'héllo from a browser');
  t.equal(seen[0]!.transport, 'ws');
  t.equal(seen[0]!.contentType, 'text/plain;charset=UTF-8');
  t.match(seen[0]!.header('via'), /^SIP\/2\.0\/WS [a-z0-9]+\.invalid;branch=z9hG4bK\w+;received=127\.0\.0\.1$/, 'WS Via with received (RFC 7118 §5.1)');
});

void t.test('SIP.js SUBSCRIBE without a subscription handler gets a well-formed 405 with Allow', async (t) => {
  const { url } = await endpoint(t);
  const { ua, responses } = await sipjs(t, url);
  const sub = new Subscriber(ua, target('sip:bob@gw.test'), 'presence');
  await sub.subscribe();
  t.ok(await until(() => responses.length > 0), 'SIP.js received the answer');
  t.equal(responses[0]?.method, 'SUBSCRIBE');
  t.ok(responses[0]?.status === 405 || responses[0]?.status === 489, `405 or 489 (got ${responses[0]?.status})`);
  if (responses[0]?.status === 405) t.match(responses[0].allow, /MESSAGE/, '405 lists what is allowed (§8.2.1)');
  t.ok(await until(() => String(sub.state) === 'Terminated'), 'SIP.js ended its subscription');
});

void t.test('SIP.js subscribes over ws: 200, then the NOTIFY reaches it over the same connection (flow alias of its Contact)', async (t) => {
  const { ep, url } = await endpoint(t, { allowEvents: ['presence'] });
  const subscribes: string[] = [];
  const notified: string[] = [];
  ep.onSubscribe((s) => {
    subscribes.push(`${s.request.transport} ${s.expires}`);
    return {
      status: 200, expires: Math.min(s.expires, 600),
      onAccepted: (sub) => {
        const n = s.expires === 0 ? { state: 'terminated' as const, reason: 'timeout' } : { state: 'active' as const, contentType: 'application/pidf+xml', body: Buffer.from(PIDF) };
        void sub.notify(n).then((r) => { notified.push(`${n.state} ${r.status}`); });
      },
    };
  });
  const { ua, responses } = await sipjs(t, url);
  const notifies: Notification[] = [];
  const sub = new Subscriber(ua, target('sip:bob@gw.test'), 'presence', {
    delegate: { onNotify: (n) => { notifies.push(n); void n.accept(); } },
  });
  await sub.subscribe();
  t.ok(await until(() => notifies.length > 0), 'NOTIFY delivered to SIP.js');
  t.same(subscribes, ['ws 3600']);
  t.same(responses.filter((r) => r.method === 'SUBSCRIBE').map((r) => r.status), [200]);
  t.equal(notifies[0]?.request.body, PIDF);
  t.match(notifies[0]?.request.getHeader('Subscription-State') ?? '', /^active/);
  t.match(notifies[0]?.request.getHeader('Via') ?? '', /^SIP\/2\.0\/WS /, 'NOTIFY sent over WS');
  t.ok(await until(() => String(sub.state) === 'Subscribed'), 'SIP.js subscription is active');
  await sub.unsubscribe();
  t.ok(await until(() => notified.length === 2), 'final NOTIFY answered');
  t.same(subscribes, ['ws 3600', 'ws 0'], 'the unsubscribe came in-dialog over WS');
  t.equal(notified[0], 'active 200', 'SIP.js answered the NOTIFY 200 over WS');
  t.match(notified[1], /^terminated \d{3}$/, 'the final NOTIFY reached SIP.js and was answered');
  t.same(responses.filter((r) => r.method === 'SUBSCRIBE').map((r) => r.status), [200, 200]);
});

void t.test('a handshake without the "sip" subprotocol is refused (RFC 7118 §4.1); plain HTTP gets 426', async (t) => {
  const { url, port } = await endpoint(t);
  await t.rejects(RawWs.open(t, url, []), /handshake failed/, 'no subprotocol');
  await t.rejects(RawWs.open(t, url, 'xmpp'), /handshake failed/, 'another subprotocol');
  const ok = await RawWs.open(t, url, ['chat', 'sip']);
  t.equal(ok.ws.protocol, 'sip', 'sip selected among several');
  const code = await new Promise<number>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  });
  t.equal(code, 426);
});

void t.test('a non-SIP text frame is ignored; the connection goes on serving SIP', async (t) => {
  const { seen, url } = await endpoint(t);
  const peer = await RawWs.open(t, url);
  peer.ws.send('hello, this is not SIP');
  peer.ws.send(new Uint8Array([0xff, 0x00, 0x13]));
  peer.ws.send(request('MESSAGE', { port: 5060, transport: 'WS', uri: 'sip:bob@gw.test', body: 'after junk', contentType: 'text/plain' }));
  t.ok(await until(() => peer.received.length > 0));
  t.equal(status(peer.received[0] as SipMessage), 202);
  t.same(seen.map((r) => r.body.toString()), ['after junk']);
  t.equal(peer.closed, false);
});

void t.test('a message without Content-Length in a binary frame is one message; a body past Content-Length is cut', async (t) => {
  const { seen, url } = await endpoint(t);
  const peer = await RawWs.open(t, url);
  const noLength = request('MESSAGE', { port: 5060, transport: 'WS', uri: 'sip:bob@gw.test', body: 'whole frame', contentType: 'text/plain' }).replace(/Content-Length: \d+\r\n/, '');
  peer.ws.send(Buffer.from(noLength));
  const longer = request('MESSAGE', { port: 5060, transport: 'WS', uri: 'sip:bob@gw.test', body: 'abc', contentType: 'text/plain' });
  peer.ws.send(`${longer}EXTRA`);
  t.ok(await until(() => peer.received.length >= 2));
  t.same(seen.map((r) => r.body.toString()).sort(), ['abc', 'whole frame']);
});

void t.test('a double-CRLF keep-alive gets a CRLF back', async (t) => {
  const { url } = await endpoint(t);
  const peer = await RawWs.open(t, url);
  peer.ws.send('\r\n\r\n');
  t.ok(await until(() => peer.received.length > 0));
  t.same(peer.received, ['\r\n']);
});

void t.test('a message over the size limit closes the connection (1009)', async (t) => {
  const { url } = await endpoint(t, { maxMessageBytes: 2048 });
  const peer = await RawWs.open(t, url);
  peer.ws.send(request('MESSAGE', { port: 5060, transport: 'WS', uri: 'sip:bob@gw.test', body: 'x'.repeat(4096), contentType: 'text/plain' }));
  t.ok(await until(() => peer.closed));
  t.equal(peer.closeCode, 1009);
});

void t.test('a connection closed mid-transaction does not break the endpoint', async (t) => {
  let release!: () => void;
  const ep = new SipEndpoint({ listen: ['ws://127.0.0.1:0'], domains: ['gw.test'], log: silentLogger });
  let calls = 0;
  ep.onRequest('MESSAGE', async () => {
    if (++calls === 1) await new Promise<void>((r) => { release = r; });
    return { status: 202 };
  });
  await ep.start();
  t.teardown(() => ep.stop());
  const url = `ws://127.0.0.1:${ep.bound[0]!.port}`;
  const gone = await RawWs.open(t, url);
  gone.ws.send(request('MESSAGE', { port: 5060, transport: 'WS', uri: 'sip:bob@gw.test', body: 'x', contentType: 'text/plain' }));
  t.ok(await until(() => calls === 1));
  gone.ws.close();
  t.ok(await until(() => gone.closed));
  release();
  await new Promise((r) => setTimeout(r, 50));
  const next = await RawWs.open(t, url);
  next.ws.send(request('MESSAGE', { port: 5060, transport: 'WS', uri: 'sip:bob@gw.test', body: 'y', contentType: 'text/plain' }));
  t.ok(await until(() => next.received.length > 0));
  t.equal(status(next.received[0] as SipMessage), 202);
  const res = await ep.sendRequest({ method: 'MESSAGE', requestUri: 'sip:x@nobody.invalid;transport=ws', from: { uri: 'sip:bob@gw.test' }, to: { uri: 'sip:x@nobody.invalid' } });
  t.same([res.status, res.local], [503, true], 'a request to a WS client with no connection fails locally');
});

void t.test('SIP.js over wss:// (certificate checked against the CA) sends MESSAGE', async (t) => {
  const pki = makePki();
  t.teardown(() => { pki.remove(); });
  const { seen, port } = await endpoint(t, { listen: ['wss://127.0.0.1:0'], tls: { ...pki.gw, ca: pki.ca } });
  // Node's global WebSocket takes no CA option: SIP.js gets a `ws` client that trusts the test CA.
  const saved = globalThis.WebSocket;
  class TrustingWebSocket extends WsClient {
    constructor(url: string, protocols?: string | string[]) { super(url, protocols, { ca: pki.ca }); }
  }
  globalThis.WebSocket = TrustingWebSocket as unknown as typeof WebSocket;
  t.teardown(() => { globalThis.WebSocket = saved; });
  const { ua } = await sipjs(t, `wss://127.0.0.1:${port}`);
  const code = await new Promise<number>((resolve) => {
    void new Messager(ua, target('sip:bob@gw.test'), 'secure hello').message({
      requestDelegate: { onAccept: (r) => { resolve(r.message.statusCode ?? 0); }, onReject: (r) => { resolve(r.message.statusCode ?? 0); } },
    });
  });
  t.equal(code, 202);
  t.equal(seen[0]?.transport, 'wss');
  t.equal(seen[0]?.body.toString(), 'secure hello');
});
