// SIP watcher → XMPP user, with I/O: answers watcher SUBSCRIBEs (watcher-rules.ts), keeps the
// dialogs, approvals and the watched users' presence in the store, and NOTIFYs on every change.
// The document NOTIFYed is the user's XMPP presence composed with what SIP publishers PUBLISHed for
// the user (compositor.ts, translators/pidf-compose.ts).
import { buildPidf, type PidfDocument } from '../../../translators/pidf.ts';
import { composePidf } from '../../../translators/pidf-compose.ts';
import { xmppPresenceToPidfModel } from '../../../translators/presence.ts';
import type { XmlElement } from '../../../translators/xml.ts';
import type { WatcherDecision, WatcherDialogsReply, WatcherEndedEvent, WatcherNotify, WatcherNotifyCommand, WatcherSubscribeRequest } from '../../bus/presence-subjects.ts';
import { SUBJECTS } from '../../bus/subjects.ts';
import { FifoMap } from '../../fifo-map.ts';
import { admit } from '../../policy/admission.ts';
import type { PresenceStore, StoredResourcePresence, WatcherSubscription } from '../../store/presence-store.ts';
import type { CoreContext } from '../context.ts';
import { jidDomain, jidLocal, uriParts } from '../routing.ts';
import { afterAccept, classify, DEFAULT_WATCHER_POLICY, onXmppPresence, onXmppSubscription, type NotifySpec, type WatcherAction, type WatcherPolicy } from './watcher-rules.ts';
import { presenceOfType } from './xmpp-presence.ts';

export interface WatcherDeps {
  ctx: CoreContext;
  store: PresenceStore;
  policy?: WatcherPolicy;
  send(stanza: XmlElement): Promise<void>;
  /** A local SIP user's JID on the XMPP side (and back), and the XMPP user a SIP URI names. */
  jidOfSipUser(uri: string): string | undefined;
  sipUriOfJid(jid: string, domain: string): string | undefined;
  xmppUserOfSipUri(uri: string): string | undefined;
  sipUriOfXmppUser(jid: string): string | undefined;
  /** The documents SIP publishers published for an XMPP user (none when absent). */
  publishedOf?(jid: string): readonly PidfDocument[];
}

/** An XMPP user's presence as last seen, and its NOTIFY `active` document once built. */
interface Current { resources: StoredResourcePresence[]; active?: WatcherNotify }

/** How many XMPP users' current presence is kept in memory (ours). */
const OWNER_CACHE = 10_000;

export class Watchers {
  readonly #d: WatcherDeps;
  readonly #policy: WatcherPolicy;
  readonly #owners = new FifoMap<Current>(OWNER_CACHE);

  constructor(deps: WatcherDeps) {
    this.#d = deps;
    this.#policy = deps.policy ?? DEFAULT_WATCHER_POLICY;
  }

