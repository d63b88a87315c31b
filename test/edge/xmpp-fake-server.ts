// A scripted fake XMPP server for the component edge tests: it speaks the XEP-0114 handshake
// (checking the SHA-1 digest), then sends whatever the test wants, raw. It is the peer, not
// Parley, so it does not use the link's parser: what the component writes is read back with a
// tiny parser for the regular XML our serializer produces (double-quoted attributes, no comments).
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { XmlElement, XmlNode } from '../../translators/xml.ts';

export interface FakeServerOptions {
  readonly domain: string;
  readonly secret: string;
  /** Sent before the stream header (e.g. an XML declaration, or a DOCTYPE to test refusal). */
  readonly prologue?: string;
}

const NS_STREAMS = 'http://etherx.jabber.org/streams';

export class FakeXmppServer {
  readonly #server: Server;
  readonly #opts: FakeServerOptions;
  readonly connections: FakeConnection[] = [];
  #waiters: { n: number; resolve: (c: FakeConnection) => void }[] = [];
  #seq = 0;
  prologue: string;

  private constructor(server: Server, opts: FakeServerOptions) {
    this.#server = server;
    this.#opts = opts;
    this.prologue = opts.prologue ?? "<?xml version='1.0'?>";
    server.on('connection', (socket) => {
      socket.setNoDelay(true);
      const conn = new FakeConnection(socket, opts.domain, opts.secret, `s${++this.#seq}`, this.prologue);
      this.connections.push(conn);
      const n = this.connections.length - 1;
      this.#waiters = this.#waiters.filter((w) => (w.n === n ? (w.resolve(conn), false) : true));
    });
  }

  static async start(opts: FakeServerOptions): Promise<FakeXmppServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeXmppServer(server, opts);
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The connection number `n` (0-based), waiting for it to be accepted. */
  connection(n: number): Promise<FakeConnection> {
    const c = this.connections[n];
    if (c !== undefined) return Promise.resolve(c);
    return new Promise((resolve) => { this.#waiters.push({ n, resolve }); });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => { resolve(); }));
  }
}

export class FakeConnection {
  readonly socket: Socket;
  readonly streamId: string;
  /** Everything the component wrote, as text. */
  received = '';
  /** Resolves true when the component's <handshake/> digest was right, false when wrong. */
  readonly handshake: Promise<boolean>;
  /** Resolves with the condition name of a stream error the component sends. */
  readonly streamError: Promise<string>;
  /** Resolves when the socket is closed. */
  readonly closed: Promise<void>;
  /** Whether the component sent </stream:stream>. */
  sawStreamClose = false;
  #afterHandshake = -1;
  #stanzaWaiters: { n: number; resolve: (e: XmlElement) => void }[] = [];
  #onHandshake!: (ok: boolean) => void;
  #onStreamError!: (c: string) => void;

  constructor(socket: Socket, domain: string, secret: string, streamId: string, prologue: string) {
    this.socket = socket;
    this.streamId = streamId;
    this.handshake = new Promise((r) => { this.#onHandshake = r; });
    this.streamError = new Promise((r) => { this.#onStreamError = r; });
    this.closed = new Promise((r) => { socket.on('close', () => { r(); }); });
    socket.on('error', () => { /* resets are expected in these tests */ });
    let headerSeen = false;
    socket.on('data', (d: Buffer) => {
      this.received += d.toString('utf8');
      if (!headerSeen && /<stream:stream[^>]*>/.test(this.received)) {
        headerSeen = true;
        const to = /\bto='([^']*)'/.exec(this.received)?.[1];
        void this.write(`${prologue}<stream:stream xmlns:stream='${NS_STREAMS}' xmlns='jabber:component:accept' id='${streamId}' from='${to ?? ''}'>`);
        if (to !== domain) void this.write(`<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`);
      }
      const hs = /<handshake>([0-9a-f]*)<\/handshake>/.exec(this.received);
      if (hs !== null && this.#afterHandshake === -1) {
        this.#afterHandshake = hs.index + hs[0].length;
        const ok = hs[1] === createHash('sha1').update(streamId + secret).digest('hex');
        if (ok) void this.write('<handshake/>');
        else void this.write(`<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`);
        this.#onHandshake(ok);
      }
      // A small regex on the condition element, as a real server's parser would tell it.
      const se = /<stream:error><([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/><\/stream:error>/.exec(this.received);
      if (se !== null) {
        this.#onStreamError(se[1]!);
      }
      if (this.received.includes('</stream:stream>') && !this.sawStreamClose) {
        this.sawStreamClose = true;
        // RFC 6120 §4.4: answer the close and close the TCP connection.
        if (!socket.destroyed && socket.writable) socket.end('</stream:stream>');
      }
      this.#flushStanzas();
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || !this.socket.writable) {
        resolve();
        return;
      }
      this.socket.write(data, () => { resolve(); });
    });
  }

  /** The stanzas (top-level elements after the handshake) the component sent, parsed. */
  stanzas(): XmlElement[] {
    if (this.#afterHandshake === -1) return [];
    return parseFragment(this.received.slice(this.#afterHandshake).replace(/<\/stream:stream>[\s\S]*$/, '').replace(/<stream:error>[\s\S]*$/, ''));
  }

  /** Waits for the component's stanza number `n` (0-based, after the handshake). */
  stanza(n: number): Promise<XmlElement> {
    return new Promise((resolve) => {
      this.#stanzaWaiters.push({ n, resolve });
      this.#flushStanzas();
    });
  }

  #flushStanzas(): void {
    if (this.#stanzaWaiters.length === 0) return;
    const got = this.stanzas();
    this.#stanzaWaiters = this.#stanzaWaiters.filter((w) => {
      const e = got[w.n];
      if (e === undefined) return true;
      w.resolve(e);
      return false;
    });
  }
}

const ENT: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescape(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_m, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#') ? String.fromCodePoint(parseInt(e.slice(1), 10))
        : ENT[e] ?? `&${e};`);
}

/** Parses a sequence of complete elements (whitespace between them dropped); an unfinished tail is ignored. */
export function parseFragment(xml: string): XmlElement[] {
  const tokens = /<\/([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  const top: XmlElement[] = [];
  const stack: { name: string; attrs: Record<string, string>; children: XmlNode[] }[] = [];
  for (let m = tokens.exec(xml); m !== null; m = tokens.exec(xml)) {
    if (m[1] !== undefined) {
      const done = stack.pop();
      if (done !== undefined && stack.length === 0) top.push(done);
    } else if (m[2] !== undefined) {
      const attrs: Record<string, string> = {};
      for (const a of (m[3] ?? '').matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = unescape(a[2] ?? a[3] ?? '');
      const e = { name: m[2], attrs, children: [] as XmlNode[] };
      stack.at(-1)?.children.push(e);
      if (m[4] === '/') {
        if (stack.length === 0) top.push(e);
      } else stack.push(e);
    } else if (m[5] !== undefined && stack.length > 0) {
      stack.at(-1)!.children.push(unescape(m[5]));
    }
  }
  return top;
}
