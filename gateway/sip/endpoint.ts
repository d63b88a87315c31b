// The SIP endpoint: the public API the rest of Parley uses. Wires transports (udp/tcp/tls/ws/wss), the
// non-INVITE transactions and the UAS checks of request-checks.ts; knows nothing of XMPP.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { FinalResponse, IncomingRequest, OutgoingRequestSpec, ReplySpec } from './api-types.ts';
import { parseCSeq } from './cseq.ts';
import { HeaderValueError } from './header-value-error.ts';
import type { SipHeaders } from './headers.ts';
import { DnsResolver } from './dns-resolver.ts';
import { ExpiryQueue, MAX_PER_TURN } from './expiry-queue.ts';
import { parseListenUrl, targetOf } from './listen-url.ts';
import { randomHex } from './random-id.ts';
import type { SipMessage, SipRequest, SipResponse } from './message.ts';
import { NonInviteClientTransaction } from './non-invite-client-transaction.ts';
import type { NictContext } from './non-invite-client-transaction.ts';
import type { NistContext } from './non-invite-server-transaction.ts';
import type { IstContext } from './invite-server-transaction.ts';
import { NonInviteServerTransaction } from './non-invite-server-transaction.ts';
import { InviteServerTransaction } from './invite-server-transaction.ts';
import type { ParseError } from './parse-error.ts';
import { responseDestination, stampVia } from './received.ts';
import { checkRequest, isRejection } from './request-checks.ts';
import { isFailure, planFor, resolveTargets } from './rfc3263.ts';
import type { CheckedRequest, Rejection } from './request-checks.ts';
import { keep, keptSlab } from './byte-writer.ts';
import { reasonPhrase, writeResponse } from './response-builder.ts';
import { writeRequest } from './request-writer.ts';
import { splitList } from './split-list.ts';
import { Subscriber } from './subscription-client.ts';
import type { ClientSubscription, SubscribeSpec, SubscriptionHandlers } from './subscription-client.ts';
import { Notifier } from './subscription-server.ts';
import type { ServerSubscription, SubscribeHandler, SubscriptionSnapshot } from './subscription-server.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from './stream-framer.ts';
import type { TlsOptions } from './tls-transport.ts';
import { createTransport } from './transport-factory.ts';
import { DEFAULT_TIMERS } from './timers.ts';
import type { TimerValues } from './timers.ts';
import { clientKey, serverBaseKey } from './transaction-key.ts';
import { ServerTable, type ServerSlot } from './server-table.ts';
import { mediaTypeIn } from './media-type.ts';
import { ShardedMap } from '../sharded-map.ts';
import type { Peer, Transport, TransportName, TransportSink } from './transport.ts';
import { canonicalHost, UriError } from './uri.ts';
import { MAGIC_COOKIE, parseVia } from './via.ts';
import type { Via } from './via.ts';

export interface SipEndpointOptions {
  listen: string[];
  /** e.g. "sip:127.0.0.1:5080;transport=udp" */
  outboundProxy?: string;
  domains: string[];
  log: Logger;
  clock?: Clock;
  userAgent?: string;
  maxMessageBytes?: number;
  timers?: Partial<TimerValues>;
  /** answer every UDP request to its source address and port, as if it carried rport (RFC 3581) */
  forceRport?: boolean;
  /** media types accepted in MESSAGE bodies (415 otherwise); default text/plain, message/cpim */
  accept?: string[];
  /** option-tags understood in Require */
  supported?: string[];
  /** TCP: how long an incomplete message may wait before 400 and close; default 32 s (64*T1) */
  incompleteMessageMs?: number;
  /** host written in our Via sent-by; default the bound address */
  viaHost?: string;
  /** event packages accepted in SUBSCRIBE (489 Bad Event otherwise), e.g. ['presence'] */
  allowEvents?: string[];
  /** SUBSCRIBE Expires below this (and not 0) is answered 423 with Min-Expires */
  minExpires?: number;
  /** final answer to an INVITE when no INVITE handler is registered (no sessions here); default 488 */
  inviteStatus?: 488 | 603 | 405;
  /** TCP/TLS: close a connection after this long without traffic; default 5 minutes */
  idleTimeoutMs?: number;
  /** tls:// and wss:// listeners, and TLS client connections (sips: or ;transport=tls targets) */
  tls?: TlsOptions;
  /** DNS servers for RFC 3263 (NAPTR/SRV/A/AAAA), e.g. ["127.0.0.1:5353"]; default the system's */
  dnsServers?: string[];
}

export type { FinalResponse, IncomingRequest, OutgoingRequestSpec, ReplySpec } from './api-types.ts';
export type { ClientSubscription, IncomingNotify, SubscribeSpec, SubscriptionHandlers, TerminatedInfo } from './subscription-client.ts';
export type { EndReason, IncomingSubscribe, NotifySpec, ServerSubscription, SubscribeDecision, SubscribeHandler, SubscriptionSnapshot } from './subscription-server.ts';

type Handler = (req: IncomingRequest) => Promise<ReplySpec> | ReplySpec;

/** Monotonic counts of the endpoint's client transactions, for metrics and benchmarks. */
export interface ClientTransactionCounts {
  /** client transactions started (one per target tried) */
  started: number;
  /** requests handed to a transport, retransmissions (Timer E) included */
  sent: number;
  /** transactions that got a final response */
  answered: number;
  /** transactions ended by Timer F without a final response */
  timedOut: number;
  /** transactions ended by a transport error */
  failed: number;
}

