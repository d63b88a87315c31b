// What the core role receives from the process wiring: its collaborators as one context object.
import type { Bus } from '../bus/bus.ts';
import type { ParleyConfig } from '../config/types.ts';
import type { GatewayMetrics } from '../http/metrics.ts';
import type { Logger } from '../log.ts';
import type { PresenceStore } from '../store/presence-store.ts';
import type { DeliveryQueue } from '../store/queue.ts';
import type { XmlElement } from '../../translators/xml.ts';

/** A stanza handed to the durable queue, with where it came from (for error reports). */
export interface QueuedStanza {
  domain: string;
  stanza: XmlElement;
  origin: { callId: string; from: string; agreement: string };
}

export interface CoreContext {
  config: ParleyConfig;
  bus: Bus;
  queue: DeliveryQueue<QueuedStanza>;
  metrics: GatewayMetrics;
  log: Logger;
  /** Milliseconds, monotonic enough for rate limiting. */
  now(): number;
  /** Presence state (issue #5); without it the core serves no presence. */
  presence?: PresenceStore;
}
