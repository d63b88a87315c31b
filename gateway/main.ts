// Process wiring: the one place that knows every piece. Starts the roles this node runs.
import { join } from 'node:path';
import { MemoryBus } from './bus/memory.ts';
import type { Bus } from './bus/bus.ts';
import { idleV8Workers } from './background-threads.ts';
import { loadSipTls } from './config/load.ts';
import type { ParleyConfig } from './config/types.ts';
import { startCore, type Core } from './core/core.ts';
import type { QueuedStanza } from './core/context.ts';
import { createMetrics } from './http/metrics.ts';
import { startHttpServer, type HttpServer, type ReadinessCheck } from './http/server.ts';
import { createLogger, type Logger } from './log.ts';
import { bindSipPresence } from './roles/sip-presence.ts';
import { bindSipRole } from './roles/sip-role.ts';
import { bindXmppRole } from './roles/xmpp-role.ts';
import { SipEndpoint } from './sip/endpoint.ts';
import { JournalQueue } from './store/journal.ts';
import { SqlitePresenceStore } from './store/sqlite-presence-store.ts';
import { XmppEdge } from './xmpp/edge.ts';

export interface Gateway {
  readonly httpPort: number;
  readonly sipBound: ReadonlyArray<{ transport: string; address: string; port: number }>;
  stop(): Promise<void>;
}

export class NotBuiltYetError extends Error {
  constructor(what: string) {
    super(`${what} is not built yet`);
    this.name = 'NotBuiltYetError';
  }
}

export async function startGateway(config: ParleyConfig, opts: { log?: Logger } = {}): Promise<Gateway> {
  const log = opts.log ?? createLogger({ level: config.log.level });
  // GC and compiler threads must not take the CPU from the event loop (background-threads.ts).
  if (process.platform === 'linux') {
    const idle = await idleV8Workers();
    if (idle.error !== undefined) log.warn({ ...idle }, 'V8 background threads keep their scheduling policy');
    else log.debug({ threads: idle.idle }, 'V8 background threads under SCHED_IDLE');
  }
  if (config.bus.kind !== 'memory') throw new NotBuiltYetError('the NATS bus (distributed mode)');
  const { metrics, ...registry } = createMetrics();
  const bus: Bus = new MemoryBus({ onError: (err, subject) => { log.error({ err, subject }, 'bus subscriber failed'); } });
  const roles = new Set(config.node.roles);
  const now = (): number => performance.now();
  const stops: Array<() => Promise<void> | void> = [];
  const checks: ReadinessCheck[] = [{ name: 'bus', ok: () => true }];

  if (roles.has('core')) {
    const queue = await JournalQueue.open<QueuedStanza>({ dir: join(config.store.path, 'queue-xmpp') });
    metrics.deliveryQueueDepth.set({ queue: 'xmpp' }, queue.depth);
    if (queue.depth > 0) log.info({ pending: queue.depth }, 'redelivering messages accepted before the last stop');
    const presence = SqlitePresenceStore.open({ dir: join(config.store.path, 'presence') });
    const core: Core = startCore({ config, bus, queue, metrics, log: log.child({ role: 'core' }), now, presence });
    checks.push({ name: 'store', ok: () => !queue.failed });
    stops.push(async () => { core.stop(); await queue.close(); await presence.close(); });
  }
  if (roles.has('xmpp')) {
    const edge = new XmppEdge({ components: config.xmpp.components, log });
    const sub = bindXmppRole({ edge, bus, metrics, log, domains: config.xmpp.components.map((c) => c.domain) });
    await edge.start();
    checks.push({ name: 'xmpp', ok: () => edge.online() });
    stops.push(async () => { sub.unsubscribe(); await edge.stop(); });
  }
  let sipBound: Gateway['sipBound'] = [];
  if (roles.has('sip')) {
    // TLS material for tls:// and wss:// listeners (and TLS client connections through them).
    const secure = config.sip.tls !== undefined && config.sip.listen.some((l) => /^(tls|wss):/.test(l));
    const tls = secure && config.sip.tls ? await loadSipTls(config.sip.tls) : undefined;
    const endpoint = new SipEndpoint({
      listen: config.sip.listen,
      ...(tls !== undefined && { tls }),
      // A gateway answers for the remote (XMPP) domains too: which ones federate is the core's
      // policy decision (403 with a reason), not the SIP edge's.
      domains: ['*'], log: log.child({ edge: 'sip' }),
      ...(config.sip.outboundProxy !== undefined ? { outboundProxy: config.sip.outboundProxy } : {}),
      ...(config.sip.dnsServers !== undefined ? { dnsServers: config.sip.dnsServers } : {}),
    });
    const sub = bindSipRole({ endpoint, bus, metrics, log, now });
    const presenceSub = bindSipPresence({ endpoint, bus, log: log.child({ edge: 'sip', part: 'presence' }) });
    await endpoint.start();
    sipBound = endpoint.bound;
    // Watcher dialogs served before a restart go back into the dialog layer (refreshes answered,
    // expiry NOTIFYed); the core answers from the store.
    presenceSub.restore().then(
      (n) => { if (n > 0) log.info({ dialogs: n }, 'watcher dialogs restored'); },
      (err: unknown) => { log.warn({ err }, 'watcher dialogs not restored'); },
    );
    let sipUp = true;
    checks.push({ name: 'sip', ok: () => sipUp });
    stops.push(async () => { sipUp = false; sub.unsubscribe(); presenceSub.unsubscribe(); await endpoint.stop(); });
  }
  const http: HttpServer = await startHttpServer(config.http.listen, { metrics, ...registry }, checks);
  stops.push(() => http.close());
  log.info({ node: config.node.id, roles: [...roles], http: http.port, sip: sipBound }, 'parley started');

  return {
    httpPort: http.port,
    sipBound,
    async stop() {
      // Stop taking traffic first (SIP, then XMPP), then drain the core and close the store.
      for (const stop of stops.reverse()) await stop();
      await bus.close();
      log.info({}, 'parley stopped');
    },
  };
}
