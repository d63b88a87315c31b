// Test peers for the SIP edge tests: a raw UDP socket and a raw TCP connection that send bytes and
// collect whatever comes back, parsed.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { connect } from 'node:net';
import type { Socket as TcpSocket } from 'node:net';
import { parseDatagram } from '../../../gateway/sip/parser.ts';
import { ParseError } from '../../../gateway/sip/parse-error.ts';
import { StreamFramer } from '../../../gateway/sip/stream-framer.ts';
import type { SipMessage, SipResponse } from '../../../gateway/sip/message.ts';

export class UdpPeer {
  readonly socket: Socket;
  readonly received: SipMessage[] = [];
  #waiters: Array<() => void> = [];

  constructor() {
    this.socket = createSocket('udp4');
    this.socket.on('message', (buf) => {
      const m = parseDatagram(buf);
      if (!(m instanceof ParseError)) this.received.push(m);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((r) => { this.socket.bind(0, '127.0.0.1', r); });
    return this.socket.address().port;
  }

  get port(): number { return this.socket.address().port; }

  send(bytes: Buffer | string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, port, '127.0.0.1', (e) => { if (e) reject(e); else resolve(); });
    });
  }

  /** Waits until `count` messages have arrived, or ms elapse; returns what arrived. */
  async waitFor(count: number, ms = 2000): Promise<SipMessage[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < count && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => { clearTimeout(t); r(); });
      });
    }
    return this.received;
  }

  close(): void { this.socket.close(); }
}

export class TcpPeer {
  readonly socket: TcpSocket;
  readonly received: SipMessage[] = [];
  closed = false;
  readonly #framer = new StreamFramer();
  #waiters: Array<() => void> = [];

  private constructor(socket: TcpSocket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      for (const m of this.#framer.push(chunk)) if (!(m instanceof ParseError)) this.received.push(m);
      this.#wake();
    });
    socket.on('close', () => { this.closed = true; this.#wake(); });
    socket.on('error', () => { /* reset by peer: seen as close */ });
  }

  /** A peer over an already connected stream (e.g. a TLS socket after secureConnect). */
  static over(socket: TcpSocket): TcpPeer {
    return new TcpPeer(socket);
  }

  static open(port: number): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => { resolve(new TcpPeer(s)); });
      s.once('error', reject);
    });
  }

  #wake(): void { for (const w of this.#waiters.splice(0)) w(); }

  send(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  }

  /** Waits until `count` messages arrived (or the connection closed, if `orClose`), or ms elapse. */
  async waitFor(count: number, ms = 2000, orClose = true): Promise<SipMessage[]> {
    const deadline = Date.now() + ms;
    while (this.received.length < count && !(orClose && this.closed) && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => { clearTimeout(t); r(); });
      });
    }
    return this.received;
  }

  async waitClose(ms = 2000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  close(): void { this.socket.destroy(); }
}

export function status(m: SipMessage | undefined): number | undefined {
  return m?.kind === 'response' ? m.status : undefined;
}

export function asResponse(m: SipMessage | undefined): SipResponse {
  if (m?.kind !== 'response') throw new Error('expected a response');
  return m;
}

let seq = 0;
/** A request with CRLF line ends, Content-Length computed in bytes. */
export function request(method: string, opts: { port: number; transport?: string; body?: string; contentType?: string; branch?: string; uri?: string; extra?: string[]; cseqMethod?: string } ): string {
  const body = opts.body ?? '';
  const branch = opts.branch ?? `z9hG4bK-test-${++seq}-${Math.random().toString(36).slice(2)}`;
  const lines = [
    `${method} ${opts.uri ?? 'sip:bob@example.com'} SIP/2.0`,
    `Via: SIP/2.0/${opts.transport ?? 'UDP'} 127.0.0.1:${opts.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.net>;tag=a1',
    'To: <sip:bob@example.com>',
    `Call-ID: call-${seq}@127.0.0.1`,
    `CSeq: 1 ${opts.cseqMethod ?? method}`,
    ...(opts.contentType ? [`Content-Type: ${opts.contentType}`] : []),
    ...(opts.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
