// The memory driver of the PresenceStore: maps with the indexes the core asks for. Nothing
// survives the process; used by unit tests, the bench and `store: memory` setups.
import type { OutgoingSubscription, PresenceStore, StoredResourcePresence, StoredSipPresence, WatcherSubscription } from './presence-store.ts';

const pair = (a: string, b: string): string => `${a}\u0000${b}`;

function addTo<V>(index: Map<string, Set<V>>, key: string, v: V): void {
  const set = index.get(key);
  if (set) set.add(v);
  else index.set(key, new Set([v]));
}

function removeFrom<V>(index: Map<string, Set<V>>, key: string, v: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(v);
  if (set.size === 0) index.delete(key);
}

export class MemoryPresenceStore implements PresenceStore {
  readonly #outgoing = new Map<string, OutgoingSubscription>();
  readonly #outgoingByPresentity = new Map<string, Set<string>>();
  readonly #watchers = new Map<string, WatcherSubscription>();
  readonly #watchersByTarget = new Map<string, Set<string>>();
  readonly #approvals = new Set<string>();
  readonly #sip = new Map<string, StoredSipPresence>();
  readonly #xmpp = new Map<string, Map<string, StoredResourcePresence>>();

  putOutgoing(s: OutgoingSubscription): Promise<void> {
    const key = pair(s.jid, s.presentity);
    this.#outgoing.set(key, s);
    addTo(this.#outgoingByPresentity, s.presentity, key);
    return Promise.resolve();
  }

  getOutgoing(jid: string, presentity: string): Promise<OutgoingSubscription | undefined> {
    return Promise.resolve(this.#outgoing.get(pair(jid, presentity)));
  }

  deleteOutgoing(jid: string, presentity: string): Promise<void> {
    const key = pair(jid, presentity);
    this.#outgoing.delete(key);
    removeFrom(this.#outgoingByPresentity, presentity, key);
    return Promise.resolve();
  }

  listOutgoing(): Promise<OutgoingSubscription[]> {
    return Promise.resolve([...this.#outgoing.values()]);
  }

  outgoingOf(presentity: string): Promise<OutgoingSubscription[]> {
    const keys = this.#outgoingByPresentity.get(presentity) ?? [];
    return Promise.resolve([...keys].map((k) => this.#outgoing.get(k)).filter((s) => s !== undefined));
  }

  putWatcher(w: WatcherSubscription): Promise<void> {
    const old = this.#watchers.get(w.id);
    if (old && old.target !== w.target) removeFrom(this.#watchersByTarget, old.target, w.id);
    this.#watchers.set(w.id, w);
    addTo(this.#watchersByTarget, w.target, w.id);
    return Promise.resolve();
  }

  getWatcher(id: string): Promise<WatcherSubscription | undefined> {
    return Promise.resolve(this.#watchers.get(id));
  }

  deleteWatcher(id: string): Promise<void> {
    const w = this.#watchers.get(id);
    if (w) {
      this.#watchers.delete(id);
      removeFrom(this.#watchersByTarget, w.target, id);
    }
    return Promise.resolve();
  }

  listWatchers(): Promise<WatcherSubscription[]> {
    return Promise.resolve([...this.#watchers.values()]);
  }

  watchersOf(target: string, watcher?: string): Promise<WatcherSubscription[]> {
    const ids = this.#watchersByTarget.get(target) ?? [];
    const all = [...ids].map((id) => this.#watchers.get(id)).filter((w) => w !== undefined);
    return Promise.resolve(watcher === undefined ? all : all.filter((w) => w.watcher === watcher));
  }

  setApproval(owner: string, watcher: string, approved: boolean): Promise<void> {
    if (approved) this.#approvals.add(pair(owner, watcher));
    else this.#approvals.delete(pair(owner, watcher));
    return Promise.resolve();
  }

  isApproved(owner: string, watcher: string): Promise<boolean> {
    return Promise.resolve(this.#approvals.has(pair(owner, watcher)));
  }

  setSipPresence(presentity: string, p: StoredSipPresence | undefined): Promise<void> {
    if (p === undefined) this.#sip.delete(presentity);
    else this.#sip.set(presentity, p);
    return Promise.resolve();
  }

  getSipPresence(presentity: string): Promise<StoredSipPresence | undefined> {
    return Promise.resolve(this.#sip.get(presentity));
  }

  setXmppPresence(jid: string, resource: string, p: StoredResourcePresence | undefined): Promise<void> {
    const resources = this.#xmpp.get(jid);
    if (p === undefined) {
      resources?.delete(resource);
      if (resources?.size === 0) this.#xmpp.delete(jid);
    } else if (resources) {
      resources.set(resource, p);
    } else {
      this.#xmpp.set(jid, new Map([[resource, p]]));
    }
    return Promise.resolve();
  }

  getXmppPresence(jid: string): Promise<StoredResourcePresence[]> {
    return Promise.resolve([...(this.#xmpp.get(jid)?.values() ?? [])]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
