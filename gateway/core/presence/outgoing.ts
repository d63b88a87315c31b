// XMPP user → SIP presentity, with I/O: runs the actions of outgoing-fsm.ts (SUBSCRIBE commands
// over the bus, stanzas, the store, one timer per subscription) and feeds it the results.
import { pidfToXmppPresence } from '../../../translators/presence.ts';
import type { XmlElement } from '../../../translators/xml.ts';
import type { SipSubscribeCommand, SipSubscriptionEvent, SubscribeResult } from '../../bus/presence-subjects.ts';
import { SUBJECTS } from '../../bus/subjects.ts';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { PresenceStore } from '../../store/presence-store.ts';
import type { CoreContext } from '../context.ts';
import { DEFAULT_OUTGOING_POLICY, resume, step, type OutgoingAction, type OutgoingEvent, type OutgoingPolicy, type OutgoingState } from './outgoing-fsm.ts';
import { SerialQueues } from './serial.ts';
import { presenceOfType } from './xmpp-presence.ts';

export interface OutgoingDeps {
  ctx: CoreContext;
  store: PresenceStore;
  clock: Clock;
  policy?: OutgoingPolicy;
  send(stanza: XmlElement): Promise<void>;
  /** The JID a SIP presentity has on the XMPP side, and the SIP URI of an XMPP user. */
  jidOfSipUser(uri: string): string | undefined;
  sipUriOfXmppUser(jid: string): string | undefined;
}

interface Live {
  state: OutgoingState;
  timer?: TimerHandle;
  createdAt: number;
  /** the dialog state of the last SUBSCRIBE answered 2xx (stored, to end it after a restart) */
  dialog?: string;
  /** after a restart: the dialog state of the process before, until the SIP edge took its end */
  stale?: string;
}

const EDGE_DOWN = 'SIP edge not available';

const SEP = '\u0000';
export const outgoingKey = (jid: string, presentity: string): string => `${jid}${SEP}${presentity}`;

export class OutgoingSubscriptions {
  readonly #d: OutgoingDeps;
  readonly #policy: OutgoingPolicy;
  readonly #live = new Map<string, Live>();
  /**
   * What goes to the XMPP subscriber, per subscription, in the order the events came: a NOTIFY's
   * document is several stanzas (one per tuple) sent one after the other and stored once sent, and
   * the last presence is read from the store, so two NOTIFYs in quick succession, or a probe during
   * one, would otherwise interleave (a resource's older state delivered after its newer one, an
   * older document kept as the last) and an `unsubscribed` could overtake the presence before it.
   */
  readonly #toXmpp: SerialQueues;

  constructor(deps: OutgoingDeps) {
    this.#d = deps;
    this.#policy = deps.policy ?? DEFAULT_OUTGOING_POLICY;
    this.#toXmpp = new SerialQueues((err, key) => { deps.ctx.log.warn({ err, key }, 'presence to XMPP not sent'); });
  }

