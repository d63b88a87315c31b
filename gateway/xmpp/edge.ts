// The XMPP edge: one ComponentLink per configured component. It answers the iqs it owns
// (iq-responder.ts), hands messages and presences to the rest of Parley, and routes outgoing
// stanzas to the component whose domain is the domainpart of their 'from'.
import type { XmlElement } from '../../translators/xml.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { ComponentLink } from './component-link.ts';
import type { ComponentLinkOptions } from './component-link.ts';
import { answerIq } from './iq-responder.ts';
import { jidDomain } from './stanza.ts';

export { ComponentOfflineError } from './component-link.ts';

export interface ComponentConfig {
  readonly domain: string;
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export interface XmppEdgeOptions {
  readonly components: readonly ComponentConfig[];
  readonly log: Logger;
  readonly clock?: Clock;
  readonly limits?: ComponentLinkOptions['limits'];
  readonly backoff?: ComponentLinkOptions['backoff'];
  readonly random?: () => number;
}

/** send() of a stanza whose 'from' is not on any configured component domain. */
export class UnknownComponentError extends Error {
  override readonly name = 'UnknownComponentError';
  readonly domain: string;
  constructor(domain: string) {
    super(`no XMPP component for domain ${JSON.stringify(domain)}`);
    this.domain = domain;
  }
}

export type EdgeStanzaHandler = (stanza: XmlElement, componentDomain: string) => void;
export type EdgeStatusHandler = (componentDomain: string, online: boolean, reason?: string) => void;

export class XmppEdge {
  readonly #links = new Map<string, ComponentLink>();
  readonly #log: Logger;
  readonly #stanzaHandlers: EdgeStanzaHandler[] = [];

  constructor(opts: XmppEdgeOptions) {
    this.#log = opts.log.child({ edge: 'xmpp' });
    for (const c of opts.components) {
      const link = new ComponentLink({
        ...c, log: this.#log, clock: opts.clock, limits: opts.limits, backoff: opts.backoff, random: opts.random,
      });
      link.onStanza((stanza) => { this.#onStanza(link, stanza); });
      this.#links.set(c.domain.toLowerCase(), link);
    }
  }

  /** Resolves once every link's first attempt is settled (online or retrying). */
  async start(): Promise<void> {
    await Promise.all([...this.#links.values()].map((l) => l.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#links.values()].map((l) => l.stop()));
  }

  /** Whether one component (or, without a domain, every component) is online. */
  online(domain?: string): boolean {
    if (domain !== undefined) return this.#links.get(domain.toLowerCase())?.online === true;
    return [...this.#links.values()].every((l) => l.online);
  }

  /** Messages and presences (iqs are answered here). */
  onStanza(handler: EdgeStanzaHandler): void {
    this.#stanzaHandlers.push(handler);
  }

  onStatus(handler: EdgeStatusHandler): void {
    for (const [domain, link] of this.#links) link.onStatus((online, reason) => { handler(domain, online, reason); });
  }

  /** Routes by the domainpart of 'from'; rejects with UnknownComponentError or ComponentOfflineError. */
  send(stanza: XmlElement): Promise<void> {
    const domain = jidDomain(stanza.attrs.from ?? '');
    const link = this.#links.get(domain);
    if (link === undefined) return Promise.reject(new UnknownComponentError(domain));
    return link.send(stanza);
  }

  #onStanza(link: ComponentLink, stanza: XmlElement): void {
    if (stanza.name === 'iq') {
      const reply = answerIq(stanza);
      if (reply === undefined) {
        this.#log.debug({ type: stanza.attrs.type, id: stanza.attrs.id }, 'iq not answered');
        return;
      }
      link.send(reply).catch((err: unknown) => {
        this.#log.warn({ err: String(err) }, 'iq reply not sent');
      });
      return;
    }
    if (stanza.name !== 'message' && stanza.name !== 'presence') {
      this.#log.debug({ stanza: stanza.name }, 'unknown top-level element ignored');
      return;
    }
    for (const h of this.#stanzaHandlers) h(stanza, link.domain);
  }
}
