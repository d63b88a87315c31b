// UDP (RFC 3261 §18.1.1, §18.2.1): one datagram is one message.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { lookup } from 'node:dns';
import type { LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from '../log.ts';
import { parseDatagram } from './parser.ts';
import { ParseError } from './parse-error.ts';
import { PeerCache } from './peer-cache.ts';
import { isForbiddenDestination, TransportError } from './transport.ts';
import type { Peer, Transport, TransportSink } from './transport.ts';

/**
 * The kernel's default receive buffer (~208 KiB) overflows within milliseconds of a burst at 5,000
 * datagrams/s while the event loop is busy, and each datagram dropped there costs the sender a
 * 500 ms retransmission (bench/RESULTS.md). The kernel caps this at net.core.rmem_max/wmem_max.
 */
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

interface Posted { bytes: Buffer; peer: Peer; failed: (err: Error, arg: unknown) => void; arg: unknown }

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves every destination, an IP literal too, through dns.lookup, which answers a literal
 * on the next tick: one more callback per response sent. Literals (every response destination and
 * every resolved target) are answered at once; names still go to dns.lookup.
 */
export function literalFirstLookup(host: string, options: number | LookupOneOptions, callback: LookupCallback): void {
  const family = isIP(host);
  if (family !== 0) callback(null, host, family);
  else lookup(host, typeof options === 'number' ? { family: options } : options, callback);
}

function failed(p: Posted, err: unknown): void {
  p.failed(new TransportError(`udp send to ${p.peer.address}:${p.peer.port} failed`, { cause: err }), p.arg);
}

export class UdpTransport implements Transport {
  readonly name = 'udp';
  readonly reliable = false;
  readonly family: 4 | 6;
  readonly #host: string;
  readonly #port: number;
  readonly #sink: TransportSink;
  readonly #log: Logger;
  readonly #socket: Socket;
  #local: Peer | undefined;
  /** one Peer per source, not one per datagram (peer-cache.ts) */
  readonly #peers = new PeerCache();

  constructor(host: string, port: number, family: 4 | 6, sink: TransportSink, log: Logger) {
    this.#host = host;
    this.#port = port;
    this.family = family;
    this.#sink = sink;
    this.#log = log;
    this.#socket = createSocket({
      type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6,
      recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES, lookup: literalFirstLookup,
    });
    this.#socket.on('message', (buf, rinfo) => { this.#receive(buf, this.#peers.peer(rinfo.address, rinfo.port)); });
    this.#socket.on('error', (err) => { this.#log.warn({ err }, 'sip udp socket error'); });
  }

  get local(): Peer {
    if (!this.#local) throw new TransportError('udp transport not listening');
    return this.#local;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind(this.#port, this.#host, () => {
        this.#socket.off('error', reject);
        const a = this.#socket.address();
        this.#local = { address: a.address, port: a.port };
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => { resolve(); });
      } catch {
        resolve();
      }
    });
  }

  send(bytes: Buffer, peer: Peer): Promise<void> {
    if (isForbiddenDestination(peer.address)) {
      return Promise.reject(new TransportError(`refusing to send to ${peer.address}`));
    }
    return new Promise((resolve, reject) => {
      this.#socket.send(bytes, peer.port, peer.address, (err) => {
        if (err) reject(new TransportError(`udp send to ${peer.address}:${peer.port} failed`, { cause: err }));
        else resolve();
      });
    });
  }

  /**
   * Datagrams posted in one turn of the event loop go out together, once the turn's callbacks and
   * promise reactions have run (process.nextTick): on loopback the first of a burst wakes the
   * receiver and the rest find it awake, where spaced sends each paid for a wake-up (14.4 vs 10-12
   * µs per send and reply measured on the bench VM).
   */
  post<A>(bytes: Buffer, peer: Peer, failed: (err: Error, arg: A) => void, arg: A): void {
    if (isForbiddenDestination(peer.address)) throw new TransportError(`refusing to send to ${peer.address}`);
    if (this.#posted.length === 0) process.nextTick(this.#flush);
    this.#posted.push({ bytes, peer, failed: failed as (err: Error, arg: unknown) => void, arg });
  }

  #posted: Posted[] = [];

  readonly #flush = (): void => {
    const posted = this.#posted;
    this.#posted = [];
    for (const p of posted) {
      try {
        this.#socket.send(p.bytes, p.peer.port, p.peer.address, (err) => { if (err) failed(p, err); });
      } catch (err) {
        failed(p, err);
      }
    }
  };

  #receive(buf: Buffer, peer: Peer): void {
    try {
      const r = parseDatagram(buf);
      if (r instanceof ParseError) this.#sink.parseError(r, peer, this, false);
      else this.#sink.message(r, peer, this);
    } catch (err) {
      this.#log.debug({ err, peer }, 'sip udp: message handling failed');
    }
  }
}
