// One XEP-0114 component connection, on saxes (the one importer of saxes in Parley).
// docs/xmpp-component.md says why this is not @xmpp/component, and what this link guarantees:
// no exception ever leaves a socket handler; bytes are decoded by ONE streaming UTF-8 decoder;
// any XML fault ends the stream with the RFC 6120 condition and the link reconnects; memory per
// connection is bounded by limits.maxStanzaBytes and limits.maxDepth; nothing XML 1.0 cannot carry
// is ever written.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { TextDecoder } from 'node:util';
import { SaxesParser } from 'saxes';
import type { SaxesStartTagNS, SaxesTagNS } from 'saxes';
import type { XmlElement } from '../../translators/xml.ts';
import { systemClock } from '../clock.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_BACKOFF, backoffDelay } from './backoff.ts';
import { StanzaBuilder } from './element-builder.ts';
import type { Built } from './element-builder.ts';
import {
  NS_COMPONENT, NS_STREAMS, STREAM_CLOSE, handshake, streamError, streamErrorCondition, streamErrorText, streamOpen,
} from './stream.ts';
import type { StreamErrorCondition } from './stream.ts';
import { serialize } from './xml-serialize.ts';

export interface ComponentLinkOptions {
  readonly domain: string;
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Reconnect delays; the attempt count resets after `stableMs` online. */
  readonly backoff?: { initialMs?: number; maxMs?: number; stableMs?: number };
  readonly limits?: { maxStanzaBytes?: number; maxDepth?: number };
  /** Whitespace ping when nothing was written for this long (default 60 s). */
  readonly keepaliveMs?: number;
  /** From TCP connect to the empty <handshake/> (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Jitter source, [0, 1): injected so tests are deterministic. */
  readonly random?: () => number;
}

/** send() while the link is not online, or the socket refused the write. */
export class ComponentOfflineError extends Error {
  override readonly name = 'ComponentOfflineError';
  readonly domain: string;
  constructor(domain: string, message: string, options?: { cause?: unknown }) {
    super(`component ${domain}: ${message}`, options);
    this.domain = domain;
  }
}

export type StanzaHandler = (stanza: XmlElement) => void;
export type StatusHandler = (online: boolean, reason?: string) => void;

/** Thrown from inside saxes callbacks to stop parsing the current chunk at once. */
class Abort extends Error {
  override readonly name = 'Abort';
}

const GRACE_MS = 2000; // after our </stream:stream>, how long the peer gets to close its side

/** The state of one TCP connection; a new one per (re)connect. */
interface Session {
  readonly socket: Socket;
  readonly decoder: TextDecoder;
  readonly parser: SaxesParser<{ xmlns: true }>;
  readonly builder: StanzaBuilder;
  streamOpen: boolean;
  online: boolean;
  /** clock.now() when the handshake succeeded; undefined if it never did. */
  onlineAt: number | undefined;
  /** We sent </stream:stream> (after a stream error, or on stop); input is discarded. */
  closing: boolean;
  closeReason: string;
  /** UTF-16 offset of everything written to the parser so far. */
  consumed: number;
  /** UTF-16 offset where the current stanza (or the gap before it) began. */
  mark: number;
  /** UTF-8 bytes from `mark` to the start of the current chunk, when `mark` is in an earlier chunk. */
  carried: number;
  chunk: string;
  lastWrite: number;
  /** Stanzas written in this tick are held (socket.cork) and go out as one write at its end. */
  corked: boolean;
  readonly timers: TimerHandle[];
}

export class ComponentLink {
  readonly domain: string;
  readonly #opts: ComponentLinkOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #maxStanzaBytes: number;
  readonly #maxDepth: number;
  readonly #keepaliveMs: number;
  readonly #stanzaHandlers: StanzaHandler[] = [];
  readonly #statusHandlers: StatusHandler[] = [];
  #session: Session | undefined;
  #running = false;
  #attempt = 0;
  #retry: TimerHandle | undefined;
  #firstSettled: (() => void) | undefined;
  #closed: (() => void) | undefined;

  constructor(opts: ComponentLinkOptions) {
    this.domain = opts.domain;
    this.#opts = opts;
    this.#log = opts.log.child({ component: opts.domain });
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#maxStanzaBytes = opts.limits?.maxStanzaBytes ?? 256 * 1024;
    this.#maxDepth = opts.limits?.maxDepth ?? 64;
    this.#keepaliveMs = opts.keepaliveMs ?? 60_000;
  }

