// SIP over TLS (RFC 3261 §26.2, RFC 5922) on 127.0.0.1 with a throwaway CA made by openssl: the
// endpoint as a TLS server (plain and mutual TLS) and as a TLS client (verification against the
// target's domain, SNI, connection reuse), Parley to Parley, and SIPp when it has TLS.
import t from 'tap';
import type { Test } from 'tap';
import { execFile } from 'node:child_process';
import { connect, createServer } from 'node:tls';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingRequest, SipEndpointOptions } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import { buildResponse } from '../../gateway/sip/response-builder.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { asResponse, request, status, TcpPeer } from './sip/client.ts';
import { makePki } from './sip/certs.ts';
import type { Pem } from './sip/certs.ts';

const pki = makePki();
t.teardown(() => { pki.remove(); });

async function endpoint(t: Test, extra: Partial<SipEndpointOptions> = {}) {
  const ep = new SipEndpoint({
    listen: ['tls://127.0.0.1:0'], domains: ['gw.test'], log: silentLogger,
    tls: { ...pki.gw, ca: pki.ca }, ...extra,
  });
  const seen: IncomingRequest[] = [];
  ep.onRequest('MESSAGE', (req) => { seen.push(req); return { status: 202 }; });
  await ep.start();
  t.teardown(() => ep.stop());
  return { ep, seen, port: ep.bound.find((b) => b.transport === 'tls')!.port };
}

/** A TLS client peer; resolves once the handshake is done (or rejects with its error). */
function tlsPeer(t: Test, port: number, opts: ConnectionOptions = {}): Promise<TcpPeer> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'gw.test', ca: pki.ca, ...opts }, () => {
      const p = TcpPeer.over(s);
      t.teardown(() => { p.close(); });
      resolve(p);
    });
    s.once('error', reject);
  });
}

/** A TLS server standing in for a remote SIP peer: records SNI and requests, answers 200. */
async function remotePeer(t: Test, cert: Pem, opts: { requestCert?: boolean } = {}) {
  const sni: Array<string | false> = [];
  const clientCerts: string[] = [];
  const requests: string[] = [];
  let connections = 0;
  const server = createServer({ ...cert, ca: pki.ca, requestCert: opts.requestCert === true, rejectUnauthorized: opts.requestCert === true }, (socket: TLSSocket) => {
    connections++;
    sni.push(socket.servername ?? false);
    const peerCert = socket.getPeerCertificate();
    if (peerCert.subject !== undefined) clientCerts.push(String(peerCert.subject.CN));
    const peer = TcpPeer.over(socket);
    t.teardown(() => { peer.close(); });
    let answered = 0;
    const answer = async (): Promise<void> => {
      for (;;) {
        await peer.waitFor(answered + 1, 5000);
        if (peer.closed || peer.received.length <= answered) return;
        const req = peer.received[answered++]!;
        requests.push(req.kind === 'request' ? req.method : 'response');
        peer.send(serialize(buildResponse(req.headers, 200, 'OK', { toTag: 'remote' })));
      }
    };
    void answer();
  });
  server.on('tlsClientError', () => { /* counted by the absence of requests */ });
  await new Promise<void>((r) => { server.listen(0, '127.0.0.1', r); });
  t.teardown(() => new Promise<void>((r) => { server.close(() => { r(); }); }));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return { port, sni, clientCerts, requests, connections: () => connections };
}

const message = (requestUri: string) => ({
  method: 'MESSAGE', requestUri, from: { uri: 'sip:alice@gw.test' }, to: { uri: 'sip:bob@peer.test' },
  headers: [['Content-Type', 'text/plain;charset=UTF-8']] as Array<[string, string]>, body: Buffer.from('hi'),
});

void t.test('MESSAGE over TLS reaches the handler and is answered on the same connection', async (t) => {
  const { seen, port } = await endpoint(t);
  const peer = await tlsPeer(t, port);
  peer.send(request('MESSAGE', { port: 5061, transport: 'TLS', uri: 'sip:bob@gw.test', body: 'sécurisé', contentType: 'text/plain;charset=UTF-8' }));
  const [res] = await peer.waitFor(1);
  t.equal(status(res), 202);
  t.match(asResponse(res).headers.first('via'), /^SIP\/2\.0\/TLS .*;rport=\d+;received=127\.0\.0\.1/, 'received/rport stamped on the TLS Via');
  t.equal(seen[0]?.transport, 'tls');
  t.equal(seen[0]?.body.toString(), 'sécurisé');
  t.equal(peer.closed, false, 'connection kept open');
});

void t.test('a client verifying the gateway under another name refuses it (RFC 5922 §4)', async (t) => {
  const { port } = await endpoint(t);
  await t.rejects(tlsPeer(t, port, { servername: 'other.test' }), /altnames|does not match/i);
});