const ESSENTIAL = ['via', 'from', 'to', 'call-id', 'cseq'];

export class SipEndpoint {
  readonly #opts: SipEndpointOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #timers: TimerValues;
  readonly #accept: string[];
  readonly #supported: string[];
  readonly #domains: Set<string>;
  readonly #transports: Transport[] = [];
  readonly #handlers = new Map<string, Handler>();
  readonly #servers = new ServerTable<ServerEntry>();
  /** What the compact records of completed UDP non-INVITE transactions call back into */
  readonly #completedHost: CompletedHost;
  /** What every server transaction's link shares */
  readonly #txEnv: ServerTxEnv;
  /** INVITEs without a final response yet, by base key: answers them 487 (CANCEL, §9.2) */
  readonly #cancelable = new Map<string, () => void>();
  /** sharded: a NOTIFY fan-out keeps tens of thousands here (see ../sharded-map.ts) */
  readonly #clients = new ShardedMap<NonInviteClientTransaction<ClientTxData>>();
  readonly #nictReliable: NictContext<ClientTxData>;
  readonly #nictUnreliable: NictContext<ClientTxData>;
  readonly #locals = new Map<Transport, LocalParts>();
  readonly #sink: TransportSink;
  readonly #subscriber: Subscriber;
  readonly #notifier: Notifier;
  readonly #allowEvents: string[];
  readonly #dns: DnsResolver;
  /** Timer J (64*T1) of every completed UDP non-INVITE server transaction, up to T1/5 late */
  readonly #timerJ: ExpiryQueue;
  #cseq = 1 + Math.floor(Math.random() * 10000);
  #started = false;
  readonly clientCounts: ClientTransactionCounts = { started: 0, sent: 0, answered: 0, timedOut: 0, failed: 0 };
  /** The Allow header value, rebuilt when a handler is added. */
  #allow = 'OPTIONS, CANCEL';

