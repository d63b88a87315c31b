// A small XMPP c2s client for tests (RFC 6120): plaintext TCP on loopback, SASL PLAIN (RFC 4616),
// resource binding, the legacy session if required, and initial presence. Received stanzas are
// queued as XmlElement data; tests take them with nextStanza(predicate).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { el, child, text } from '../../translators/xml.ts';
import type { XmlElement } from '../../translators/xml.ts';
import { LOOPBACK } from './ports.ts';
import { createStreamReader } from './xml-stream.ts';
import { toXml } from './xml-write.ts';
import type { Writable } from './xml-write.ts';

const NS_CLIENT = 'jabber:client';
const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';

export interface ClientOptions {
  readonly port: number;
  readonly host?: string;
  /** Bare JID, e.g. bob@xmpp.test. */
  readonly jid: string;
  readonly password: string;
  readonly resource?: string;
  /** Send initial presence and wait for its reflection (default true). */
  readonly presence?: boolean;
  /** Timeout for each step of the login (default 5 s). */
  readonly timeoutMs?: number;
}

export interface XmppClient {
  /** Full JID bound by the server. */
  readonly jid: string;
  send(stanza: Writable): void;
  /** The first queued (or next arriving) stanza matching the predicate; others stay queued. */
  nextStanza(predicate?: (s: XmlElement) => boolean, timeoutMs?: number): Promise<XmlElement>;
  /** Sends an <iq/> (an id is added if missing) and resolves with the result or error iq. */
  iq(stanza: XmlElement, timeoutMs?: number): Promise<XmlElement>;
  /** Stanzas received and not yet taken. */
  pending(): readonly XmlElement[];
  /** Resolves when the stream or socket closes. */
  readonly closed: Promise<void>;
  /** Closes the stream politely and the socket; idempotent. */
  close(): Promise<void>;
}

export class XmppClientError extends Error {
  override name = 'XmppClientError';
}