void t.test('mutual TLS required: a client without a certificate is refused, one with a CA-signed certificate is served', async (t) => {
  const { seen, port } = await endpoint(t, { tls: { ...pki.gw, ca: pki.ca, requestClientCert: true } });
  let refused = false;
  try {
    const bare = await tlsPeer(t, port);
    // TLS 1.3: the client's handshake completes before the server checks its (missing) certificate.
    bare.send(request('MESSAGE', { port: 5061, transport: 'TLS', uri: 'sip:bob@gw.test', body: 'x', contentType: 'text/plain' }));
    refused = (await bare.waitFor(1, 2000)).length === 0 && await bare.waitClose(2000);
  } catch {
    refused = true;
  }
  t.ok(refused, 'client without a certificate refused');
  let rogueRefused = false;
  try {
    const rogue = await tlsPeer(t, port, pki.rogue);
    rogue.send(request('MESSAGE', { port: 5061, transport: 'TLS', uri: 'sip:bob@gw.test', body: 'x', contentType: 'text/plain' }));
    rogueRefused = (await rogue.waitFor(1, 2000)).length === 0 && await rogue.waitClose(2000);
  } catch {
    rogueRefused = true;
  }
  t.ok(rogueRefused, 'client with a certificate from an unknown CA refused');
  t.equal(seen.length, 0);
  const good = await tlsPeer(t, port, pki.client);
  good.send(request('MESSAGE', { port: 5061, transport: 'TLS', uri: 'sip:bob@gw.test', body: 'y', contentType: 'text/plain' }));
  t.equal(status((await good.waitFor(1))[0]), 202);
  t.same(seen.map((r) => r.body.toString()), ['y']);
});

void t.test('as a client: SNI and verification use the target domain, not the address; the connection is reused', async (t) => {
  const remote = await remotePeer(t, pki.gw);
  const { ep } = await endpoint(t);
  const uri = `sips:bob@peer.test:${remote.port};maddr=127.0.0.1`;
  const first = await ep.sendRequest(message(uri));
  t.equal(first.status, 200);
  t.notOk(first.local);
  const second = await ep.sendRequest(message(uri));
  t.equal(second.status, 200);
  t.same(remote.sni, ['peer.test'], 'SNI is the domain of the URI');
  t.equal(remote.connections(), 1, 'one connection for both requests (§18.1)');
  t.same(remote.requests, ['MESSAGE', 'MESSAGE']);
});

void t.test('as a client: an IP-literal target is verified against the certificate IP address, without SNI', async (t) => {
  const remote = await remotePeer(t, pki.gw);
  const { ep } = await endpoint(t);
  const res = await ep.sendRequest(message(`sip:bob@127.0.0.1:${remote.port};transport=tls`));
  t.equal(res.status, 200);
  t.same(remote.sni, [false], 'no SNI for an IP address (RFC 6066 §3)');
});

void t.test('as a client: a server whose certificate names another domain, or that no trusted CA signed, is refused', async (t) => {
  const { ep } = await endpoint(t);
  const wrongName = await remotePeer(t, pki.other);
  const a = await ep.sendRequest(message(`sips:bob@peer.test:${wrongName.port};maddr=127.0.0.1`));
  t.equal(a.status, 503);
  t.equal(a.local, true);
  t.same(wrongName.requests, [], 'nothing sent to the wrong server');
  const rogue = await remotePeer(t, pki.rogue);
  const b = await ep.sendRequest(message(`sips:bob@gw.test:${rogue.port};maddr=127.0.0.1`));
  t.equal(b.status, 503);
  t.same(rogue.requests, []);
});

void t.test('as a client: our certificate is presented to a server that asks for one (mutual TLS)', async (t) => {
  const remote = await remotePeer(t, pki.gw, { requestCert: true });
  const { ep } = await endpoint(t);
  const res = await ep.sendRequest(message(`sips:bob@peer.test:${remote.port};maddr=127.0.0.1`));
  t.equal(res.status, 200);
  t.same(remote.clientCerts, ['gw']);
});

void t.test('Parley to Parley over mutual TLS: MESSAGE delivered and answered', async (t) => {
  const b = await endpoint(t, { domains: ['peer.test'], tls: { ...pki.gw, ca: pki.ca, requestClientCert: true } });
  const a = await endpoint(t, { tls: { ...pki.client, ca: pki.ca } });
  const res = await a.ep.sendRequest(message(`sips:bob@peer.test:${b.port};maddr=127.0.0.1`));
  t.equal(res.status, 202);
  t.equal(b.seen[0]?.transport, 'tls');
  t.equal(b.seen[0]?.body.toString(), 'hi');
});

// This SIPp build may lack TLS; the probe's answer is the visible skip reason.
const sippProbe = await new Promise<string>((resolve) => {
  execFile('sipp', ['-t', 'l1', '-sn', 'uac', '-m', '1', '-timeout', '1', '127.0.0.1:9'], { timeout: 5000 }, (_err, stdout, stderr) => { resolve(`${stdout}${stderr}`); });
});
const sippNoTls = /compile SIPp with OpenSSL/i.test(sippProbe);

void t.test('SIPp over TLS (sipp -t l1)', {
  skip: sippNoTls ? 'this SIPp build has no TLS: "To use a TLS transport you must compile SIPp with OpenSSL"' : false,
  todo: sippNoTls ? false : 'SIPp has TLS here: a MESSAGE scenario over -t l1 is still to be written',
}, (t) => {
  t.end();
});