  async onSubscribe(req: WatcherSubscribeRequest): Promise<WatcherDecision> {
    const { ctx, store } = this.#d;
    const c = classify({ event: req.event, expires: req.expires, accept: req.accept, existing: req.existing }, this.#policy);
    if (!c.ok) return { status: c.answer.status, ...(c.answer.reason !== undefined && { reason: c.answer.reason }), ...(c.answer.headers && { headers: c.answer.headers.map(([k, v]) => [k, v] as [string, string]) }) };
    const watcherParts = uriParts(req.watcher);
    const watcherJid = this.#d.jidOfSipUser(req.watcher);
    if (!watcherParts || !watcherJid || !ctx.config.sip.domains.includes(watcherParts.domain)) {
      return { status: 403, reason: 'Forbidden (the watcher is not a user of this gateway)' };
    }
    // In a dialog the Request-URI is our Contact: the dialog's target is the one it was created for.
    const known = req.existing ? await store.getWatcher(req.key) : undefined;
    const target = known?.target ?? this.#d.xmppUserOfSipUri(req.existing ? req.target : req.requestUri);
    if (target === undefined || ctx.config.sip.domains.includes(jidDomain(target))) return { status: 404, reason: 'Not Found' };
    const verdict = admit(ctx.config.peers, {
      service: 'presence', direction: 'outbound',
      local: { user: watcherParts.user, domain: watcherParts.domain }, remote: { network: 'xmpp', domain: jidDomain(target) },
    });
    if (!verdict.ok) {
      ctx.metrics.policyDecisions.inc({ decision: 'refuse', reason: verdict.code });
      return { status: 403, reason: 'Forbidden' };
    }
    const watcher = this.#d.sipUriOfJid(watcherJid, watcherParts.domain) ?? req.watcher;
    const approved = await store.isApproved(target, watcher);
    const current = await this.#current(target);
    let immediate: WatcherNotify | undefined;
    const actions = afterAccept(c.kind, approved, current.resources.length > 0);
    for (const a of actions) {
      if (a.type === 'notify') {
        immediate = this.#notifyOf(a.notify, target, current);
      } else {
        await this.#apply(a, req.key, watcher, watcherJid, target, c.expires, req.dialog ?? known?.dialog);
      }
    }
    return { status: 200, reason: 'OK', expires: c.expires, ...(immediate !== undefined && { notify: immediate }) };
  }

  /** The XMPP user `owner` answered (or withdrew) the subscription of the SIP user `to`. */
  async onXmppSubscription(type: 'subscribed' | 'unsubscribed', owner: string, watcherJid: string, componentDomain: string): Promise<void> {
    const watcher = this.#d.sipUriOfJid(watcherJid, componentDomain);
    if (watcher === undefined) return;
    const actions = onXmppSubscription(type);
    await this.#forDialogs(actions, owner, watcher, watcherJid);
  }

  /**
   * A presence of `owner` (one resource) reached the SIP user `watcherJid`. The XMPP server sends
   * one such stanza per contact, so the same change arrives once per watcher: the owner's state and
   * its NOTIFY document are kept (bounded) and reused until the state changes (ours).
   */
  async onXmppPresence(owner: string, resource: StoredResourcePresence, watcherJid: string, componentDomain: string): Promise<void> {
    const watcher = this.#d.sipUriOfJid(watcherJid, componentDomain);
    if (watcher === undefined) return;
    const approved = await this.#d.store.isApproved(owner, watcher);
    if (!approved) return;
    const current = await this.#current(owner);
    const i = current.resources.findIndex((r) => r.resource === resource.resource);
    if (i < 0 || !sameValue(current.resources[i], resource)) {
      await this.#d.store.setXmppPresence(owner, resource.resource, resource);
      if (i < 0) current.resources.push(resource);
      else current.resources[i] = resource;
      delete current.active;
    }
    await this.#forDialogs(onXmppPresence(true), owner, watcher, watcherJid);
  }

  /**
   * What SIP publishers published for `owner` changed (compositor.ts): for the watchers that is a
   * change of the presence they see, so every approved dialog gets the composed document (the rule
   * of an XMPP presence change). Nothing goes to XMPP: published state is NOTIFYed only.
   */
  async onPublished(owner: string): Promise<void> {
    const current = await this.#current(owner);
    delete current.active;
    const approvals = new Map<string, boolean>();
    for (const w of await this.#d.store.watchersOf(owner)) {
      let approved = approvals.get(w.watcher);
      if (approved === undefined) {
        approved = await this.#d.store.isApproved(owner, w.watcher);
        approvals.set(w.watcher, approved);
      }
      for (const a of onXmppPresence(approved)) {
        if (a.type === 'notify') this.#publish(w, this.#notifyOf(a.notify, owner, current));
      }
    }
  }

  async #current(owner: string): Promise<Current> {
    let c = this.#owners.get(owner);
    if (c !== undefined) return c;
    const resources = await this.#d.store.getXmppPresence(owner);
    // Another handler (a SUBSCRIBE, a presence, a PUBLISH of the same user) may have loaded and
    // changed it meanwhile: that one is current; replacing it would lose its change.
    c = this.#owners.get(owner);
    if (c !== undefined) return c;
    c = { resources };
    this.#owners.set(owner, c);
    return c;
  }

