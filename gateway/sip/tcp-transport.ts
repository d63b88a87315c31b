// TCP (RFC 3261 §18): listener and client connections, one StreamFramer per connection. A
// connection opened by either side is reused for anything sent to that peer; responses go back on
// the connection the request came in on (§18.2.2).
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../log.ts';
import { ParseError } from './parse-error.ts';
import { StreamFramer } from './stream-framer.ts';
import { TransportError } from './transport.ts';
import type { Peer, Transport, TransportSink } from './transport.ts';

export interface TcpOptions {
  maxMessageBytes: number;
  /** How long a connection may hold an incomplete message before it is answered 400 and closed. */
  incompleteMessageMs: number;
}

interface Connection { socket: Socket; framer: StreamFramer; timer: TimerHandle | undefined }

const keyOf = (p: Peer): string => `${p.address}|${p.port}`;

export class TcpTransport implements Transport {
  readonly name = 'tcp';
  readonly reliable = true;
  readonly family: 4 | 6;
  readonly #host: string;
  readonly #port: number;
  readonly #sink: TransportSink;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #opts: TcpOptions;
  readonly #server: Server;
  readonly #conns = new Map<string, Connection>();
  readonly #connecting = new Map<string, Promise<Connection>>();
  #local: Peer | undefined;

  constructor(host: string, port: number, family: 4 | 6, sink: TransportSink, log: Logger, clock: Clock, opts: TcpOptions) {
    this.#host = host;
    this.#port = port;
    this.family = family;
    this.#sink = sink;
    this.#log = log;
    this.#clock = clock;
    this.#opts = opts;
    this.#server = createServer((socket) => {
      this.#adopt(socket, { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
    });
    this.#server.on('error', (err) => { this.#log.warn({ err }, 'sip tcp server error'); });
  }

  get local(): Peer {
    if (!this.#local) throw new TransportError('tcp transport not listening');
    return this.#local;
  }

  /** Open connections (for tests and metrics). */
  get connections(): number { return this.#conns.size; }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port: this.#port, host: this.#host, ipv6Only: this.family === 6 }, () => {
        this.#server.off('error', reject);
        const a = this.#server.address();
        if (a && typeof a === 'object') this.#local = { address: a.address, port: a.port };
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.#conns.values()) c.socket.destroy();
    this.#conns.clear();
    return new Promise((resolve) => { this.#server.close(() => { resolve(); }); });
  }

  send(bytes: Buffer, peer: Peer): Promise<void> {
    const open = this.#conns.get(keyOf(peer));
    if (open) return this.#write(open, bytes);
    return this.#connect(peer).then((c) => this.#write(c, bytes));
  }

  #write(c: Connection, bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      c.socket.write(bytes, (err) => {
        if (err) reject(new TransportError('tcp write failed', { cause: err }));
        else resolve();
      });
    });
  }

  #connect(peer: Peer): Promise<Connection> {
    const key = keyOf(peer);
    let p = this.#connecting.get(key);
    if (!p) {
      p = new Promise<Connection>((resolve, reject) => {
        const socket = createConnection({ host: peer.address, port: peer.port });
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(this.#adopt(socket, peer));
        });
        socket.once('error', (err) => { reject(new TransportError(`tcp connect to ${key} failed`, { cause: err })); });
      }).finally(() => { this.#connecting.delete(key); });
      this.#connecting.set(key, p);
    }
    return p;
  }

  #adopt(socket: Socket, peer: Peer): Connection {
    const key = keyOf(peer);
    const c: Connection = { socket, framer: new StreamFramer(this.#opts.maxMessageBytes), timer: undefined };
    this.#conns.set(key, c);
    socket.on('data', (chunk) => { this.#receive(c, peer, chunk); });
    socket.on('error', (err) => { this.#log.debug({ err, peer }, 'sip tcp connection error'); });
    socket.on('close', () => {
      c.timer?.cancel();
      if (this.#conns.get(key) === c) this.#conns.delete(key);
    });
    return c;
  }

  #receive(c: Connection, peer: Peer, chunk: Buffer): void {
    try {
      const results = c.framer.push(chunk);
      for (let i = 0; i < results.length; i++) {
        const r = results[i] as (typeof results)[number];
        if (r instanceof ParseError) this.#sink.parseError(r, peer, this, c.framer.failed && i === results.length - 1);
        else this.#sink.message(r, peer, this);
      }
    } catch (err) {
      this.#log.debug({ err, peer }, 'sip tcp: message handling failed');
    }
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
      this.#log.debug({ err, peer }, 'sip tcp: timeout handling failed');
    }
    this.#drop(c);
  }

  #drop(c: Connection): void {
    c.timer?.cancel();
    for (const [k, v] of this.#conns) if (v === c) this.#conns.delete(k);
    c.socket.end();
    c.socket.destroySoon();
  }
}