  get size(): number { return this.#live.size; }

  /** After a restart: every stored subscription gets a new SUBSCRIBE dialog. */
  async resumeAll(): Promise<number> {
    const stored = await this.#d.store.listOutgoing();
    for (const s of stored) {
      const r = resume(s);
      // The dialog(s) of the process before linger at the presence server: they are ended (best
      // effort) with the first re-SUBSCRIBE the SIP edge takes.
      const live: Live = { state: r.state as OutgoingState, createdAt: s.createdAt, ...(s.dialog !== undefined && { stale: s.dialog }) };
      this.#live.set(outgoingKey(s.jid, s.presentity), live);
      this.#run(s.jid, s.presentity, r.actions, undefined);
    }
    return stored.length;
  }

  handle(jid: string, presentity: string, e: OutgoingEvent, notify?: Extract<SipSubscriptionEvent, { kind: 'notify' }>): void {
    const key = outgoingKey(jid, presentity);
    const live = this.#live.get(key);
    const r = step(live?.state, e, this.#policy);
    if (r.state === undefined) {
      live?.timer?.cancel();
      this.#live.delete(key);
    } else if (live) {
      live.state = r.state;
    } else {
      this.#live.set(key, { state: r.state, createdAt: Date.now() });
    }
    this.#run(jid, presentity, r.actions, notify);
  }

  /** A SIP-side event on one of our dialogs (bus: sipSubscriptionEvent). */
  onSipEvent(ev: SipSubscriptionEvent): void {
    const cut = ev.key.indexOf(SEP);
    if (cut < 0) return;
    const jid = ev.key.slice(0, cut);
    const presentity = ev.key.slice(cut + 1);
    if (ev.kind === 'terminated') {
      this.handle(jid, presentity, {
        type: 'terminated', gen: ev.gen,
        ...(ev.reason !== undefined && { reason: ev.reason }), ...(ev.retryAfter !== undefined && { retryAfter: ev.retryAfter }), ...(ev.status !== undefined && { status: ev.status }),
      });
      return;
    }
    this.handle(jid, presentity, {
      type: 'notify', gen: ev.gen, state: ev.state, hasBody: ev.body.byteLength > 0,
      ...(ev.reason !== undefined && { reason: ev.reason }), ...(ev.retryAfter !== undefined && { retryAfter: ev.retryAfter }), ...(ev.expires !== undefined && { expires: ev.expires }),
    }, ev);
  }

  stop(): void {
    for (const l of this.#live.values()) l.timer?.cancel();
  }

  #run(jid: string, presentity: string, actions: readonly OutgoingAction[], notify: Extract<SipSubscriptionEvent, { kind: 'notify' }> | undefined): void {
    const key = outgoingKey(jid, presentity);
    const { ctx, store } = this.#d;
    const fail = (what: string) => (err: unknown): void => { ctx.log.warn({ err, jid, presentity }, what); };
    for (const a of actions) {
      switch (a.type) {
        case 'sip-subscribe': {
          const from = this.#d.sipUriOfXmppUser(jid);
          if (from === undefined) break;
          const stale = this.#live.get(key)?.stale;
          if (stale !== undefined) this.#endStale(jid, presentity, stale);
          const cmd: SipSubscribeCommand = { op: 'subscribe', key, gen: a.gen, requestUri: presentity, from: { uri: from }, to: { uri: presentity }, expires: a.expires };
          void this.#command(cmd).then(({ dialog, ...r }) => {
            // The dialog state of the last SUBSCRIBE that got a 2xx, kept with the next save.
            const live = this.#live.get(key);
            if (live && live.state.gen === a.gen && r.status >= 200 && r.status < 300) {
              if (dialog === undefined) delete live.dialog;
              else live.dialog = dialog;
            }
            this.handle(jid, presentity, { type: 'subscribe-result', gen: a.gen, ...r });
          });
          break;
        }
        case 'sip-refresh':
          void this.#command({ op: 'refresh', key, gen: a.gen, expires: a.expires }).then((r) => { this.handle(jid, presentity, { type: 'refresh-result', gen: a.gen, ...r }); });
          break;
        case 'sip-unsubscribe':
          void this.#command({ op: 'unsubscribe', key, gen: a.gen });
          break;
        case 'xmpp-subscribed':
        case 'xmpp-unsubscribed': {
          const from = this.#d.jidOfSipUser(presentity);
          const stanza = from === undefined ? undefined : presenceOfType(a.type === 'xmpp-subscribed' ? 'subscribed' : 'unsubscribed', from, jid);
          if (stanza) this.#toXmpp.run(key, () => this.#d.send(stanza).catch(fail('subscription answer not sent')));
          // "the contact's server MUST then also send presence notifications of type "unavailable"
          // from all of the contact's online resources to the user" (RFC 6121 §3.2.2): the user's
          // client must not go on showing the presentity online once the subscription is gone.
          if (stanza && a.type === 'xmpp-unsubscribed') this.#toXmpp.run(key, () => this.#goneOffline(jid, presentity).catch(fail('unavailable not sent')));
          break;
        }
        case 'xmpp-unavailable':
          this.#toXmpp.run(key, () => this.#goneOffline(jid, presentity).catch(fail('unavailable not sent')));
          break;
        case 'xmpp-last-presence':
          this.#toXmpp.run(key, () => this.#lastPresence(jid, presentity).catch(fail('last presence not sent')));
          break;
        case 'forward':
          if (notify) this.#toXmpp.run(key, () => this.#forward(jid, presentity, notify).catch(fail('NOTIFY not forwarded')));
          break;
        case 'timer': {
          const live = this.#live.get(key);
          if (!live) break;
          live.timer?.cancel();
          delete live.timer;
          if (a.inMs !== undefined) live.timer = this.#d.clock.setTimer(a.inMs, () => { this.handle(jid, presentity, { type: 'timer' }); });
          break;
        }
        case 'save': {
          const live = this.#live.get(key);
          if (!live) break;
          const s = live.state;
          store.putOutgoing({
            jid, presentity, confirmed: s.confirmed, expires: s.expires, attempts: s.attempts, createdAt: live.createdAt,
            ...(live.dialog !== undefined && { dialog: live.dialog }),
          }).catch(fail('subscription not saved'));
          break;
        }
        case 'forget':
          store.deleteOutgoing(jid, presentity).catch(fail('subscription not deleted'));
          break;
      }
    }
  }

