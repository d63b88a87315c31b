// `parley start` with tls:// and wss:// SIP listeners from the config file (sip.tls { cert, key,
// ca, clientAuth }): the PEM files are read at start and both listeners answer SIP.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { WebSocket as WsClient } from 'ws';
import { startParley } from '../harness/parley.ts';
import { freeTcpPort, freeTcpPorts } from '../harness/ports.ts';
import { makePki } from '../edge/sip/certs.ts';
import { request, status, TcpPeer } from '../edge/sip/client.ts';
import { parseDatagram } from '../../gateway/sip/parser.ts';
import { ParseError } from '../../gateway/sip/parse-error.ts';

const pki = makePki();
t.teardown(() => { pki.remove(); });
for (const [name, text] of [['gw.pem', pki.gw.cert], ['gw.key', pki.gw.key], ['ca.pem', pki.ca]] as const) writeFileSync(join(pki.dir, name), text);

const [tlsPort, wssPort] = await freeTcpPorts(2) as [number, number];
const parley = await startParley({
  node: { id: 'e2e-tls', roles: ['sip', 'core'] },
  bus: 'memory',
  sip: {
    listen: [`tls://127.0.0.1:${tlsPort}`, `wss://127.0.0.1:${wssPort}`],
    tls: { cert: join(pki.dir, 'gw.pem'), key: join(pki.dir, 'gw.key'), ca: join(pki.dir, 'ca.pem'), clientAuth: true },
    domains: ['gw.test'],
  },
  xmpp: { components: [{ domain: 'gw.test', host: '127.0.0.1', port: 5347, secret: 's', addressing: 'direct' }] },
}, { httpPort: await freeTcpPort() });
t.teardown(() => parley.stop());

void t.test('the tls:// listener answers OPTIONS to a client with a CA-signed certificate', async (t) => {
  const socket = await new Promise<ReturnType<typeof connect>>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: tlsPort, servername: 'gw.test', ca: pki.ca, ...pki.client }, () => { resolve(s); });
    s.once('error', reject);
  });
  const peer = TcpPeer.over(socket);
  t.teardown(() => { peer.close(); });
  peer.send(request('OPTIONS', { port: 5061, transport: 'TLS', uri: 'sip:gw.test' }));
  t.equal(status((await peer.waitFor(1, 5000))[0]), 200);
});

void t.test('the wss:// listener answers OPTIONS over the sip subprotocol', async (t) => {
  const ws = new WsClient(`wss://127.0.0.1:${wssPort}`, 'sip', { ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
  t.teardown(() => { ws.terminate(); });
  const reply = await new Promise<Buffer>((resolve, reject) => {
    ws.once('open', () => { ws.send(request('OPTIONS', { port: 443, transport: 'WSS', uri: 'sip:gw.test' })); });
    ws.once('message', (data: Buffer) => { resolve(data); });
    ws.once('error', reject);
  });
  const m = parseDatagram(reply);
  t.equal(m instanceof ParseError ? 0 : status(m), 200);
});

void t.test('clientAuth: a wss client without a certificate is refused', async (t) => {
  const ws = new WsClient(`wss://127.0.0.1:${wssPort}`, 'sip', { ca: pki.ca });
  t.teardown(() => { ws.terminate(); });
  const outcome = await new Promise<string>((resolve) => {
    ws.once('open', () => { resolve('open'); });
    ws.once('error', () => { resolve('refused'); });
    ws.once('close', () => { resolve('refused'); });
  });
  t.equal(outcome, 'refused');
});
