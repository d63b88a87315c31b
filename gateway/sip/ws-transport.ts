// SIP over WebSocket (RFC 7118), server side, for browser-based clients: ws:// over HTTP and wss://
// over HTTPS. The one importer of `ws`.
//   - The handshake MUST offer the "sip" subprotocol; anything else is refused with HTTP 400.
//   - "Each SIP message MUST be carried within a single WebSocket message" (§5.1): a message is
//     parsed like a datagram (Content-Length honoured when present), text or binary frames.
//   - Responses go back on the connection the request came in on (reliable transport, §18.2.2).
//   - We never open WebSocket connections: a request to a WS client goes over a connection it
//     opened, found by its address and port, or by an alias: the host of the Via sent-by and of
//     the Contact of the requests it sent (flow-aliases.ts). The latest connection to use an alias
//     wins. No connection → the send fails (503 for the request).
//   - A message of only CRLFs ("\r\n\r\n", the SIP.js keep-alive) is answered with "\r\n".
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../log.ts';
import { flowAliases } from './flow-aliases.ts';
import { parseDatagram } from './parser.ts';
import { ParseError } from './parse-error.ts';
import type { TlsOptions } from './tls-transport.ts';
import { TransportError } from './transport.ts';
import type { Peer, Transport, TransportSink } from './transport.ts';

export interface WsOptions {
  maxMessageBytes: number;
  /** wss: the server certificate (and, with requestClientCert, client verification). */
  tls?: TlsOptions;
}

interface Connection { ws: WebSocket; peer: Peer; aliases: Set<string> }

const keyOf = (p: Peer): string => `${p.address}|${p.port}`;
const PONG = Buffer.from('\r\n');

export class WsTransport implements Transport {
  readonly name: 'ws' | 'wss';
  readonly reliable = true;
  readonly family: 4 | 6;
  readonly #host: string;
  readonly #port: number;
  readonly #sink: TransportSink;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #conns = new Map<string, Connection>();
  readonly #aliases = new Map<string, Connection>();
  #local: Peer | undefined;

  constructor(name: 'ws' | 'wss', host: string, port: number, family: 4 | 6, sink: TransportSink, log: Logger, opts: WsOptions) {
    this.name = name;
    this.#host = host;
    this.#port = port;
    this.family = family;
    this.#sink = sink;
    this.#log = log;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, perMessageDeflate: false, handleProtocols: () => 'sip' });
    if (name === 'wss') {
      const tls = opts.tls;
      if (!tls) throw new TypeError('a wss listener needs tls { cert, key }');
      const requestCert = tls.requestClientCert === true;
      this.#http = createHttpsServer({
        cert: tls.cert, key: tls.key, ...(tls.ca !== undefined && { ca: tls.ca }),
        requestCert, rejectUnauthorized: requestCert && tls.rejectUnauthorized !== false,
      });
    } else {
      this.#http = createHttpServer();
    }
    this.#http.on('request', (_req, res) => {
      res.writeHead(426, { Upgrade: 'websocket', 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('SIP over WebSocket (RFC 7118): connect with the "sip" subprotocol\n');
    });
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => { this.#upgrade(req, socket, head); });
    this.#http.on('clientError', (err, socket) => {
      this.#log.debug({ err }, `sip ${this.name}: bad HTTP from a client`);
      socket.destroy();
    });
    this.#http.on('error', (err) => { this.#log.warn({ err }, `sip ${this.name} server error`); });
  }

  get local(): Peer {
    if (!this.#local) throw new TransportError(`${this.name} transport not listening`);
    return this.#local;
  }

  /** Open connections (for tests and metrics). */
  get connections(): number { return this.#conns.size; }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen({ port: this.#port, host: this.#host, ipv6Only: this.family === 6 }, () => {
        this.#http.off('error', reject);
        const a = this.#http.address();
        if (a && typeof a === 'object') this.#local = { address: a.address, port: a.port };
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.#conns.values()) c.ws.terminate();
    this.#conns.clear();
    this.#aliases.clear();
    this.#wss.close();
    this.#http.closeAllConnections();
    return new Promise((resolve) => { this.#http.close(() => { resolve(); }); });
  }

  send(bytes: Buffer, peer: Peer): Promise<void> {
    const c = this.#conns.get(keyOf(peer)) ?? this.#aliases.get((peer.name ?? peer.address).toLowerCase());
    if (!c) return Promise.reject(new TransportError(`no ${this.name} connection to ${peer.name ?? keyOf(peer)}`));
    return new Promise((resolve, reject) => {
      // Text frames must be UTF-8 (RFC 6455 §5.6); a body that is not goes in a binary frame.
      c.ws.send(bytes, { binary: !isUtf8(bytes) }, (err) => {
        if (err) reject(new TransportError(`${this.name} send failed`, { cause: err }));
        else resolve();
      });
    });
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim().toLowerCase());
    // "The WebSocket client MUST include the value "sip" in the Sec-WebSocket-Protocol header"
    // (RFC 7118 §4.1); a handshake without it is not SIP.
    if (!offered.includes('sip')) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 35\r\n\r\nWebSocket subprotocol "sip" needed\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#adopt(ws, { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 });
    });
  }

  #adopt(ws: WebSocket, peer: Peer): void {
    const c: Connection = { ws, peer, aliases: new Set() };
    this.#conns.set(keyOf(peer), c);
    ws.on('message', (data: RawData) => { this.#receive(c, toBuffer(data)); });
    ws.on('error', (err) => { this.#log.debug({ err, peer }, `sip ${this.name} connection error`); });
    ws.on('close', () => {
      if (this.#conns.get(keyOf(peer)) === c) this.#conns.delete(keyOf(peer));
      for (const a of c.aliases) if (this.#aliases.get(a) === c) this.#aliases.delete(a);
    });
  }

  #receive(c: Connection, buf: Buffer): void {
    if (buf.length >= 4 && buf.every((b, i) => b === (i % 2 === 0 ? 0x0d : 0x0a))) {
      c.ws.send(PONG, { binary: false });
      return;
    }
    try {
      const r = parseDatagram(buf);
      if (r instanceof ParseError) {
        this.#sink.parseError(r, c.peer, this, false);
        return;
      }
      if (r.kind === 'request') {
        for (const a of flowAliases(r)) {
          c.aliases.add(a);
          this.#aliases.set(a, c);
        }
      }
      this.#sink.message(r, c.peer, this);
    } catch (err) {
      this.#log.debug({ err, peer: c.peer }, `sip ${this.name}: message handling failed`);
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