  async #command(cmd: SipSubscribeCommand): Promise<SubscribeResult> {
    try {
      return (await this.#d.ctx.bus.request(SUBJECTS.sipSubscribe, cmd, { timeoutMs: 40_000 })) as SubscribeResult;
    } catch (err) {
      this.#d.ctx.log.warn({ err, key: cmd.key, op: cmd.op }, 'SIP edge did not take a SUBSCRIBE');
      return { status: 503, reason: EDGE_DOWN };
    }
  }

  #endStale(jid: string, presentity: string, dialog: string): void {
    const key = outgoingKey(jid, presentity);
    void this.#command({ op: 'end-stale', key, gen: 0, dialog }).then((r) => {
      const live = this.#live.get(key);
      if (r.reason === EDGE_DOWN || live?.stale !== dialog) return;
      delete live.stale;
      this.#d.ctx.log.debug({ jid, presentity, status: r.status }, 'SUBSCRIBE dialog of the last run ended');
    });
  }

  async #sendPidf(jid: string, presentity: string, pidf: Uint8Array | string): Promise<boolean> {
    const from = this.#d.jidOfSipUser(presentity);
    if (from === undefined) return false;
    const stanzas = pidfToXmppPresence(pidf, { from, to: jid });
    if (!stanzas.ok) {
      this.#d.ctx.log.info({ presentity, detail: stanzas.error.detail }, 'PIDF not translated');
      return false;
    }
    for (const s of stanzas.value) await this.#d.send(s);
    return true;
  }

  async #forward(jid: string, presentity: string, n: Extract<SipSubscriptionEvent, { kind: 'notify' }>): Promise<void> {
    const text = Buffer.from(n.body.buffer, n.body.byteOffset, n.body.byteLength).toString('utf8');
    if (await this.#sendPidf(jid, presentity, text)) await this.#d.store.setSipPresence(presentity, { pidf: text, updatedAt: Date.now() });
  }

  /** `unavailable` from each resource the last known document showed available. */
  async #goneOffline(jid: string, presentity: string): Promise<void> {
    const last = await this.#d.store.getSipPresence(presentity);
    const from = this.#d.jidOfSipUser(presentity);
    if (last === undefined || from === undefined) return;
    const stanzas = pidfToXmppPresence(last.pidf, { from, to: jid });
    if (!stanzas.ok) return;
    for (const s of stanzas.value) {
      const resource = s.attrs.from;
      if (s.attrs.type === undefined && resource !== undefined) await this.#d.send(presenceOfType('unavailable', resource, jid));
    }
  }

  async #lastPresence(jid: string, presentity: string): Promise<void> {
    const last = await this.#d.store.getSipPresence(presentity);
    if (last !== undefined && await this.#sendPidf(jid, presentity, last.pidf)) return;
    const from = this.#d.jidOfSipUser(presentity);
    if (from !== undefined) await this.#d.send(presenceOfType('unavailable', from, jid));
  }
}