  /** The dialogs the SIP edge served before a restart, with the state it stored (watcherDialogs). */
  async storedDialogs(): Promise<WatcherDialogsReply> {
    const dialogs: WatcherDialogsReply['dialogs'] = [];
    for (const w of await this.#d.store.listWatchers()) if (w.dialog !== undefined) dialogs.push({ key: w.id, dialog: w.dialog, expiresAt: w.expiresAt });
    return { dialogs };
  }

  async onEnded(ev: WatcherEndedEvent): Promise<void> {
    // Expiry ends the dialog only: the roster approval stays (MAPPINGS §4).
    await this.#d.store.deleteWatcher(ev.key);
  }

  async #forDialogs(actions: readonly WatcherAction[], owner: string, watcher: string, watcherJid: string): Promise<void> {
    const dialogs = await this.#d.store.watchersOf(owner, watcher);
    const current = actions.some((a) => a.type === 'notify' && a.notify.document) ? await this.#current(owner) : { resources: [] };
    for (const a of actions) {
      if (a.type === 'approval') {
        await this.#apply(a, '', watcher, watcherJid, owner, 0);
        continue;
      }
      for (const w of dialogs) {
        if (a.type === 'notify') {
          this.#publish(w, this.#notifyOf(a.notify, owner, current));
        } else {
          await this.#apply(a, w.id, watcher, watcherJid, owner, 0);
        }
      }
    }
  }

  /**
   * The NOTIFY for `n`. An active one with a document carries the user's current document, built
   * and serialised once per change and shared by every dialog and SUBSCRIBE until the next change
   * (100,000 subscriptions to 10,000 users made 100,000 PIDF trees and bodies otherwise).
   */
  #notifyOf(n: NotifySpec, owner: string, current: Current): WatcherNotify {
    const active = n.state === 'active' && n.document;
    if (active && current.active !== undefined) return current.active;
    const out = this.#notification(n, owner, current.resources);
    if (active) current.active = out;
    return out;
  }

  #publish(w: WatcherSubscription, notify: WatcherNotify): void {
    const cmd: WatcherNotifyCommand = { key: w.id, notify, expiresAt: w.expiresAt, ...(w.dialog !== undefined && { dialog: w.dialog }) };
    this.#d.ctx.bus.publish(SUBJECTS.watcherNotify, cmd);
  }

  async #apply(a: Exclude<WatcherAction, { type: 'notify' }>, key: string, watcher: string, watcherJid: string, target: string, expires: number, dialog?: string): Promise<void> {
    const { store } = this.#d;
    switch (a.type) {
      case 'save-dialog':
        await store.putWatcher({ id: key, watcher, target, expiresAt: Date.now() + expires * 1000, ...(dialog !== undefined && { dialog }) });
        break;
      case 'forget-dialog':
        await store.deleteWatcher(key);
        break;
      case 'approval':
        await store.setApproval(target, watcher, a.approved);
        break;
      case 'xmpp':
        await this.#d.send(presenceOfType(a.presence, watcherJid, target));
        break;
    }
  }

  #notification(n: NotifySpec, target: string, resources: readonly StoredResourcePresence[]): WatcherNotify {
    const out: WatcherNotify = { state: n.state, ...(n.reason !== undefined && { reason: n.reason }) };
    if (!n.document) return out;
    const entity = this.#d.sipUriOfXmppUser(target) ?? `pres:${jidLocal(target)}@${jidDomain(target)}`;
    const xmpp = xmppPresenceToPidfModel({ entity, resources, now: new Date().toISOString() });
    return { ...out, pidf: buildPidf(composePidf(xmpp, this.#d.publishedOf?.(target) ?? [])) };
  }
}

/**
 * Two JSON values are equal (what comparing their JSON.stringify meant, without building two
 * strings per presence stanza of a fan-out; properties compared by name, not in order).
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    defined++;
    if (!sameValue(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) defined--;
  return defined === 0;
}
