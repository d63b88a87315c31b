// Connection-oriented SIP transports (RFC 3261 §18), shared by TCP and TLS: a listener and client
// connections, one StreamFramer per connection. A connection opened by either side is reused for
// anything sent to that peer; responses go back on the connection the request came in on
// (§18.2.2). Connections idle longer than idleTimeoutMs are closed; RFC 5626 keep-alive pings
// (double CRLF between messages) are answered with a single CRLF.
import type { Server, Socket } from 'node:net';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../log.ts';
import { ParseError } from './parse-error.ts';
import { StreamFramer } from './stream-framer.ts';
import { TransportError } from './transport.ts';
import type { Peer, Transport, TransportSink } from './transport.ts';

export interface StreamOptions {
  maxMessageBytes: number;
  /** How long a connection may hold an incomplete message before it is answered 400 and closed. */
  incompleteMessageMs: number;
  /** A connection with no traffic either way for this long is closed; default 5 minutes. */
  idleTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
const PONG = Buffer.from('\r\n');

interface Connection {
  socket: Socket;
  framer: StreamFramer;
  /** The incomplete-message timer. */
  timer: TimerHandle | undefined;
  idle: TimerHandle | undefined;
  lastActivity: number;
}

export abstract class StreamTransport implements Transport {
  abstract readonly name: 'tcp' | 'tls';
  readonly reliable = true;
  readonly family: 4 | 6;
  readonly #host: string;
  readonly #port: number;
  readonly #sink: TransportSink;
  protected readonly log: Logger;
  readonly #clock: Clock;
  readonly #opts: StreamOptions;
  readonly #idleMs: number;
  #server: Server | undefined;
  readonly #conns = new Map<string, Connection>();
  readonly #connecting = new Map<string, Promise<Connection>>();
  #local: Peer | undefined;

