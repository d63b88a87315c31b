// TLS (RFC 3261 §18, §26.2; RFC 5922): the stream transport over node:tls, server and client.
// As a client we verify the server's certificate against the DOMAIN we are sending to (the host of
// the SIP URI, not the address it resolved to) and send that domain as SNI; an IP-literal target
// is checked against the certificate's IP addresses. A connection is reused only for the name it
// was verified for. With a client certificate configured (the same cert/key), mutual TLS works in
// both directions; `requestClientCert` asks connecting clients for theirs.
import { isIP } from 'node:net';
import type { Server, Socket } from 'node:net';
import { checkServerIdentity, connect, createServer } from 'node:tls';
import type { PeerCertificate } from 'node:tls';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { StreamTransport } from './stream-transport.ts';
import type { StreamOptions } from './stream-transport.ts';
import type { Peer, TransportSink } from './transport.ts';

export interface TlsOptions {
  /** PEM certificate (chain) and key: the server certificate, and our client certificate. */
  cert: string | Buffer;
  key: string | Buffer;
  /** PEM CA certificates trusted for peers; default Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Ask connecting clients for a certificate (mutual TLS). */
  requestClientCert?: boolean;
  /** With requestClientCert: refuse clients without a valid certificate; default true. */
  rejectUnauthorized?: boolean;
}

export class TlsTransport extends StreamTransport {
  readonly name = 'tls';
  readonly #tls: TlsOptions;

  constructor(host: string, port: number, family: 4 | 6, sink: TransportSink, log: Logger, clock: Clock, opts: StreamOptions, tls: TlsOptions) {
    super(host, port, family, sink, log, clock, opts);
    this.#tls = tls;
  }

  protected override keyOf(peer: Peer): string {
    return peer.name === undefined ? `${peer.address}|${peer.port}` : `${peer.address}|${peer.port}|${peer.name.toLowerCase()}`;
  }

  protected createServer(accept: (socket: Socket) => void): Server {
    const requestCert = this.#tls.requestClientCert === true;
    const server = createServer({
      cert: this.#tls.cert, key: this.#tls.key, ...(this.#tls.ca !== undefined && { ca: this.#tls.ca }),
      requestCert, rejectUnauthorized: requestCert && this.#tls.rejectUnauthorized !== false,
    }, accept);
    server.on('tlsClientError', (err, socket) => {
      this.log.debug({ err, peer: { address: socket.remoteAddress, port: socket.remotePort } }, 'sip tls: handshake failed');
    });
    return server;
  }

  protected open(peer: Peer): Promise<Socket> {
    // "the client MUST use the domain name of the URI ... to verify the server's identity"
    // (RFC 5922 §4); SNI cannot carry an IP address (RFC 6066 §3).
    const name = peer.name ?? peer.address;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: peer.address, port: peer.port,
        ...(isIP(name) === 0 && { servername: name }),
        cert: this.#tls.cert, key: this.#tls.key, ...(this.#tls.ca !== undefined && { ca: this.#tls.ca }),
        rejectUnauthorized: true,
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
      });
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }
}