interface Waiter {
  predicate: (s: XmlElement) => boolean;
  resolve: (s: XmlElement) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

function splitJid(jid: string): { local: string; domain: string } {
  const at = jid.indexOf('@');
  const slash = jid.indexOf('/');
  if (at <= 0) throw new XmppClientError(`not a bare JID with a localpart: ${jid}`);
  return { local: jid.slice(0, at), domain: jid.slice(at + 1, slash < 0 ? undefined : slash) };
}

function streamHeader(domain: string): string {
  return `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xml:lang='en' xmlns='${NS_CLIENT}' xmlns:stream='${NS_STREAM}'>`;
}

export async function connectClient(o: ClientOptions): Promise<XmppClient> {
  const { local, domain } = splitJid(o.jid);
  const stepMs = o.timeoutMs ?? 5000;
  const queue: XmlElement[] = [];
  const waiters: Waiter[] = [];
  let failure: Error | undefined;
  let closedResolve: () => void = () => undefined;
  const closed = new Promise<void>((r) => (closedResolve = r));

  const sock = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: o.host ?? LOOPBACK, port: o.port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });

  const fail = (err: Error): void => {
    failure ??= err;
    for (const w of waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(failure);
    }
  };

  const deliver = (s: XmlElement): void => {
    const i = waiters.findIndex((w) => w.predicate(s));
    if (i < 0) {
      queue.push(s);
      return;
    }
    const [w] = waiters.splice(i, 1);
    clearTimeout(w!.timer);
    w!.resolve(s);
  };

  // A new reader per stream (RFC 6120 §4.3.3: the stream restarts after SASL success).
  let reader = newReader();
  function newReader(): ReturnType<typeof createStreamReader> {
    return createStreamReader({
      onOpen: () => undefined,
      onElement: (e) => {
        if (e.name === 'stream:error') fail(new XmppClientError(`stream error: ${e.children.map((c) => (typeof c === 'string' ? c : c.name)).join(' ')}`));
        deliver(e);
      },
      onClose: () => {
        fail(new XmppClientError('stream closed by server'));
        if (!sock.destroyed) sock.end('</stream:stream>');
      },
      onError: (err) => {
        fail(new XmppClientError(`XML parse error: ${err.message}`, { cause: err }));
        sock.destroy();
      },
    });
  }

  const nextStanza = (predicate: (s: XmlElement) => boolean = () => true, timeoutMs = 5000): Promise<XmlElement> => {
    const i = queue.findIndex(predicate);
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]!);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new XmppClientError(`no matching stanza within ${timeoutMs} ms; queued: ${queue.map((q) => toXml(q)).join(' ')}`));
        }, timeoutMs),
      };
      waiters.push(w);
    });
  };

  const write = (s: string): void => {
    if (sock.destroyed) throw new XmppClientError('socket is closed');
    sock.write(s);
  };

  const iq = async (stanza: XmlElement, timeoutMs = 5000): Promise<XmlElement> => {
    const id = stanza.attrs.id ?? randomUUID();
    const withId: XmlElement = { ...stanza, attrs: { ...stanza.attrs, id } };
    const reply = nextStanza((s) => s.name === 'iq' && s.attrs.id === id && (s.attrs.type === 'result' || s.attrs.type === 'error'), timeoutMs);
    write(toXml(withId));
    return reply;
  };

  const isNonza = (name: string, xmlns: string) => (s: XmlElement) => s.name === name && (s.attrs.xmlns ?? '') === xmlns;

  sock.on('data', (chunk: Buffer) => reader.write(chunk));
  sock.on('error', (err) => fail(new XmppClientError(`socket error: ${err.message}`, { cause: err })));
  sock.on('close', () => {
    fail(new XmppClientError('socket closed'));
    closedResolve();
  });

  try {
    // Stream 1: SASL PLAIN.
    write(streamHeader(domain));
    const features1 = await nextStanza((s) => s.name === 'stream:features', stepMs);
    const mechs = child(features1, 'mechanisms', NS_SASL);
    const offered = mechs ? mechs.children.filter((c) => typeof c !== 'string').map((c) => text(c)) : [];
    if (!offered.includes('PLAIN')) throw new XmppClientError(`server does not offer SASL PLAIN (offers: ${offered.join(', ') || 'none'})`);
    const authz = Buffer.from(`\0${local}\0${o.password}`, 'utf8').toString('base64');
    write(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${authz}</auth>`);
    const outcome = await nextStanza((s) => isNonza('success', NS_SASL)(s) || isNonza('failure', NS_SASL)(s), stepMs);
    if (outcome.name === 'failure') {
      const cond = outcome.children.find((c) => typeof c !== 'string');
      throw new XmppClientError(`SASL PLAIN failed for ${o.jid}: ${typeof cond === 'object' ? cond.name : 'unknown'}`);
    }

    // Stream 2: bind, session.
    reader = newReader();
    write(streamHeader(domain));
    const features2 = await nextStanza((s) => s.name === 'stream:features', stepMs);
    if (!child(features2, 'bind', NS_BIND)) throw new XmppClientError('server does not offer resource binding');
    const bindChildren = o.resource === undefined ? [] : [el('resource', {}, o.resource)];
    const bound = await iq(el('iq', { type: 'set' }, el('bind', { xmlns: NS_BIND }, ...bindChildren)), stepMs);
    const jidEl = child(child(bound, 'bind', NS_BIND) ?? el('none'), 'jid');
    if (bound.attrs.type !== 'result' || !jidEl) throw new XmppClientError(`resource binding failed: ${toXml(bound)}`);
    const fullJid = text(jidEl);
    const session = child(features2, 'session', NS_SESSION);
    if (session && !child(session, 'optional')) {
      const res = await iq(el('iq', { type: 'set' }, el('session', { xmlns: NS_SESSION })), stepMs);
      if (res.attrs.type !== 'result') throw new XmppClientError(`session establishment failed: ${toXml(res)}`);
    }

    // Initial presence (RFC 6121 §4.2); the server reflects it to the sending resource.
    if (o.presence ?? true) {
      write('<presence/>');
      await nextStanza((s) => s.name === 'presence' && s.attrs.from === fullJid && s.attrs.type === undefined, stepMs);
    }

    let closing: Promise<void> | undefined;
    const client: XmppClient = {
      jid: fullJid,
      send: (stanza) => write(toXml(stanza)),
      nextStanza,
      iq,
      pending: () => [...queue],
      closed,
      close: () => {
        closing ??= (async () => {
          if (!sock.destroyed) {
            sock.end('</stream:stream>');
            const t = setTimeout(() => sock.destroy(), 1000);
            await closed;
            clearTimeout(t);
          }
        })();
        return closing;
      },
    };
    return client;
  } catch (err) {
    sock.destroy();
    throw err;
  }
}
