// Durable hand-off to the XMPP edge: an item is enqueued (fsync'd in a group commit), then
// written to the component; it is acknowledged only once written. What could not be written
// (component down, process crash) is redelivered when the component comes back or on restart.
import { SUBJECTS, type XmppSendReply } from '../bus/subjects.ts';
import type { CoreContext, QueuedStanza } from './context.ts';
import type { OriginTracker } from './origin-tracker.ts';

export class Delivery {
  readonly #ctx: CoreContext;
  readonly #origins: OriginTracker;
  readonly #inFlight = new Set<number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ctx: CoreContext, origins: OriginTracker) {
    this.#ctx = ctx;
    this.#origins = origins;
  }

  /** Resolves once the stanza is durable; delivery goes on in the background. */
  async handOff(item: QueuedStanza): Promise<void> {
    const seq = await this.#ctx.queue.enqueue(item);
    this.#ctx.metrics.deliveryQueueDepth.set({ queue: 'xmpp' }, this.#ctx.queue.depth);
    this.#deliver(seq, item);
  }

  /** Redeliver everything pending (after a restart, or when a component comes back). */
  retryPending(domain?: string): void {
    for (const { seq, item } of this.#ctx.queue.unacked()) {
      if (domain === undefined || item.domain === domain) this.#deliver(seq, item);
    }
  }

  start(retryEveryMs = 5000): void {
    this.#timer = setInterval(() => this.retryPending(), retryEveryMs);
    this.#timer.unref();
    this.retryPending();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #deliver(seq: number, item: QueuedStanza): void {
    if (this.#inFlight.has(seq)) return;
    this.#inFlight.add(seq);
    const id = item.stanza.attrs.id;
    if (id !== undefined) this.#origins.remember(id, item.origin);
    this.#ctx.bus.request(SUBJECTS.xmppSend, { stanza: item.stanza }, { timeoutMs: 10_000 }).then(
      (reply) => {
        this.#inFlight.delete(seq);
        if ((reply as XmppSendReply).ok) {
          this.#ctx.queue.ack(seq);
          this.#ctx.metrics.stanzas.inc({ direction: 'out', kind: 'message' });
          this.#ctx.metrics.deliveryQueueDepth.set({ queue: 'xmpp' }, this.#ctx.queue.depth);
        }
      },
      (err: unknown) => {
        this.#inFlight.delete(seq);
        this.#ctx.log.warn({ err, seq }, 'stanza not delivered yet; will retry');
      },
    );
  }
}
