// The Bus contract (gateway/bus/bus.ts), one suite run against every driver (Watermill-style).
// Only the memory driver exists today; a NATS driver adds one `busContract(...)` call with a
// factory that starts nats-server on an ephemeral port. Delivery may be asynchronous, so the suite
// waits for what it expects and uses a trailing sentinel message to prove an absence.
import t from 'tap';
import type { Test } from 'tap';
import { BusError, type Bus } from '../../gateway/bus/bus.ts';
import { MemoryBus } from '../../gateway/bus/memory.ts';

export interface BusDriver {
  readonly name: string;
  /** A fresh, empty bus; `onError` hears exceptions thrown by subscribers. */
  open(opts: { onError: (err: unknown, subject: string) => void }): Promise<Bus>;
  /** Queue groups rotate strictly round-robin (memory); otherwise only "one member each". */
  readonly strictRoundRobin: boolean;
}

async function until(what: string, cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function busError(p: Promise<unknown>): Promise<BusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BusError) return err;
    throw err;
  }
  throw new Error('expected a BusError, the call succeeded');
}

export async function busContract(t: Test, driver: BusDriver): Promise<void> {
  const errors: Array<{ err: unknown; subject: string }> = [];
  const open = async (tt: Test): Promise<Bus> => {
    errors.length = 0;
    const bus = await driver.open({ onError: (err, subject) => { errors.push({ err, subject }); } });
    tt.teardown(() => bus.close());
    return bus;
  };

  /** Publishes a sentinel on `subject` and waits until `seen` reports it: everything published before it has arrived. */
  const flush = async (bus: Bus, subject: string, seen: () => unknown[]): Promise<void> => {
    const mark = { sentinel: Math.random() };
    bus.publish(subject, mark);
    await until('the sentinel', () => seen().some((d) => (d as { sentinel?: number }).sentinel === mark.sentinel));
  };

  await t.test(`Bus contract: ${driver.name}`, async (t) => {
    await t.test('publish reaches every plain subscriber of the subject, with the subject, data intact', async (t) => {
      const bus = await open(t);
      const a: Array<[unknown, string]> = [];
      const b: Array<[unknown, string]> = [];
      bus.subscribe('im.sip.in', (d, s) => a.push([d, s]));
      bus.subscribe('im.sip.in', (d, s) => b.push([d, s]));
      const payload = { from: 'sip:alice@corp.example', body: 'hé', bytes: new Uint8Array([1, 2, 3]), n: 1.5 };
      bus.publish('im.sip.in', payload);
      await until('both subscribers', () => a.length === 1 && b.length === 1);
      t.same(a, [[payload, 'im.sip.in']]);
      t.same(b, [[payload, 'im.sip.in']]);
    });

    await t.test('a subject is matched exactly: no delivery to other subjects', async (t) => {
      const bus = await open(t);
      const got: unknown[] = [];
      bus.subscribe('im.sip', (d) => got.push(d));
      bus.publish('im.sip.in', 1);
      bus.publish('im', 2);
      bus.publish('im.sipx', 3);
      await flush(bus, 'im.sip', () => got);
      t.equal(got.length, 1, 'only the sentinel arrived');
    });

    await t.test('a trailing `>` matches one or more further tokens of the prefix', async (t) => {
      const bus = await open(t);
      const got: string[] = [];
      bus.subscribe('presence.>', (_d, s) => got.push(s));
      for (const s of ['presence.xmpp', 'presence.sip.corp.example', 'presence', 'presencex.y', 'im.presence.x']) bus.publish(s, s);
      bus.publish('presence.flush', null);
      await until('the sentinel', () => got.includes('presence.flush'));
      t.same(got, ['presence.xmpp', 'presence.sip.corp.example', 'presence.flush']);
    });

    await t.test('a queue group gets each message once, spread over its members; plain subscribers get all', async (t) => {
      const bus = await open(t);
      const members = [0, 0, 0];
      let plain = 0;
      members.forEach((_, i) => bus.subscribe('work', () => { members[i]!++; }, { queue: 'core' }));
      bus.subscribe('work', () => { plain++; });
      const n = 30;
      for (let i = 0; i < n; i++) bus.publish('work', i);
      await until('all deliveries', () => plain === n && members.reduce((x, y) => x + y) === n);
      t.equal(members.reduce((x, y) => x + y), n, 'each message reached exactly one member');
      t.ok(members.every((m) => m > 0), `every member served some (${members.join('/')})`);
      if (driver.strictRoundRobin) t.same(members, [10, 10, 10], 'strict round-robin');
    });

    await t.test('two queue groups on one subject each get every message once', async (t) => {
      const bus = await open(t);
      const got = { a1: 0, a2: 0, b1: 0 };
      bus.subscribe('work', () => { got.a1++; }, { queue: 'a' });
      bus.subscribe('work', () => { got.a2++; }, { queue: 'a' });
      bus.subscribe('work', () => { got.b1++; }, { queue: 'b' });
      for (let i = 0; i < 4; i++) bus.publish('work', i);
      await until('deliveries', () => got.a1 + got.a2 === 4 && got.b1 === 4);
      t.equal(got.a1 + got.a2, 4);
      t.equal(got.b1, 4);
    });

    await t.test('unsubscribe stops delivery to that subscription only', async (t) => {
      const bus = await open(t);
      const a: unknown[] = [];
      const b: unknown[] = [];
      const sa = bus.subscribe('s', (d) => a.push(d));
      bus.subscribe('s', (d) => b.push(d));
      bus.publish('s', 1);
      await until('first message', () => a.length === 1 && b.length === 1);
      sa.unsubscribe();
      bus.publish('s', 2);
      await flush(bus, 's', () => b);
      t.same(a, [1]);
      t.same(b.slice(0, 2), [1, 2]);
    });

    await t.test('a subscription made while a message is dispatched does not receive that message', async (t) => {
      const bus = await open(t);
      let handlers = 0;
      let calls = 0;
      const again = (): void => {
        calls++;
        if (handlers < 5) { handlers++; bus.subscribe('r', again); }
      };
      handlers = 1;
      bus.subscribe('r', again);
      bus.publish('r', 1);
      await until('delivery', () => calls >= 1);
      await new Promise((r) => setTimeout(r, 20));
      t.equal(calls, 1, 'one subscriber existed at publish time, one call');
    });

    await t.test('a subscriber that throws goes to onError; the publisher and other subscribers are unaffected', async (t) => {
      const bus = await open(t);
      const boom = new Error('handler bug');
      const after: unknown[] = [];
      bus.subscribe('evt', () => { throw boom; });
      bus.subscribe('evt', (d) => after.push(d));
      t.doesNotThrow(() => bus.publish('evt', 1));
      bus.publish('evt', 2);
      await until('delivery and errors', () => after.length === 2 && errors.length === 2);
      t.same(after, [1, 2]);
      t.same(errors, [{ err: boom, subject: 'evt' }, { err: boom, subject: 'evt' }]);
    });

    await t.test('request gets the answer of a responder (plain value or promise)', async (t) => {
      const bus = await open(t);
      bus.serve('policy.admit', (d) => ({ admitted: true, echo: d }));
      bus.serve('policy.async', async (d) => { await new Promise((r) => setTimeout(r, 5)); return `later ${String(d)}`; });
      t.same(await bus.request('policy.admit', { from: 'a' }), { admitted: true, echo: { from: 'a' } });
      t.equal(await bus.request('policy.async', 7, { timeoutMs: 1000 }), 'later 7');
    });

    await t.test('a queue group of responders answers each request once, spread over members', async (t) => {
      const bus = await open(t);
      const served = [0, 0];
      served.forEach((_, i) => bus.serve('rpc', () => { served[i]!++; return i; }, { queue: 'core' }));
      const answers = await Promise.all(Array.from({ length: 20 }, () => bus.request('rpc', null, { timeoutMs: 1000 })));
      t.equal(served[0]! + served[1]!, 20, 'each request served once');
      t.ok(served.every((s) => s > 0), `both members served (${served.join('/')})`);
      t.same(new Set(answers), new Set([0, 1]));
      if (driver.strictRoundRobin) t.same(served, [10, 10]);
    });

    await t.test("a request nobody serves fails at once with BusError 'no-responders'", async (t) => {
      const bus = await open(t);
      bus.subscribe('nobody', () => {});
      const sub = bus.serve('gone', () => 1);
      sub.unsubscribe();
      const started = Date.now();
      const e1 = await busError(bus.request('nobody', 1, { timeoutMs: 5000 }));
      const e2 = await busError(bus.request('gone', 1));
      t.equal(e1.code, 'no-responders', 'a plain subscriber is not a responder');
      t.equal(e2.code, 'no-responders', 'an unsubscribed responder is gone');
      t.equal(e1.name, 'BusError');
      t.ok(Date.now() - started < 2000, 'without waiting for the timeout');
    });

    await t.test("a request that is not answered in time fails with BusError 'timeout'", async (t) => {
      const bus = await open(t);
      bus.serve('slow', () => new Promise((r) => setTimeout(() => r('too late'), 500)));
      const started = Date.now();
      const e = await busError(bus.request('slow', 1, { timeoutMs: 30 }));
      t.equal(e.code, 'timeout');
      t.ok(Date.now() - started < 400, 'rejected at the deadline, not when the answer came');
    });

    await t.test("after close, publish and request fail with BusError 'closed' and nothing is delivered", async (t) => {
      const bus = await driver.open({ onError: () => {} });
      const got: unknown[] = [];
      bus.subscribe('s', (d) => got.push(d));
      bus.serve('q', () => 1);
      await bus.close();
      let thrown: unknown;
      try { bus.publish('s', 1); } catch (err) { thrown = err; }
      t.ok(thrown instanceof BusError && thrown.code === 'closed', 'publish throws closed');
      t.equal((await busError(bus.request('q', 1))).code, 'closed', 'request rejects closed');
      t.same(got, []);
    });
  });
}

const memory: BusDriver = {
  name: 'memory',
  open: (opts) => Promise.resolve(new MemoryBus(opts)),
  strictRoundRobin: true,
};

void busContract(t, memory);
