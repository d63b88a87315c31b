// Durable hand-off to the XMPP edge: an item is enqueued (fsync'd in a group commit), then
// written to the component; it is acknowledged only once written. What could not be written
// (component down, process crash) is redelivered when the component comes back or on restart.
//
// Only items whose delivery failed (or that were replayed from the journal at start) are retried:
// retrying straight from the queue would also pick up items still waiting for their commit, or
// already written and about to be acked, and deliver them twice.
import { SUBJECTS, type XmppSendReply } from '../bus/subjects.ts';
import type { CoreContext, QueuedStanza } from './context.ts';
import type { OriginTracker } from './origin-tracker.ts';

export class Delivery {
  readonly #ctx: CoreContext;
  readonly #origins: OriginTracker;
  readonly #inFlight = new Set<number>();
  /** Durable items whose delivery failed, waiting for a retry. */
  readonly #waiting = new Map<number, QueuedStanza>();
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

  /** Redeliver what is waiting (when a component comes back, and periodically). */
  retryPending(domain?: string): void {
    for (const [seq, item] of this.#waiting) {
      if (domain === undefined || item.domain === domain) this.#deliver(seq, item);
    }
  }

  /** Takes over what the journal replayed (accepted before the last stop, never written). */
  start(retryEveryMs = 5000): void {
    for (const { seq, item } of this.#ctx.queue.unacked()) this.#waiting.set(seq, item);
    this.#timer = setInterval(() => { this.retryPending(); }, retryEveryMs);
    this.#timer.unref();
    this.retryPending();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #deliver(seq: number, item: QueuedStanza): void {
    if (this.#inFlight.has(seq)) return;
    this.#inFlight.add(seq);
    this.#waiting.delete(seq);
    const id = item.stanza.attrs.id;
    if (id !== undefined) this.#origins.remember(id, item.origin);
    const failed = (): void => {
      this.#inFlight.delete(seq);
      this.#waiting.set(seq, item);
    };
    this.#ctx.bus.request(SUBJECTS.xmppSend, { stanza: item.stanza }, { timeoutMs: 10_000 }).then(
      (reply) => {
        if (!(reply as XmppSendReply).ok) { failed(); return; }
        this.#inFlight.delete(seq);
        this.#ctx.queue.ack(seq);
        this.#ctx.metrics.stanzas.inc({ direction: 'out', kind: 'message' });
        this.#ctx.metrics.deliveryQueueDepth.set({ queue: 'xmpp' }, this.#ctx.queue.depth);
      },
      (err: unknown) => {
        failed();
        this.#ctx.log.warn({ err, seq }, 'stanza not delivered yet; will retry');
      },
    );
  }
}
