// The PresenceStore contract (gateway/store/presence-store.ts), one suite run against every
// driver: memory and node:sqlite. Durable drivers also prove that state survives a reopen.
import t from 'tap';
import type { Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutgoingSubscription, PresenceStore, WatcherSubscription } from '../../gateway/store/presence-store.ts';
import { MemoryPresenceStore } from '../../gateway/store/memory-presence-store.ts';
import { SqlitePresenceStore } from '../../gateway/store/sqlite-presence-store.ts';

interface Driver {
  readonly name: string;
  /** A fresh, empty store; `reopen` gives the same store after close (durable drivers only). */
  open(t: Test): Promise<{ store: PresenceStore; reopen?: () => Promise<PresenceStore> }>;
}

const sub = (jid: string, presentity: string, extra: Partial<OutgoingSubscription> = {}): OutgoingSubscription =>
  ({ jid, presentity, confirmed: false, expires: 3600, attempts: 0, createdAt: 1_700_000_000_000, ...extra });
const watcher = (id: string, w: string, target: string, extra: Partial<WatcherSubscription> = {}): WatcherSubscription =>
  ({ id, watcher: w, target, expiresAt: 1_700_000_360_000, ...extra });

function contract(t: Test, driver: Driver): void {
  t.test(`${driver.name}: outgoing subscriptions are put, replaced, listed by presentity and deleted`, async (t) => {
    const { store } = await driver.open(t);
    t.equal(await store.getOutgoing('bob@xmpp.test', 'sip:alice@corp.test'), undefined, 'absent at first');
    await store.putOutgoing(sub('bob@xmpp.test', 'sip:alice@corp.test'));
    await store.putOutgoing(sub('carol@xmpp.test', 'sip:alice@corp.test'));
    await store.putOutgoing(sub('bob@xmpp.test', 'sip:dave@corp.test'));
    await store.putOutgoing(sub('bob@xmpp.test', 'sip:alice@corp.test', { confirmed: true, expires: 1800, attempts: 2, dialog: '{"d":1}' }));
    t.same(await store.getOutgoing('bob@xmpp.test', 'sip:alice@corp.test'), sub('bob@xmpp.test', 'sip:alice@corp.test', { confirmed: true, expires: 1800, attempts: 2, dialog: '{"d":1}' }), 'replaced, with its dialog state');
    t.same((await store.outgoingOf('sip:alice@corp.test')).map((s) => s.jid).sort(), ['bob@xmpp.test', 'carol@xmpp.test']);
    t.equal((await store.listOutgoing()).length, 3);
    await store.deleteOutgoing('bob@xmpp.test', 'sip:alice@corp.test');
    await store.deleteOutgoing('nobody@xmpp.test', 'sip:alice@corp.test');
    t.same((await store.outgoingOf('sip:alice@corp.test')).map((s) => s.jid), ['carol@xmpp.test']);
    await store.deleteOutgoing('carol@xmpp.test', 'sip:alice@corp.test');
    t.same(await store.outgoingOf('sip:alice@corp.test'), [], 'the index forgets an emptied presentity');
  });

  t.test(`${driver.name}: watcher dialogs are kept by id, indexed by target and watcher`, async (t) => {
    const { store } = await driver.open(t);
    await store.putWatcher(watcher('d1', 'sip:carol@corp.test', 'bob@xmpp.test', { dialog: '{"callId":"x"}' }));
    await store.putWatcher(watcher('d2', 'sip:dave@corp.test', 'bob@xmpp.test'));
    await store.putWatcher(watcher('d3', 'sip:carol@corp.test', 'eve@xmpp.test'));
    t.same(await store.getWatcher('d1'), watcher('d1', 'sip:carol@corp.test', 'bob@xmpp.test', { dialog: '{"callId":"x"}' }));
    t.same(await store.getWatcher('d2'), watcher('d2', 'sip:dave@corp.test', 'bob@xmpp.test'), 'no dialog field when none was stored');
    t.same((await store.watchersOf('bob@xmpp.test')).map((w) => w.id).sort(), ['d1', 'd2']);
    t.same((await store.watchersOf('bob@xmpp.test', 'sip:carol@corp.test')).map((w) => w.id), ['d1']);
    await store.putWatcher(watcher('d1', 'sip:carol@corp.test', 'eve@xmpp.test', { expiresAt: 5 }));
    t.same((await store.watchersOf('bob@xmpp.test')).map((w) => w.id), ['d2'], 'a moved dialog leaves its old target');
    t.same((await store.watchersOf('eve@xmpp.test')).map((w) => w.id).sort(), ['d1', 'd3']);
    t.equal((await store.getWatcher('d1'))?.expiresAt, 5);
    await store.deleteWatcher('d2');
    await store.deleteWatcher('missing');
    t.same(await store.watchersOf('bob@xmpp.test'), []);
    t.equal(await store.getWatcher('d2'), undefined);
    t.same((await store.listWatchers()).map((w) => w.id).sort(), ['d1', 'd3']);
  });

  t.test(`${driver.name}: roster approvals are set and withdrawn per (owner, watcher)`, async (t) => {
    const { store } = await driver.open(t);
    t.equal(await store.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), false);
    await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
    await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
    t.equal(await store.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), true);
    t.equal(await store.isApproved('bob@xmpp.test', 'sip:dave@corp.test'), false);
    await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', false);
    t.equal(await store.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), false);
  });

  t.test(`${driver.name}: last known SIP presence is replaced and forgotten`, async (t) => {
    const { store } = await driver.open(t);
    t.equal(await store.getSipPresence('sip:alice@corp.test'), undefined);
    await store.setSipPresence('sip:alice@corp.test', { pidf: '<presence/>', updatedAt: 1 });
    await store.setSipPresence('sip:alice@corp.test', { pidf: '<presence>中文</presence>', updatedAt: 2 });
    t.same(await store.getSipPresence('sip:alice@corp.test'), { pidf: '<presence>中文</presence>', updatedAt: 2 });
    await store.setSipPresence('sip:alice@corp.test', undefined);
    t.equal(await store.getSipPresence('sip:alice@corp.test'), undefined);
  });

  t.test(`${driver.name}: last known XMPP presence is kept per resource, in first-seen order`, async (t) => {
    const { store } = await driver.open(t);
    t.same(await store.getXmppPresence('bob@xmpp.test'), []);
    await store.setXmppPresence('bob@xmpp.test', 'laptop', { resource: 'laptop', available: true, statuses: [] });
    await store.setXmppPresence('bob@xmpp.test', 'phone', { resource: 'phone', available: true, show: 'away', statuses: [{ text: 'out' }], priority: -1 });
    await store.setXmppPresence('bob@xmpp.test', 'laptop', { resource: 'laptop', available: true, show: 'dnd', statuses: [{ lang: 'de', text: 'Besprechung' }], priority: 5 });
    t.same(await store.getXmppPresence('bob@xmpp.test'), [
      { resource: 'laptop', available: true, show: 'dnd', statuses: [{ lang: 'de', text: 'Besprechung' }], priority: 5 },
      { resource: 'phone', available: true, show: 'away', statuses: [{ text: 'out' }], priority: -1 },
    ]);
    await store.setXmppPresence('bob@xmpp.test', 'laptop', undefined);
    await store.setXmppPresence('bob@xmpp.test', 'ghost', undefined);
    t.same((await store.getXmppPresence('bob@xmpp.test')).map((r) => r.resource), ['phone']);
    await store.setXmppPresence('bob@xmpp.test', 'phone', undefined);
    t.same(await store.getXmppPresence('bob@xmpp.test'), []);
  });

  t.test(`${driver.name}: close is idempotent`, async (t) => {
    const { store } = await driver.open(t);
    await store.close();
    await store.close();
    t.pass('closed twice');
  });
}

