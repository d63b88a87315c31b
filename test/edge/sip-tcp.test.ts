// Connection management on SIP over TCP (RFC 3261 §18, RFC 5626 §4.4.1) on 127.0.0.1: keep-alive
// pongs, idle timeout, connection reuse for requests we send.
import t from 'tap';
import type { Test } from 'tap';
import { createServer } from 'node:net';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { SipEndpointOptions } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import { buildResponse } from '../../gateway/sip/response-builder.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { request, status, TcpPeer } from './sip/client.ts';

async function endpoint(t: Test, extra: Partial<SipEndpointOptions> = {}) {
  const ep = new SipEndpoint({ listen: ['tcp://127.0.0.1:0'], domains: ['example.com'], log: silentLogger, ...extra });
  ep.onRequest('MESSAGE', () => ({ status: 202 }));
  await ep.start();
  t.teardown(() => ep.stop());
  return { ep, port: ep.bound[0]!.port };
}

async function peer(t: Test, port: number) {
  const p = await TcpPeer.open(port);
  t.teardown(() => { p.close(); });
  const raw: Buffer[] = [];
  p.socket.on('data', (chunk: Buffer) => { raw.push(chunk); });
  return { p, raw: () => Buffer.concat(raw).toString('latin1') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msg = () => request('MESSAGE', { port: 5060, transport: 'TCP', body: 'x', contentType: 'text/plain' });

void t.test('a double CRLF ping is answered with a single CRLF pong (RFC 5626 §4.4.1)', async (t) => {
  const { port } = await endpoint(t);
  const { p, raw } = await peer(t, port);
  p.send('\r\n\r\n');
  await sleep(100);
  t.equal(raw(), '\r\n');
  p.send('\r\n');
  await sleep(20);
  p.send('\r\n');
  await sleep(100);
  t.equal(raw(), '\r\n\r\n', 'a ping split across segments is still one ping');
});

void t.test('single CRLFs between messages are skipped without a pong; messages are answered', async (t) => {
  const { port } = await endpoint(t);
  const { p, raw } = await peer(t, port);
  p.send(`\r\n${msg()}\r\n${msg()}`);
  const got = await p.waitFor(2);
  t.same(got.map(status), [202, 202]);
  t.notOk(raw().startsWith('\r\n'), 'no pong for a single CRLF');
  t.equal(p.closed, false);
});

void t.test('a connection idle longer than idleTimeoutMs is closed; traffic (pings too) keeps it open', async (t) => {
  const { port } = await endpoint(t, { idleTimeoutMs: 300 });
  const quiet = await peer(t, port);
  const busy = await peer(t, port);
  for (let i = 0; i < 6; i++) {
    busy.p.send('\r\n\r\n');
    await sleep(100);
  }
  t.ok(quiet.p.closed, 'the quiet connection was closed');
  t.equal(busy.p.closed, false, 'the busy one is still open after 600 ms');
  t.ok(await busy.p.waitClose(2000), 'and closes once it goes quiet');
});

void t.test('requests we send reuse one TCP connection (§18.1.1)', async (t) => {
  const { ep } = await endpoint(t);
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    const p = TcpPeer.over(socket);
    t.teardown(() => { p.close(); });
    void (async () => {
      for (let answered = 0; answered < 2; answered++) {
        await p.waitFor(answered + 1, 3000);
        const req = p.received[answered];
        if (!req) return;
        p.send(serialize(buildResponse(req.headers, 200, 'OK', { toTag: 'r' })));
      }
    })();
  });
  await new Promise<void>((r) => { server.listen(0, '127.0.0.1', r); });
  t.teardown(() => new Promise<void>((r) => { server.close(() => { r(); }); }));
  const a = server.address();
  const uri = `sip:bob@127.0.0.1:${typeof a === 'object' && a ? a.port : 0};transport=tcp`;
  const spec = { method: 'MESSAGE', requestUri: uri, from: { uri: 'sip:alice@example.com' }, to: { uri } };
  t.equal((await ep.sendRequest(spec)).status, 200);
  t.equal((await ep.sendRequest(spec)).status, 200);
  t.equal(connections, 1);
});
