// The one importer of prom-client. Everything else sees the small instrument interfaces below.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string | number>;
export interface CounterLike { inc(labels: Labels, value?: number): void }
export interface GaugeLike { set(labels: Labels, value: number): void }
export interface HistogramLike { observe(labels: Labels, value: number): void }

export interface GatewayMetrics {
  /** Messages by direction (sip-to-xmpp | xmpp-to-sip), agreement and outcome. */
  messages: CounterLike;
  /** Bytes of message content accepted per direction and agreement (billing input). */
  messageBytes: CounterLike;
  /** Every admission decision: decision (admit | refuse) and reason code. */
  policyDecisions: CounterLike;
  /** SIP requests received / responses sent by method and status. */
  sipRequests: CounterLike;
  /** SIP requests we sent, by method and final status. */
  sipOutbound: CounterLike;
  /** Stanzas by direction (in | out) and kind (message | presence | iq). */
  stanzas: CounterLike;
  /** XMPP error stanzas that came back for messages from SIP, by condition. */
  xmppDeliveryErrors: CounterLike;
  /** 1 when an edge link is up (edge, name). */
  edgeConnected: GaugeLike;
  /** Items waiting in the durable delivery queue. */
  deliveryQueueDepth: GaugeLike;
  /** Time from SIP request received to durable hand-off, seconds. */
  handoffSeconds: HistogramLike;
}

export interface MetricsRegistry {
  metrics: GatewayMetrics;
  contentType: string;
  render(): Promise<string>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): MetricsRegistry {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  const counter = (name: string, help: string, labelNames: string[]): Counter =>
    new Counter({ name: `parley_${name}`, help, labelNames, registers: [registry] });
  const metrics: GatewayMetrics = {
    messages: counter('messages_total', 'Messages handled, by direction, agreement and outcome', ['direction', 'agreement', 'outcome']),
    messageBytes: counter('message_bytes_total', 'Bytes of message content accepted, by direction and agreement', ['direction', 'agreement']),
    policyDecisions: counter('policy_decisions_total', 'Admission decisions, by decision and reason', ['decision', 'reason']),
    sipRequests: counter('sip_requests_total', 'SIP requests received, by method and response status', ['method', 'status']),
    sipOutbound: counter('sip_outbound_requests_total', 'SIP requests sent, by method and final status', ['method', 'status']),
    stanzas: counter('stanzas_total', 'Stanzas, by direction and kind', ['direction', 'kind']),
    xmppDeliveryErrors: counter('xmpp_delivery_errors_total', 'XMPP error stanzas for messages from SIP, by condition', ['condition']),
    edgeConnected: new Gauge({ name: 'parley_edge_connected', help: '1 when the edge link is up', labelNames: ['edge', 'name'], registers: [registry] }),
    deliveryQueueDepth: new Gauge({ name: 'parley_delivery_queue_depth', help: 'Items in the durable delivery queue', labelNames: ['queue'], registers: [registry] }),
    handoffSeconds: new Histogram({
      name: 'parley_handoff_seconds', help: 'SIP request received to durable hand-off', labelNames: ['direction'],
      buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry],
    }),
  };
  return { metrics, contentType: registry.contentType, render: () => registry.metrics() };
}
