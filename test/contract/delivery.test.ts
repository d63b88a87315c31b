// Delivery on the real journal and the memory bus: exactly-once writes in the normal case, and
// retries only for what failed (a retry straight from the queue used to duplicate messages).
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '../../gateway/bus/memory.ts';
import { SUBJECTS, type XmppSendRequest } from '../../gateway/bus/subjects.ts';
import { Delivery } from '../../gateway/core/delivery.ts';
import { OriginTracker } from '../../gateway/core/origin-tracker.ts';
import type { CoreContext, QueuedStanza } from '../../gateway/core/context.ts';
import { createMetrics } from '../../gateway/http/metrics.ts';
import { silentLogger } from '../../gateway/log.ts';
import { JournalQueue } from '../../gateway/store/journal.ts';
import { el } from '../../translators/xml.ts';

const item = (n: number): QueuedStanza => ({
  domain: 'corp.test', stanza: el('message', { id: `m${n}`, from: 'alice@corp.test', to: 'bob@xmpp.test' }, el('body', {}, `#${n}`)),
  origin: { callId: `c${n}`, from: 'sip:alice@corp.test', agreement: 'p' },
});

async function setup(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-delivery-'));
  const queue = await JournalQueue.open<QueuedStanza>({ dir });
  const bus = new MemoryBus();
  const ctx = { bus, queue, metrics: createMetrics({ defaultMetrics: false }).metrics, log: silentLogger, now: () => performance.now() } as unknown as CoreContext;
  t.teardown(async () => { await queue.close(); await bus.close(); await rm(dir, { recursive: true, force: true }); });
  return { ctx, queue, bus, delivery: new Delivery(ctx, new OriginTracker()) };
}

t.test('every handed-off stanza is written once, even with retry ticks racing the commits and acks', async (t) => {
  const { delivery, bus, queue } = await setup(t);
  const written: string[] = [];
  bus.serve(SUBJECTS.xmppSend, async (data) => {
    written.push((data as XmppSendRequest).stanza.attrs.id ?? '');
    await new Promise((r) => setTimeout(r, 1));
    return { ok: true };
  });
  delivery.start(1_000_000);
  t.teardown(() => { delivery.stop(); });
  const handoffs = Array.from({ length: 200 }, (_, i) => delivery.handOff(item(i)));
  for (let i = 0; i < 20; i++) { delivery.retryPending(); await new Promise((r) => setImmediate(r)); }
  await Promise.all(handoffs);
  for (let i = 0; i < 20; i++) { delivery.retryPending(); await new Promise((r) => setTimeout(r, 2)); }
  t.equal(written.length, 200, 'written exactly 200 times');
  t.equal(new Set(written).size, 200, 'no duplicates');
  t.equal(queue.depth, 0, 'all acknowledged');
});

t.test('a failed write is retried when the component comes back, once', async (t) => {
  const { delivery, bus, queue } = await setup(t);
  let online = false;
  const written: string[] = [];
  bus.serve(SUBJECTS.xmppSend, (data) => {
    if (!online) return { ok: false, reason: 'offline' };
    written.push((data as XmppSendRequest).stanza.attrs.id ?? '');
    return { ok: true };
  });
  delivery.start(1_000_000);
  t.teardown(() => { delivery.stop(); });
  await delivery.handOff(item(1));
  await new Promise((r) => setTimeout(r, 5));
  t.equal(queue.depth, 1, 'kept while the component is offline');
  online = true;
  delivery.retryPending('corp.test');
  delivery.retryPending('corp.test');
  await new Promise((r) => setTimeout(r, 5));
  t.same(written, ['m1'], 'written once');
  t.equal(queue.depth, 0);
});

t.test('items replayed from the journal are delivered at start', async (t) => {
  const { delivery, bus, queue } = await setup(t);
  await queue.enqueue(item(7)); // accepted by a previous process, never written
  const written: string[] = [];
  bus.serve(SUBJECTS.xmppSend, (data) => { written.push((data as XmppSendRequest).stanza.attrs.id ?? ''); return { ok: true }; });
  delivery.start(1_000_000);
  t.teardown(() => { delivery.stop(); });
  await new Promise((r) => setTimeout(r, 5));
  t.same(written, ['m7']);
  t.equal(queue.depth, 0);
});