function durable(t: Test, driver: Driver): void {
  t.test(`${driver.name}: everything survives a close and reopen (restart)`, async (t) => {
    const { store, reopen } = await driver.open(t);
    await store.putOutgoing(sub('bob@xmpp.test', 'sip:alice@corp.test', { confirmed: true }));
    await store.putWatcher(watcher('d1', 'sip:carol@corp.test', 'bob@xmpp.test', { dialog: 'opaque' }));
    await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
    await store.setSipPresence('sip:alice@corp.test', { pidf: '<p/>', updatedAt: 7 });
    await store.setXmppPresence('bob@xmpp.test', 'laptop', { resource: 'laptop', available: true, statuses: [] });
    await store.close();
    const again = await reopen!();
    t.same(await again.listOutgoing(), [sub('bob@xmpp.test', 'sip:alice@corp.test', { confirmed: true })]);
    t.same(await again.listWatchers(), [watcher('d1', 'sip:carol@corp.test', 'bob@xmpp.test', { dialog: 'opaque' })]);
    t.equal(await again.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), true);
    t.same(await again.getSipPresence('sip:alice@corp.test'), { pidf: '<p/>', updatedAt: 7 });
    t.same(await again.getXmppPresence('bob@xmpp.test'), [{ resource: 'laptop', available: true, statuses: [] }]);
  });

  t.test(`${driver.name}: writes of one tick are committed together, after the tick`, async (t) => {
    const { store, reopen } = await driver.open(t);
    await store.putOutgoing(sub('bob@xmpp.test', 'sip:alice@corp.test'));
    await new Promise((r) => setImmediate(r));
    await store.putOutgoing(sub('bob@xmpp.test', 'sip:dave@corp.test'));
    await new Promise((r) => setImmediate(r));
    await store.close();
    t.equal((await (await reopen!()).listOutgoing()).length, 2);
  });

  t.test(`${driver.name}: an approval (or its withdrawal) is committed at once, not with the tick: a crash right after it has been acted on does not lose it`, async (t) => {
    const { store, reopen } = await driver.open(t);
    const other = await reopen!();
    await store.putWatcher(watcher('d1', 'sip:carol@corp.test', 'bob@xmpp.test'));
    await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', true);
    t.equal(await other.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), true, 'another connection sees it within the same tick');
    await new Promise((r) => setImmediate(r));
    await store.setApproval('bob@xmpp.test', 'sip:carol@corp.test', false);
    t.equal(await other.isApproved('bob@xmpp.test', 'sip:carol@corp.test'), false, 'and its withdrawal');
  });

  t.test(`${driver.name}: a closed store refuses reads and writes with a StoreError`, async (t) => {
    const { store } = await driver.open(t);
    await store.close();
    await t.rejects(store.putOutgoing(sub('a@b', 'sip:c@d')), { name: 'StoreError' });
    await t.rejects(store.listOutgoing(), { name: 'StoreError' });
  });
}

const memory: Driver = {
  name: 'memory',
  open: (t) => {
    const store = new MemoryPresenceStore();
    t.teardown(() => store.close());
    return Promise.resolve({ store });
  },
};

const sqlite: Driver = {
  name: 'sqlite',
  async open(t) {
    const dir = await mkdtemp(join(tmpdir(), 'parley-presence-store-'));
    const opened: PresenceStore[] = [];
    const open = (): PresenceStore => {
      const s = SqlitePresenceStore.open({ dir: join(dir, 'store') });
      opened.push(s);
      return s;
    };
    t.teardown(async () => {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    });
    return { store: open(), reopen: () => Promise.resolve(open()) };
  },
};

contract(t, memory);
contract(t, sqlite);
durable(t, sqlite);

t.test('sqlite: a store that cannot be opened is a StoreError with the cause', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-presence-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'presence.sqlite'), 'this is not a database, just text long enough to be read as a header....................');
  t.throws(() => SqlitePresenceStore.open({ dir }), { name: 'StoreError' });
});