  constructor(opts: SipEndpointOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'sip' });
    this.#clock = opts.clock ?? systemClock;
    this.#timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.#timerJ = new ExpiryQueue(this.#clock, 64 * this.#timers.T1, this.#timers.T1 / 5, undefined, MAX_PER_TURN);
    this.#accept = (opts.accept ?? ['text/plain', 'message/cpim']).map((m) => m.toLowerCase());
    this.#supported = (opts.supported ?? []).map((t) => t.toLowerCase());
    this.#domains = new Set(opts.domains.map(canonicalHost));
    this.#allowEvents = (opts.allowEvents ?? []).map((e) => e.toLowerCase());
    this.#nictReliable = this.#clientContext(true);
    this.#nictUnreliable = this.#clientContext(false);
    this.#dns = new DnsResolver({ clock: this.#clock, ...(opts.dnsServers !== undefined && { servers: opts.dnsServers }) });
    const dialogCtx = {
      clock: this.#clock, timers: this.#timers, log: this.#log,
      send: (spec: OutgoingRequestSpec) => this.sendRequest(spec),
    };
    this.#subscriber = new Subscriber({ ...dialogCtx, newTag: () => randomHex(6), newCallId: () => `${randomHex(12)}@parley` });
    this.#notifier = new Notifier({ ...dialogCtx, allowEvents: () => this.#allowEvents, minExpires: opts.minExpires });
    if (this.#allowEvents.length > 0) this.#enableNotify();
    this.#completedHost = {
      resend: (r) => {
        r.t.send(r.bytes, r.dest).catch((err: unknown) => {
          this.#log.debug({ err, dest: r.dest }, 'sip: response not sent');
          this.#completedHost.forget(r);
        });
      },
      forget: (r) => { this.#servers.remove(r.slot); },
    };
    this.#txEnv = {
      clock: this.#clock, timers: this.#timers, log: this.#log, servers: this.#servers, cancelable: this.#cancelable,
      completedHost: this.#completedHost, timerJ: this.#timerJ, server: this.#server,
    };
    this.#sink = {
      message: (msg, peer, via) => { this.#receive(msg, peer, via); },
      parseError: (err, peer, via) => { this.#parseError(err, peer, via); },
    };
  }

  async start(): Promise<void> {
    if (this.#started) return;
    const maxBytes = this.#opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    for (const url of this.#opts.listen) {
      const spec = parseListenUrl(url);
      const t: Transport = createTransport(spec, {
        sink: this.#sink, log: this.#log, clock: this.#clock, maxMessageBytes: maxBytes,
        incompleteMessageMs: this.#opts.incompleteMessageMs ?? 64 * this.#timers.T1,
        ...(this.#opts.idleTimeoutMs !== undefined && { idleTimeoutMs: this.#opts.idleTimeoutMs }),
        ...(this.#opts.tls !== undefined && { tls: this.#opts.tls }),
      });
      await t.listen();
      this.#transports.push(t);
    }
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#subscriber.clear();
    this.#notifier.clear();
    for (const c of [...this.#clients.values()]) c.transportError();
    this.#clients.clear();
    this.#servers.clear();
    this.#cancelable.clear();
    await Promise.all(this.#transports.map((t) => t.close()));
    this.#transports.length = 0;
    this.#locals.clear();
    this.#started = false;
  }

  get bound(): Array<{ transport: TransportName; address: string; port: number }> {
    return this.#transports.map((t) => ({ transport: t.name, address: t.local.address, port: t.local.port }));
  }

  onRequest(method: string, handler: Handler): void {
    this.#setHandler(method.toUpperCase(), handler);
  }

  #setHandler(method: string, handler: Handler): void {
    this.#handlers.set(method, handler);
    this.#allow = ['OPTIONS', ...[...this.#handlers.keys()].filter((m) => m !== 'OPTIONS'), 'CANCEL'].join(', ');
  }

  // ---- SIP events (RFC 6665): subscription-client.ts, subscription-server.ts ----

  /** Subscribes (UAC) to a SIP resource; NOTIFYs go to handlers.onNotify. */
  subscribe(spec: SubscribeSpec, handlers: SubscriptionHandlers): ClientSubscription {
    this.#enableNotify();
    return this.#subscriber.subscribe(spec, handlers);
  }

  /** A watcher subscription served before a restart, from its snapshot (Notifier.restore). */
  restoreSubscription(snapshot: SubscriptionSnapshot, expiresInMs: number): ServerSubscription {
    return this.#notifier.restore(snapshot, expiresInMs);
  }

  /**
   * Handles SUBSCRIBE from SIP watchers (UAS). The dialog layer answers 489 (Event not in
   * allowEvents), 423 (Expires below minExpires), 481 (unknown dialog) and 400 itself; the rest goes
   * to handler. After a 2xx for a NEW subscription the caller MUST send a NOTIFY at once (RFC 6665
   * §4.2.1.2), from SubscribeDecision.onAccepted; after a refresh, through `subscription`.
   */
  onSubscribe(handler: SubscribeHandler): void {
    this.#notifier.onSubscribe(handler);
    this.#setHandler('SUBSCRIBE', (req) => this.#notifier.handleSubscribe(req));
    this.#enableNotify();
  }

  /** Event packages accepted in SUBSCRIBE, e.g. ['presence'] (adds to the allowEvents option). */
  allowEvents(events: string[]): void {
    for (const e of events) if (!this.#allowEvents.includes(e.toLowerCase())) this.#allowEvents.push(e.toLowerCase());
    this.#enableNotify();
  }

  #enableNotify(): void {
    if (!this.#handlers.has('NOTIFY')) this.#setHandler('NOTIFY', (req) => this.#subscriber.handleNotify(req));
  }

  // ---- incoming ----

  #receive(msg: SipMessage, peer: Peer, t: Transport): void {
    try {
      if (msg.kind === 'response') this.#onResponse(msg);
      else this.#onRequest(msg, peer, t);
    } catch (err) {
      this.#log.debug({ err, peer }, 'sip: message handling failed');
    }
  }

  /** Stamps received/rport on the top Via; returns the parsed top Via (if it parses). */
  #stampTopVia(headers: SipHeaders, peer: Peer, t: Transport): { via: Via | undefined; text: string } {
    const i = headers.indexOf('via');
    if (i < 0) return { via: undefined, text: '' };
    const value = headers.valueAt(i);
    // One Via value per field is the usual case: no list to split.
    const parts = value.includes(',') ? splitList(value) : undefined;
    const text = parts === undefined ? value : parts[0] ?? '';
    const via = parseVia(text);
    if (via instanceof HeaderValueError) return { via: undefined, text };
    const stamped = stampVia(text, via, peer, !t.reliable && this.#opts.forceRport === true);
    if (stamped !== text) {
      if (parts === undefined) {
        headers.setValueAt(i, stamped);
      } else {
        parts[0] = stamped;
        headers.setValueAt(i, parts.join(', '));
      }
    }
    return { via, text };
  }

  #destination(via: Via | undefined, peer: Peer, t: Transport): Peer {
    // "If the "sent-protocol" is a reliable transport protocol such as TCP or SCTP, or TLS over
    // those, the response MUST be sent using the existing connection to the source of the original
    // request that created the transaction, if that connection is still open." (§18.2.2)
    return t.reliable ? peer : responseDestination(via, peer, this.#opts.forceRport === true);
  }

  #parseError(err: ParseError, peer: Peer, t: Transport): void {
    const headers = err.headers;
    if (err.isResponse || headers === undefined || ESSENTIAL.some((n) => headers.indexOf(n) < 0)) {
      this.#log.debug({ peer, reason: err.reason, detail: err.detail }, 'sip: unparseable message dropped');
      return;
    }
    const { via } = this.#stampTopVia(headers, peer, t);
    this.#sendStateless(headers, { status: 400, reason: `Bad Request (${err.detail})`, headers: [] }, this.#destination(via, peer, t), t);
  }

  #sendStateless(headers: SipHeaders, r: Rejection, dest: Peer, t: Transport): void {
    // A tag derived from the request, so a retransmission gets the very same response.
    const tag = createHash('sha1').update(`${headers.first('via')}|${headers.first('call-id')}|${headers.first('cseq')}`).digest('hex').slice(0, 12);
    const bytes = writeResponse(headers, r.status, sanitize(r.reason), { toTag: tag, server: this.#server, headers: r.headers });
    t.send(bytes, dest).catch((err: unknown) => { this.#log.debug({ err, dest }, 'sip: response not sent'); });
  }

  get #server(): string {
    return this.#opts.userAgent ?? 'Parley';
  }

  #onRequest(req: SipRequest, peer: Peer, t: Transport): void {
    const { via, text } = this.#stampTopVia(req.headers, peer, t);
    const dest = this.#destination(via, peer, t);
    const checked = checkRequest(req, { supported: this.#supported, allow: this.#allow, topVia: via });
    if (isRejection(checked)) {
      if (ESSENTIAL.some((n) => req.headers.indexOf(n) < 0)) {
        this.#log.debug({ peer, reason: checked.reason }, 'sip: request without the headers to answer it dropped');
        return;
      }
      if (req.method !== 'ACK') this.#sendStateless(req.headers, checked, dest, t);
      return;
    }
    const id = {
      source: `${t.name}|${peer.address}|${peer.port}`, method: req.method, uri: req.uri, topVia: checked.vias[0] as Via, topViaText: text, callId: checked.callId,
      cseq: checked.cseq, fromTag: checked.from.tag, toTag: checked.to.tag,
    };
    // The base key lives as long as the transaction and must not keep the request's text (its
    // branch is a slice of the Via value): the table hashes it with charCodeAt at once, and V8
    // reads a concatenated string's characters by flattening it in place, letting its parts go.
    // No copy of our own (Buffer.from + toString cost ~0.3 µs a request).
    const base = serverBaseKey(id);
    // "The ACK request matches a transaction if ... the method of the request matches the method
    // of the request that created the transaction, except for ACK, where the method of the
    // request that created the transaction is INVITE." (§17.2.3)
    const existing = this.#servers.find(base, req.method)?.value;
    if (existing) {
      if (req.method === 'ACK' && existing instanceof InviteServerTransaction) existing.receiveAck();
      else existing.receiveRequest();
      return;
    }
    // ACK for a non-INVITE (or for our stateless answers to INVITE) is absorbed.
    if (req.method === 'ACK') return;
    const invite = req.method === 'INVITE';
    const toTag = randomHex(6);
    const link = new ServerTxLink(this.#txEnv, req.headers, t, dest, base, invite, toTag, checked.to.tag !== undefined, peer, checked.callId);
    link.tx = invite ? new InviteServerTransaction(link) : new NonInviteServerTransaction(link);
    link.slot = this.#servers.add(base, req.method, link.tx);
    // RFC 2543 ACK: "the To tag of the ACK matches the To tag of the response sent by the server
    // transaction" (§17.2.3), so an INVITE without a magic-cookie branch is also keyed by our tag.
    if (invite) {
      const ackBase = serverBaseKey({ ...id, toTag });
      if (ackBase !== base) link.ackSlot = this.#servers.add(ackBase, 'INVITE', link.tx);
    }
    if (req.method === 'CANCEL') {
      // "If the UAS did not find a matching transaction for the CANCEL according to the procedure
      // above, it SHOULD respond to the CANCEL with a 481 (Call Leg/Transaction Does Not Exist)."
      // (§9.2) A matched non-INVITE request is not affected by the CANCEL.
      const cancelInvite = this.#cancelable.get(base);
      if (this.#servers.cancelled(base) !== undefined) {
        // "Regardless of the method of the original request, as long as the CANCEL matched an
        // existing transaction, the UAS answers the CANCEL request itself with a 200 (OK)
        // response." "If the original request was an INVITE, the UAS SHOULD immediately respond to
        // the INVITE with a 487 (Request Terminated)." (§9.2)
        link.respond(200, 'OK');
        cancelInvite?.();
      } else {
        link.respond(481, reasonPhrase(481));
      }
      return;
    }
    if (invite) this.#cancelable.set(base, () => { link.respond(487, 'Request Terminated'); });
    this.#dispatch(req, checked, peer, t, link, toTag);
  }

  #dispatch(
    req: SipRequest, checked: CheckedRequest, peer: Peer, t: Transport,
    link: ServerTxLink,
    toTag: string,
  ): void {
    const handler = this.#handlers.get(req.method);
    if (!handler) {
      if (req.method === 'INVITE' && this.#opts.inviteStatus !== 405) {
        // No sessions here: every INVITE gets a final non-2xx at once (488 by default: "the
        // session description ... not acceptable", §21.4.26; or 603 Decline).
        const inviteStatus = this.#opts.inviteStatus ?? 488;
        link.respond(inviteStatus, reasonPhrase(inviteStatus));
      } else if (req.method === 'OPTIONS') {
        // §11.2: "Allow, Accept, Accept-Encoding, Accept-Language, and Supported header fields
        // SHOULD be present in a 200 (OK) response to an OPTIONS request."
        link.respond(200, 'OK', [['Allow', this.#allow], ['Accept', this.#accept.join(', ')], ['Accept-Encoding', 'identity'], ['Accept-Language', 'en']]);
      } else {
        // "If a UAS receives a request whose method it does not support ... The UAS MUST also add
        // an Allow header field to the 405 (Method Not Allowed) response." (§8.2.1)
        link.respond(405, reasonPhrase(405), [['Allow', this.#allow]]);
      }
      return;
    }
    const contentType = req.headers.first('content-type');
    if (req.method === 'MESSAGE' && req.body.length > 0) {
      // "If a UAS receives a request with a body of a type it does not understand, it MUST respond
      // with a 415 (Unsupported Media Type) response ... the response MUST list the body types it
      // understands in the Accept header" (§8.2.3)
      if (!mediaTypeIn(contentType ?? '', this.#accept)) {
        link.respond(415, reasonPhrase(415), [['Accept', this.#accept.join(', ')]]);
        return;
      }
    }
    const host = canonicalHost(checked.uri.host);
    if (!this.#domains.has('*') && !this.#domains.has(host) && !this.#transports.some((x) => canonicalHost(x.local.address) === host)) {
      link.respond(404, 'Not Found (domain not served here)');
      return;
    }
    // Optional fields are left out rather than undefined; set one by one, not spread (a spread of a
    // conditional object literal takes V8's slow path, per request).
    const from: IncomingRequest['from'] = { uri: checked.from.uri };
    if (checked.from.tag !== undefined) from.tag = checked.from.tag;
    if (checked.from.displayName !== undefined) from.displayName = checked.from.displayName;
    const to: IncomingRequest['to'] = { uri: checked.to.uri };
    if (checked.to.tag !== undefined) to.tag = checked.to.tag;
    const incoming = new Incoming(req, from, to, checked, t.name, { address: peer.address, port: peer.port }, checked.to.tag ?? toTag, this.#local(t).contact);
    if (contentType !== undefined) incoming.contentType = contentType;
    // "the server transaction MUST generate a 100 (Trying) response unless it knows that the TU
    // will generate a provisional or final response within 200 ms" (§17.2.1): a handler may not.
    if (req.method === 'INVITE') link.respond(100, 'Trying');
    let result: Promise<ReplySpec> | ReplySpec;
    try {
      result = handler(incoming);
    } catch (err) {
      this.#handlerFailed(err, req.method, link);
      return;
    }
    // A handler that answers at once is answered at once: no promise, no microtask.
    if (result instanceof Promise) {
      result.then((reply) => { this.#answer(reply, link); }, (err: unknown) => { this.#handlerFailed(err, req.method, link); });
    } else {
      this.#answer(result, link);
    }
  }

  #answer(reply: ReplySpec, link: ServerTxLink): void {
    const ok = Number.isInteger(reply.status) && reply.status >= 200 && reply.status <= 699;
    if (!ok) {
      this.#log.warn({ status: reply.status }, 'sip: handler returned an invalid status; answering 500');
      link.respond(500, reasonPhrase(500));
      return;
    }
    link.respond(reply.status, reply.reason ?? reasonPhrase(reply.status), reply.headers, reply.body);
    reply.afterSend?.();
  }

  #handlerFailed(err: unknown, method: string, link: ServerTxLink): void {
    this.#log.warn({ err, method }, 'sip: request handler failed; answering 500');
    link.respond(500, reasonPhrase(500));
  }

  #onResponse(res: SipResponse): void {
    // One Via field without a comma is one Via value (the usual case: no list to split).
    let top = res.headers.count('via') === 1 ? res.headers.first('via') : undefined;
    if (top === undefined || top.includes(',')) {
      const vias = res.headers.all('via');
      // "If more than one Via header field value is present in a response, the UAC SHOULD discard
      // the message." (§8.1.3.3)
      const only = vias[0];
      if (vias.length !== 1 || only === undefined) {
        this.#log.debug({ vias: vias.length }, 'sip: response with other than one Via dropped');
        return;
      }
      top = only;
    }
    const via = parseVia(top);
    const cseq = parseCSeq(res.headers.first('cseq') ?? '');
    if (via instanceof HeaderValueError || cseq instanceof HeaderValueError || via.branch === undefined) return;
    const tx = this.#clients.get(clientKey(via.branch, cseq.method));
    if (!tx) {
      this.#log.debug({ branch: via.branch }, 'sip: response matching no transaction dropped');
      return;
    }
    tx.receiveResponse(res);
  }

  // ---- outgoing ----

  sendRequest(spec: OutgoingRequestSpec): Promise<FinalResponse> {
    const hop = spec.nextHop ?? this.#opts.outboundProxy ?? spec.requestUri;
    // A numeric next hop (an in-dialog request to a Contact such as sip:alice@192.0.2.1:5060) has
    // one target and needs no DNS (RFC 3263 §4.1, §4.2; planFor): one transaction at once, no await.
    const plan = planFor(hop);
    if (!(plan instanceof UriError) && plan.kind === 'address' && plan.numeric && plan.transport !== 'ws' && plan.transport !== 'wss') {
      const t = this.#transportFor(plan.transport, plan.host);
      if (t !== undefined) {
        return new Promise((resolve) => { this.#attempt(spec, t, plan.host, plan.port, plan.domain, resolve); });
      }
    }
    return this.#resolveAndSend(spec, hop);
  }

  #transportFor(name: TransportName, address: string): Transport | undefined {
    const family = isIP(address) === 6 ? 6 : 4;
    for (const x of this.#transports) if (x.name === name && x.family === family) return x;
    return undefined;
  }

  async #resolveAndSend(spec: OutgoingRequestSpec, hop: string): Promise<FinalResponse> {
    const direct = targetOf(hop);
    if (direct instanceof UriError) throw new TypeError(`sendRequest: ${direct.detail}`);
    // A WebSocket client is reached over the connection it opened, by its alias (ws-transport.ts);
    // everything else is located per RFC 3263 (rfc3263.ts), an outbound proxy too.
    const ws = direct.transport === 'ws' || direct.transport === 'wss';
    const located = ws
      ? { targets: [{ transport: direct.transport, address: direct.host, port: direct.port, domain: direct.name }] }
      : await resolveTargets(hop, this.#dns, { supported: this.#transports.map((x) => x.name).filter((n) => n !== 'ws' && n !== 'wss'), random: Math.random });
    if (located instanceof UriError) throw new TypeError(`sendRequest: ${located.detail}`);
    if (located.targets.length === 0) {
      // RFC 3263 names no status for a URI that resolves to nothing; like a transport failure
      // (RFC 3261 §8.1.3.1) it is a local 503, whose reason says what the resolution found.
      this.#log.debug({ hop, problem: located.problem }, 'sip: next hop did not resolve');
      return local(503, `Service Unavailable (${located.problem ?? 'no target'})`);
    }
    // "the client SHOULD create a new request, which is identical to the previous, but has a
    // different value of the Via branch ID" (RFC 3263 §4.3): tags, Call-ID and CSeq stay.
    const same = { ...spec, fromTag: spec.fromTag ?? randomHex(6), cseq: spec.cseq ?? this.#cseq++ };
    let last = local(503, 'Service Unavailable');
    for (const target of located.targets) {
      const t = ws ? this.#transports.find((x) => x.name === target.transport) : this.#transportFor(target.transport, target.address);
      if (!t) continue;
      same.callId ??= `${randomHex(12)}@${this.#sentBy(t)}`;
      const { res, heard } = await new Promise<{ res: FinalResponse; heard: boolean }>((resolve) => {
        this.#attempt(same, t, target.address, target.port, target.domain, (r, h) => { resolve({ res: r, heard: h }); });
      });
      if (!isFailure(res, heard)) return res;
      this.#log.debug({ target, status: res.status, local: res.local }, 'sip: next hop failed; trying the next one (RFC 3263 §4.3)');
      last = res;
    }
    return last;
  }

  /** One client transaction to one target; `done` hears its final response (or local 408/503)
   * and whether some response (1xx too) came back. */
  #attempt(spec: OutgoingRequestSpec, t: Transport, address: string, port: number, name: string, done: (res: FinalResponse, heard: boolean) => void): void {
    const method = spec.method.toUpperCase();
    const branch = `${MAGIC_COOKIE}${randomHex(10)}`;
    const bytes = this.#requestBytes(spec, method, branch, t);
    const key = clientKey(branch, method);
    const data: ClientTxData = { address, port, name, t, key, heard: false, done };
    const tx = new NonInviteClientTransaction(t.reliable ? this.#nictReliable : this.#nictUnreliable, bytes, data);
    this.#clients.set(key, tx);
    this.clientCounts.started++;
    tx.start();
  }

  /** The request's bytes; the From tag, Call-ID and CSeq number default here (request-writer.ts). */
  #requestBytes(spec: OutgoingRequestSpec, method: string, branch: string, t: Transport): Buffer {
    const local = this.#local(t);
    return writeRequest(spec, {
      method, viaPrefix: local.viaPrefix, branch, contact: local.contact,
      fromTag: spec.fromTag ?? randomHex(6), callId: spec.callId ?? `${randomHex(12)}@${local.sentBy}`, cseq: spec.cseq ?? this.#cseq++,
      userAgent: this.#server,
    });
  }

  /** The shared context of the client transactions over reliable or unreliable transports. */
  #clientContext(reliable: boolean): NictContext<ClientTxData> {
    const failed = (err: unknown, tx: NonInviteClientTransaction<ClientTxData>): void => {
      this.#log.debug({ err, dest: { address: tx.data.address, port: tx.data.port } }, 'sip: request not sent');
      tx.transportError();
    };
    return {
      clock: this.#clock, timers: this.#timers, reliable,
      send: (bytes, tx) => {
        this.clientCounts.sent++;
        const d = tx.data;
        if (d.t.post !== undefined) d.t.post(bytes, d, failed, tx);
        else d.t.send(bytes, d).catch((err: unknown) => { failed(err, tx); });
      },
      response: (res, tx) => {
        const d = tx.data;
        d.heard = true;
        if (res.status < 200) return;
        this.clientCounts.answered++;
        finish(d, new ReceivedFinal(res));
      },
      timeout: (tx) => {
        this.clientCounts.timedOut++;
        finish(tx.data, local(408, 'Request Timeout'));
      },
      transportError: (tx) => {
        this.clientCounts.failed++;
        finish(tx.data, local(503, 'Service Unavailable'));
      },
      terminated: (tx) => { if (this.#clients.get(tx.data.key) === tx) this.#clients.delete(tx.data.key); },
    };
  }

  /** What our requests say about a transport (its address is known once it listens). */
  #local(t: Transport): LocalParts {
    let l = this.#locals.get(t);
    if (l === undefined) {
      const sentBy = this.#sentBy(t);
      l = { sentBy, contact: this.#contact(t), viaPrefix: `SIP/2.0/${t.name.toUpperCase()} ${sentBy};branch=` };
      this.#locals.set(t, l);
    }
    return l;
  }

  /** Our Contact for a transport: <sip:gw@HOST:PORT;transport=X> */
  #contact(t: Transport): string {
    return `<sip:gw@${this.#sentBy(t)};transport=${t.name}>`;
  }

  #sentBy(t: Transport): string {
    let host = this.#opts.viaHost ?? t.local.address;
    if (host === '0.0.0.0' || host === '::') host = hostname();
    return `${host.includes(':') ? `[${host}]` : host}:${t.local.port}`;
  }
}

/** A client transaction's data: where it goes (it is the Peer handed to the transport), its key. */
interface ClientTxData extends Peer {
  name: string;
  t: Transport;
  key: string;
  /** some response (1xx too) came back */
  heard: boolean;
  done: (res: FinalResponse, heard: boolean) => void;
}

/**
 * A final response received, as the endpoint's API gives it: the header fields are decoded into
 * [name, value] pairs when first read (a NOTIFY's 200 is mostly judged by its status alone).
 */
class ReceivedFinal implements FinalResponse {
  readonly status: number;
  readonly reason: string;
  #res: SipResponse | undefined;
  #fields: Array<[string, string]> | undefined;

  constructor(res: SipResponse) {
    this.status = res.status;
    this.reason = res.reason;
    this.#res = res;
  }

  get headers(): Array<[string, string]> {
    if (this.#fields === undefined) {
      const h = (this.#res as SipResponse).headers;
      const fields: Array<[string, string]> = [];
      for (let i = 0; i < h.size; i++) fields.push([h.nameAt(i), h.valueAt(i)]);
      this.#fields = fields;
      this.#res = undefined;
    }
    return this.#fields;
  }

  toJSON(): FinalResponse {
    return { status: this.status, reason: this.reason, headers: this.headers };
  }
}

interface LocalParts { sentBy: string; contact: string; viaPrefix: string }

const DONE = (): void => {};

/**
 * Hands the final answer to the caller, once. The transaction stays in Completed for Timer K (T4
 * over UDP): it lets go of the caller's callback, which holds the promise and through it the
 * response (a whole parsed message per NOTIFY, for 5 s, was old-generation garbage at 15,000/s).
 */
function finish(d: ClientTxData, res: FinalResponse): void {
  const done = d.done;
  d.done = DONE;
  done(res, d.heard);
}

interface CompletedHost {
  resend(r: CompletedResponse): void;
  forget(r: CompletedResponse): void;
}

/** A request as its handler sees it: the header lookups are methods, not two closures a request. */
class Incoming implements IncomingRequest {
  readonly method: string;
  readonly requestUri: string;
  readonly from: IncomingRequest['from'];
  readonly to: IncomingRequest['to'];
  readonly callId: string;
  readonly cseq: number;
  readonly body: Buffer;
  readonly transport: TransportName;
  readonly remote: { address: string; port: number };
  readonly localTag: string;
  readonly localContact: string;
  // Left out rather than undefined when the request has none (a declared field is not defined).
  declare contentType?: string;
  readonly #headers: SipHeaders;

  constructor(
    req: SipRequest, from: IncomingRequest['from'], to: IncomingRequest['to'], checked: CheckedRequest,
    transport: TransportName, remote: { address: string; port: number }, localTag: string, localContact: string,
  ) {
    this.method = req.method;
    this.requestUri = req.uri;
    this.from = from;
    this.to = to;
    this.callId = checked.callId;
    this.cseq = checked.cseq;
    this.body = req.body;
    this.transport = transport;
    this.remote = remote;
    this.localTag = localTag;
    this.localContact = localContact;
    this.#headers = req.headers;
  }

  header(name: string): string | undefined { return this.#headers.all(name)[0]; }

  headers(name: string): string[] { return this.#headers.all(name); }
}

/** What the server transactions of one endpoint share (made once per endpoint). */
interface ServerTxEnv {
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly log: Logger;
  readonly servers: ServerTable<ServerEntry>;
  /** INVITEs without a final response yet, by base key: answers them 487 (CANCEL, §9.2) */
  readonly cancelable: Map<string, () => void>;
  readonly completedHost: CompletedHost;
  /** Timer J (64*T1) of the compact records of completed UDP non-INVITE transactions */
  readonly timerJ: ExpiryQueue;
  /** the Server header value */
  readonly server: string;
}

/** t.post's failure hook: one function for every link, not a closure per response sent. */
function linkSendFailed(err: Error, link: ServerTxLink): void {
  link.sendFailed(err);
}

/**
 * One server transaction's link to its endpoint: the context its state machine calls (send,
 * terminated, completed, retransmissionWhileTrying, ackTimeout) and what the TU answers through
 * (respond), as methods of one object, where a closure per hook and per request cost about a
 * kilobyte a transaction.
 *
 * It holds the request's headers only until the final response is written: a completed INVITE
 * transaction waits up to 64*T1 for its ACK and must not keep the request with every parsed header
 * (at thousands of transactions a second, retained requests made each young-generation GC copy
 * megabytes). A completed UDP non-INVITE transaction gives way to a compact record
 * (CompletedResponse) and this object goes with it.
 */
class ServerTxLink implements NistContext, IstContext {
  readonly #env: ServerTxEnv;
  readonly t: Transport;
  readonly dest: Peer;
  readonly base: string;
  readonly #invite: boolean;
  readonly #toTag: string;
  readonly #toHasTag: boolean;
  /** for the Timer H log line */
  readonly #peer: Peer;
  readonly #callId: string;
  /** the request's headers, until the final response is written */
  #request: SipHeaders | undefined;
  /** set once, right after construction (the transaction is built with this link) */
  tx!: NonInviteServerTransaction | InviteServerTransaction;
  slot!: ServerSlot<ServerEntry>;
  /** only an RFC 2543 INVITE's: its ACK carries our To tag */
  ackSlot: ServerSlot<ServerEntry> | undefined = undefined;
  /** set when a completed UDP non-INVITE transaction gave way to its compact record */
  #record: CompletedResponse | undefined = undefined;

  constructor(
    env: ServerTxEnv, request: SipHeaders, t: Transport, dest: Peer, base: string, invite: boolean,
    toTag: string, toHasTag: boolean, peer: Peer, callId: string,
  ) {
    this.#env = env;
    this.#request = request;
    this.t = t;
    this.dest = dest;
    this.base = base;
    this.#invite = invite;
    this.#toTag = toTag;
    this.#toHasTag = toHasTag;
    this.#peer = peer;
    this.#callId = callId;
  }

  get clock(): Clock { return this.#env.clock; }
  get timers(): TimerValues { return this.#env.timers; }
  get reliable(): boolean { return this.t.reliable; }

  /** The TU's answer. After a final response the transaction discards any other (§17.2.1, §17.2.2). */
  respond(status: number, reason: string, headers?: Array<[string, string]>, body?: Buffer): void {
    const request = this.#request;
    if (request === undefined) return;
    const bytes = writeResponse(request, status, sanitize(reason), { toTag: this.#toTag, toHasTag: this.#toHasTag, server: this.#env.server, headers, body });
    if (status >= 200) {
      this.#request = undefined;
      if (this.#invite) this.#env.cancelable.delete(this.base);
    }
    this.tx.respond(status, bytes);
  }

  retransmissionWhileTrying(): void {
    if (!this.t.reliable) this.respond(100, 'Trying');
  }

  /**
   * Responses made in one turn (a burst of datagrams read together) leave together, as requests
   * do: one wake-up of the peer instead of one per response.
   */
  send(bytes: Buffer): void {
    const t = this.t;
    if (t.post !== undefined) t.post(bytes, this.dest, linkSendFailed, this);
    else t.send(bytes, this.dest).catch((err: unknown) => { this.sendFailed(err); });
  }

  sendFailed(err: unknown): void {
    this.#env.log.debug({ err, dest: this.dest }, 'sip: response not sent');
    this.tx.transportError();
    if (this.#record !== undefined) this.#env.completedHost.forget(this.#record);
  }

  terminated(): void {
    const servers = this.#env.servers;
    servers.remove(this.slot);
    if (this.ackSlot !== undefined) servers.remove(this.ackSlot);
    if (this.#invite) this.#env.cancelable.delete(this.base);
  }

  /**
   * Completed over UDP: the transaction object and this link give way to a compact record of the
   * response bytes, its destination and keys, expired by the shared Timer J queue (at 10-20k tx/s,
   * 64*T1 of live transactions were hundreds of MB).
   */
  completed(bytes: Buffer): void {
    const r = new CompletedResponse(bytes, this.t, this.dest, this.slot, this.#env.completedHost);
    this.#record = r;
    this.slot.value = r;
    this.#env.timerJ.add(r);
  }

  ackTimeout(): void {
    this.#env.log.debug({ peer: this.#peer, callId: this.#callId }, 'sip: no ACK for our final response to INVITE (Timer H)');
  }
}

/**
 * A UDP non-INVITE server transaction in Completed, reduced to what that state needs: "While in the
 * "Completed" state, the server transaction MUST pass the final response to the transport layer for
 * retransmission whenever a retransmission of the request is received" until "Timer J fires" and it
 * is "Terminated" (RFC 3261 §17.2.2); a transport failure also terminates it (§17.2.4).
 */
class CompletedResponse {
  /**
   * The final response's bytes: `length` bytes at `offset` in `slab`, where keep() copied them. A
   * slab holds only responses kept until Timer J: a slice of a slab shared with transient messages
   * keeps all of them alive as long (one of Node's shared pool kept ~900 bytes of other garbage per
   * transaction, measured at 20,000/s). The slab and offset, not a Buffer view per record: records
   * live 64*T1, and each byte of them is copied by a young-generation GC.
   */
  readonly slab: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly t: Transport;
  readonly dest: Peer;
  /** where the endpoint's table holds this record (it held the transaction before) */
  readonly slot: ServerSlot<ServerEntry>;
  readonly #host: CompletedHost;

  constructor(bytes: Buffer, t: Transport, dest: Peer, slot: ServerSlot<ServerEntry>, host: CompletedHost) {
    this.offset = keep(bytes);
    this.slab = keptSlab();
    this.length = bytes.length;
    this.t = t;
    this.dest = dest;
    this.slot = slot;
    this.#host = host;
  }

  get bytes(): Buffer { return this.slab.subarray(this.offset, this.offset + this.length); }

  receiveRequest(): void { this.#host.resend(this); }

  /** Timer J */
  expire(): void { this.#host.forget(this); }
}

type ServerEntry = NonInviteServerTransaction | InviteServerTransaction | CompletedResponse;

function local(status: number, reason: string): FinalResponse {
  return { status, reason, headers: [], local: true };
}

/** A reason phrase with its control characters made "?" (it is written into the Status-Line). */
function sanitize(reason: string): string {
  for (let i = 0; i < reason.length; i++) {
    const c = reason.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return reason.replace(/[\x00-\x1f\x7f]/g, '?');
  }
  return reason;
}

export type { TransportName };