  get online(): boolean {
    return this.#session?.online === true;
  }

  onStanza(handler: StanzaHandler): void {
    this.#stanzaHandlers.push(handler);
  }

  onStatus(handler: StatusHandler): void {
    this.#statusHandlers.push(handler);
  }

  /** Connects; resolves once the first attempt is online or has failed (a retry is then scheduled). */
  start(): Promise<void> {
    if (this.#running) return Promise.resolve();
    this.#running = true;
    this.#attempt = 0;
    return new Promise((resolve) => {
      this.#firstSettled = resolve;
      this.#connect();
    });
  }

  /** Closes the stream (</stream:stream>) and stops reconnecting; resolves when the socket is closed. */
  stop(): Promise<void> {
    this.#running = false;
    this.#retry?.cancel();
    this.#retry = undefined;
    this.#settleFirst();
    const s = this.#session;
    if (s === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#closed = resolve;
      this.#close(s, STREAM_CLOSE, 'stopped');
    });
  }

  /** Writes one stanza; resolves when the bytes are handed to the socket. */
  send(stanza: XmlElement): Promise<void> {
    const s = this.#session;
    if (s === undefined || !s.online || s.closing) {
      return Promise.reject(new ComponentOfflineError(this.domain, 'link is offline'));
    }
    let xml: string;
    try {
      const out = serialize(stanza);
      if (out.replaced > 0) this.#log.warn({ replaced: out.replaced, stanza: stanza.name }, 'characters XML 1.0 cannot carry replaced with U+FFFD');
      xml = out.xml;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (!s.corked) {
      // A journal commit hands off a whole batch in one burst of microtasks: one syscall for it.
      s.corked = true;
      s.socket.cork();
      process.nextTick(() => { s.corked = false; s.socket.uncork(); });
    }
    return new Promise((resolve, reject) => {
      this.#write(s, xml, (err) => {
        if (err) reject(new ComponentOfflineError(this.domain, 'write failed', { cause: err }));
        else resolve();
      });
    });
  }

  // ---- connection lifecycle ----

  #connect(): void {
    this.#retry = undefined;
    const socket = connect({ host: this.#opts.host, port: this.#opts.port });
    socket.setNoDelay(true);
    const parser = new SaxesParser({ xmlns: true, position: true });
    const s: Session = {
      socket, parser, decoder: new TextDecoder('utf-8', { fatal: true }), builder: new StanzaBuilder(),
      streamOpen: false, online: false, onlineAt: undefined, closing: false, closeReason: 'connection closed',
      consumed: 0, mark: 0, carried: 0, chunk: '', lastWrite: this.#clock.now(), corked: false, timers: [],
    };
    this.#session = s;
    this.#bindParser(s);
    s.timers.push(this.#clock.setTimer(this.#opts.handshakeTimeoutMs ?? 10_000, () => {
      if (!s.online) this.#fail(s, 'connection-timeout', 'no handshake in time');
    }));
    socket.on('connect', () => {
      this.#log.debug({ host: this.#opts.host, port: this.#opts.port }, 'connected; opening stream');
      this.#write(s, streamOpen(this.domain));
    });
    socket.on('data', (data: Buffer) => {
      this.#guard(s, () => { this.#onData(s, data); });
    });
    socket.on('end', () => {
      // The peer closed its side without </stream:stream>: close ours.
      this.#guard(s, () => { if (!s.closing) this.#close(s, '', 'server closed the connection'); });
    });
    socket.on('error', (err) => {
      s.closeReason = s.closing ? s.closeReason : `socket error: ${err.message}`;
      this.#log.warn({ err: err.message }, 'component socket error');
    });
    socket.on('close', () => {
      this.#guard(s, () => { this.#onClose(s); });
    });
  }

  #onClose(s: Session): void {
    for (const t of s.timers) t.cancel();
    if (this.#session === s) this.#session = undefined;
    if (s.onlineAt !== undefined && this.#clock.now() - s.onlineAt >= (this.#opts.backoff?.stableMs ?? 10_000)) this.#attempt = 0;
    this.#log.info({ reason: s.closeReason }, 'component link closed');
    if (s.online) {
      s.online = false;
      this.#emitStatus(false, s.closeReason);
    }
    this.#settleFirst();
    const closed = this.#closed;
    this.#closed = undefined;
    closed?.();
    if (!this.#running) return;
    const delay = backoffDelay(this.#attempt++, {
      initialMs: this.#opts.backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs,
      maxMs: this.#opts.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs,
    }, this.#random);
    this.#log.info({ delayMs: delay, attempt: this.#attempt }, 'reconnecting');
    this.#retry = this.#clock.setTimer(delay, () => { if (this.#running) this.#connect(); });
  }

  #goOnline(s: Session): void {
    s.online = true;
    s.onlineAt = this.#clock.now();
    this.#log.info({}, 'component link online');
    this.#scheduleKeepalive(s, this.#keepaliveMs);
    this.#emitStatus(true);
    this.#settleFirst();
  }

  /** RFC 6120 §4.6.1 whitespace keepalive, only when the stream was idle. */
  #scheduleKeepalive(s: Session, ms: number): void {
    s.timers.push(this.#clock.setTimer(ms, () => {
      if (s.closing || this.#session !== s) return;
      const idle = this.#clock.now() - s.lastWrite;
      if (idle >= this.#keepaliveMs) this.#write(s, ' ');
      this.#scheduleKeepalive(s, idle >= this.#keepaliveMs ? this.#keepaliveMs : this.#keepaliveMs - idle);
    }));
  }

  /** RFC 6120 §4.9.1.1: send the stream error and close the stream; the reconnect follows the close. */
  #fail(s: Session, condition: StreamErrorCondition, why: string): void {
    if (s.closing) return;
    this.#log.warn({ condition, why }, 'closing component stream with a stream error');
    this.#close(s, streamError(condition), `${condition}: ${why}`);
  }

  /** Write our last words, half-close, and give the peer GRACE_MS to close before destroying. */
  #close(s: Session, lastWords: string, reason: string): void {
    if (s.closing) return;
    s.closing = true;
    s.closeReason = reason;
    if (s.online) {
      s.online = false;
      this.#emitStatus(false, reason);
    }
    if (s.socket.connecting) {
      s.socket.destroy(); // nothing was said yet: nothing to flush
      return;
    }
    if (lastWords !== '' && s.socket.writable) s.socket.end(lastWords);
    else s.socket.end();
    s.timers.push(this.#clock.setTimer(GRACE_MS, () => { s.socket.destroy(); }));
  }

  #write(s: Session, data: string, cb?: (err?: Error | null) => void): void {
    s.lastWrite = this.#clock.now();
    s.socket.write(data, 'utf8', cb);
  }

  /** No exception may leave a socket handler: a bug of ours ends the stream, not the process. */
  #guard(s: Session, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err: err instanceof Error ? err.stack : String(err) }, 'unexpected error in component link');
      this.#fail(s, 'internal-server-error', 'unexpected error');
    }
  }

  #emitStatus(online: boolean, reason?: string): void {
    for (const h of this.#statusHandlers) {
      try {
        h(online, reason);
      } catch (err) {
        this.#log.error({ err: String(err) }, 'status handler threw');
      }
    }
  }

  #settleFirst(): void {
    const f = this.#firstSettled;
    this.#firstSettled = undefined;
    f?.();
  }

  // ---- input: bytes → text → parser events → stanzas ----

  #onData(s: Session, data: Buffer): void {
    if (s.closing) return; // after our stream error, input is discarded
    let text: string;
    try {
      text = s.decoder.decode(data, { stream: true });
    } catch {
      // XML 1.0 §4.3.3: bytes that are not legal in the encoding are a fatal (well-formedness) error.
      this.#fail(s, 'not-well-formed', 'invalid UTF-8');
      return;
    }
    if (text === '') return;
    s.chunk = text;
    const chunkStart = s.consumed;
    s.consumed += text.length;
    try {
      s.parser.write(text);
    } catch (e) {
      if (e instanceof Abort) return;
      throw e;
    }
    if (s.closing) return;
    // Bytes of the unfinished stanza so far: bounded memory even if it never ends.
    const tail = s.mark < chunkStart ? text : text.slice(s.mark - chunkStart);
    if (s.builder.depth === 0 && (s.mark >= chunkStart || s.carried === 0) && /^\s*$/.test(tail)) {
      // Only whitespace (keepalives) since the last stanza: nothing is pending.
      s.mark = s.consumed;
      s.carried = 0;
      return;
    }
    s.carried = (s.mark < chunkStart ? s.carried : 0) + Buffer.byteLength(tail);
    if (s.carried > this.#maxStanzaBytes) this.#abort(s, 'policy-violation', `stanza larger than ${this.#maxStanzaBytes} bytes`);
  }

  /** From inside a parser callback: stream error, then stop parsing this chunk. */
  #abort(s: Session, condition: StreamErrorCondition, why: string): never {
    this.#fail(s, condition, why);
    throw new Abort(why);
  }

  /** UTF-8 bytes from the mark to the parser's position (inside the current chunk). */
  #bytesSinceMark(s: Session): number {
    const chunkStart = s.consumed - s.chunk.length;
    const end = s.parser.position - chunkStart;
    if (s.mark < chunkStart) return s.carried + Buffer.byteLength(s.chunk.slice(0, end));
    return Buffer.byteLength(s.chunk.slice(s.mark - chunkStart, end));
  }

  #bindParser(s: Session): void {
    const p = s.parser;
    const live = (): void => {
      if (s.closing) throw new Abort('closing');
    };
    p.on('error', (err) => {
      live();
      // saxes reports a DOCTYPE after the stream header as an error; it is a DTD all the same.
      const restricted = /doctype/i.test(err.message);
      this.#abort(s, restricted ? 'restricted-xml' : 'not-well-formed', err.message);
    });
    p.on('doctype', () => { live(); this.#abort(s, 'restricted-xml', 'DOCTYPE'); });
    p.on('processinginstruction', (pi) => { live(); this.#abort(s, 'restricted-xml', `processing instruction ${pi.target}`); });
    p.on('comment', () => { live(); this.#abort(s, 'restricted-xml', 'comment'); });
    p.on('opentagstart', (tag: SaxesStartTagNS) => {
      live();
      if (s.builder.depth + 1 > this.#maxDepth) this.#abort(s, 'policy-violation', `nesting deeper than ${this.#maxDepth}`);
      if (s.streamOpen && s.builder.depth === 0) {
        // A stanza starts: whitespace before it does not count toward its size.
        s.mark = Math.max(s.mark, p.position - tag.name.length - 2);
      }
    });
    p.on('opentag', (tag: SaxesTagNS) => {
      live();
      if (!s.streamOpen) {
        this.#onStreamHeader(s, tag);
        return;
      }
      const attrs: Record<string, string> = {};
      for (const a of Object.values(tag.attributes)) attrs[a.name] = a.value;
      s.builder.open({ local: tag.local, uri: tag.uri, attrs });
    });
    p.on('text', (t) => { live(); s.builder.text(t); });
    p.on('cdata', (t) => { live(); s.builder.text(t); });
    p.on('closetag', () => {
      live();
      if (s.builder.depth === 0) {
        // </stream:stream> from the server (RFC 6120 §4.4): answer in kind.
        this.#close(s, STREAM_CLOSE, 'server closed the stream');
        throw new Abort('stream closed');
      }
      const built = s.builder.close();
      if (built === undefined) return;
      if (this.#bytesSinceMark(s) > this.#maxStanzaBytes) this.#abort(s, 'policy-violation', `stanza larger than ${this.#maxStanzaBytes} bytes`);
      s.mark = p.position;
      s.carried = 0;
      this.#onTopLevel(s, built);
    });
  }

  #onStreamHeader(s: Session, tag: SaxesTagNS): void {
    if (tag.local !== 'stream' || tag.uri !== NS_STREAMS) this.#abort(s, 'invalid-namespace', `root is {${tag.uri}}${tag.local}`);
    s.streamOpen = true;
    const id = tag.attributes.id?.value;
    if (id === undefined || id === '') this.#abort(s, 'bad-format', 'stream header without id');
    s.mark = s.parser.position;
    s.carried = 0;
    this.#write(s, handshake(id, this.#opts.secret));
  }

  #onTopLevel(s: Session, { element, uri }: Built): void {
    if (uri === NS_STREAMS && element.name === 'error') {
      const condition = streamErrorCondition(element);
      this.#log.warn({ condition, text: streamErrorText(element) }, 'stream error from server');
      this.#close(s, STREAM_CLOSE, `stream error from server: ${condition}`);
      throw new Abort('stream error');
    }
    if (!s.online) {
      if (uri === NS_COMPONENT && element.name === 'handshake') this.#goOnline(s);
      else this.#log.debug({ stanza: element.name }, 'stanza before handshake ignored');
      return;
    }
    for (const h of this.#stanzaHandlers) {
      try {
        h(element);
      } catch (err) {
        this.#log.error({ err: err instanceof Error ? err.stack : String(err) }, 'stanza handler threw');
      }
    }
  }
}