  constructor(host: string, port: number, family: 4 | 6, sink: TransportSink, log: Logger, clock: Clock, opts: StreamOptions) {
    this.#host = host;
    this.#port = port;
    this.family = family;
    this.#sink = sink;
    this.log = log;
    this.#clock = clock;
    this.#opts = opts;
    this.#idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  }

  /** The listening server; `accept` is called with each connection once it is ready for SIP. */
  protected abstract createServer(accept: (socket: Socket) => void): Server;
  /** Opens a client connection; resolves once it is ready for SIP (connected, handshake done). */
  protected abstract open(peer: Peer): Promise<Socket>;

  /** Connection map key; TLS adds the verified name. */
  protected keyOf(peer: Peer): string {
    return `${peer.address}|${peer.port}`;
  }

  get local(): Peer {
    if (!this.#local) throw new TransportError(`${this.name} transport not listening`);
    return this.#local;
  }

  /** Open connections (for tests and metrics). */
  get connections(): number { return new Set(this.#conns.values()).size; }

  listen(): Promise<void> {
    const server = this.createServer((socket) => {
      this.#adopt(socket, { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
    });
    server.on('error', (err) => { this.log.warn({ err }, `sip ${this.name} server error`); });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.#port, host: this.#host, ipv6Only: this.family === 6 }, () => {
        server.off('error', reject);
        const a = server.address();
        if (a && typeof a === 'object') this.#local = { address: a.address, port: a.port };
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const c of new Set(this.#conns.values())) {
      this.#forget(c);
      c.socket.destroy();
    }
    const server = this.#server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => { server.close(() => { resolve(); }); });
  }

  send(bytes: Buffer, peer: Peer): Promise<void> {
    const open = this.#conns.get(this.keyOf(peer));
    if (open) return this.#write(open, bytes);
    return this.#connect(peer).then((c) => this.#write(c, bytes));
  }

  #write(c: Connection, bytes: Buffer): Promise<void> {
    c.lastActivity = this.#clock.now();
    return new Promise((resolve, reject) => {
      c.socket.write(bytes, (err) => {
        if (err) reject(new TransportError(`${this.name} write failed`, { cause: err }));
        else resolve();
      });
    });
  }

  #connect(peer: Peer): Promise<Connection> {
    const key = this.keyOf(peer);
    let p = this.#connecting.get(key);
    if (!p) {
      p = this.open(peer).then(
        (socket) => this.#adopt(socket, { address: peer.address, port: peer.port }, key),
        (err: unknown) => { throw new TransportError(`${this.name} connect to ${key} failed`, { cause: err }); },
      ).finally(() => { this.#connecting.delete(key); });
      this.#connecting.set(key, p);
    }
    return p;
  }

  #adopt(socket: Socket, peer: Peer, key = this.keyOf(peer)): Connection {
    const c: Connection = {
      socket, framer: new StreamFramer(this.#opts.maxMessageBytes), timer: undefined, idle: undefined, lastActivity: this.#clock.now(),
    };
    this.#conns.set(key, c);
    // A client connection verified for a name also carries responses to requests from that peer.
    const plain = `${peer.address}|${peer.port}`;
    if (key !== plain && !this.#conns.has(plain)) this.#conns.set(plain, c);
    this.#armIdle(c, this.#idleMs, peer);
    // One SIP message is one write: Nagle would hold a response back for the peer's delayed ACK.
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => { this.#receive(c, peer, chunk); });
    socket.on('error', (err) => { this.log.debug({ err, peer }, `sip ${this.name} connection error`); });
    socket.on('close', () => { this.#forget(c); });
    return c;
  }

  #armIdle(c: Connection, ms: number, peer: Peer): void {
    c.idle = this.#clock.setTimer(ms, () => {
      const quiet = this.#clock.now() - c.lastActivity;
      if (quiet < this.#idleMs) {
        this.#armIdle(c, this.#idleMs - quiet, peer);
        return;
      }
      this.log.debug({ peer, idleMs: this.#idleMs }, `sip ${this.name}: idle connection closed`);
      c.idle = undefined;
      this.#drop(c);
    });
  }

  #receive(c: Connection, peer: Peer, chunk: Buffer): void {
    c.lastActivity = this.#clock.now();
    try {
      const results = c.framer.push(chunk);
      for (let i = 0; i < results.length; i++) {
        const r = results[i] as (typeof results)[number];
        if (r instanceof ParseError) this.#sink.parseError(r, peer, this, c.framer.failed && i === results.length - 1);
        else this.#sink.message(r, peer, this);
      }
    } catch (err) {
      this.log.debug({ err, peer }, `sip ${this.name}: message handling failed`);
    }
    const pings = c.framer.takePings();
    for (let i = 0; i < pings && !c.framer.failed; i++) c.socket.write(PONG);
    if (c.framer.failed) {
      this.#drop(c);
      return;
    }
    if (c.framer.pending === 0) {
      c.timer?.cancel();
      c.timer = undefined;
    } else {
      c.timer ??= this.#clock.setTimer(this.#opts.incompleteMessageMs, () => { this.#incomplete(c, peer); });
    }
  }

  /** A message that never completes: answer 400 if its headers are known, then close. */
  #incomplete(c: Connection, peer: Peer): void {
    c.timer = undefined;
    const headers = c.framer.pendingHeaders;
    try {
      if (headers) this.#sink.parseError(new ParseError('body-truncated', 'message body incomplete', false, headers), peer, this, true);
    } catch (err) {
      this.log.debug({ err, peer }, `sip ${this.name}: timeout handling failed`);
    }
    this.#drop(c);
  }

  #forget(c: Connection): void {
    c.timer?.cancel();
    c.timer = undefined;
    c.idle?.cancel();
    c.idle = undefined;
    for (const [k, v] of this.#conns) if (v === c) this.#conns.delete(k);
  }

  #drop(c: Connection): void {
    this.#forget(c);
    c.socket.end();
    c.socket.destroySoon();
  }
}
