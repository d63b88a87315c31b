// The embedded driver of the PresenceStore: node:sqlite (SQLite in WAL mode) in store.path.
// node:sqlite is synchronous, so writes are kept off the caller's path cost: the first write of a
// tick opens a transaction and the tick's writes commit together on setImmediate (one WAL append
// per tick). Reads run on the same connection, in the same transaction (opened by a read when it
// comes first), so they see the tick's writes before the commit.
// A crash loses at most the writes of the last tick (approvals excepted: they commit at once);
// presence state is soft (a lost NOTIFY state is refreshed by the next NOTIFY, a lost subscription
// by the XMPP server's next probe).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { StoreError } from './queue.ts';
import type { OutgoingSubscription, PresenceStore, StoredResourcePresence, StoredSipPresence, WatcherSubscription } from './presence-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outgoing (jid TEXT NOT NULL, presentity TEXT NOT NULL, confirmed INTEGER NOT NULL,
  expires INTEGER NOT NULL, attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, dialog TEXT, PRIMARY KEY (jid, presentity));
CREATE INDEX IF NOT EXISTS outgoing_presentity ON outgoing (presentity);
CREATE TABLE IF NOT EXISTS watchers (id TEXT PRIMARY KEY, watcher TEXT NOT NULL, target TEXT NOT NULL,
  expires_at INTEGER NOT NULL, dialog TEXT);
CREATE INDEX IF NOT EXISTS watchers_target ON watchers (target, watcher);
CREATE TABLE IF NOT EXISTS approvals (owner TEXT NOT NULL, watcher TEXT NOT NULL, PRIMARY KEY (owner, watcher));
CREATE TABLE IF NOT EXISTS sip_presence (presentity TEXT PRIMARY KEY, pidf TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS xmpp_presence (jid TEXT NOT NULL, resource TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (jid, resource));
`;

type Row = Record<string, unknown>;

function outgoingOfRow(r: Row): OutgoingSubscription {
  const s = {
    jid: r.jid as string, presentity: r.presentity as string, confirmed: r.confirmed === 1,
    expires: r.expires as number, attempts: r.attempts as number, createdAt: r.created_at as number,
  };
  return typeof r.dialog === 'string' ? { ...s, dialog: r.dialog } : s;
}

/** Columns added since a table was first created: stores opened by an older Parley get them. */
const ADDED_COLUMNS: ReadonlyArray<readonly [table: string, column: string, type: string]> = [['outgoing', 'dialog', 'TEXT']];

function migrate(db: DatabaseSync): void {
  for (const [table, column, type] of ADDED_COLUMNS) {
    const cols = db.prepare(`PRAGMA table_info(${table})`).all().map((c) => c.name);
    if (!cols.includes(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}

function watcherOfRow(r: Row): WatcherSubscription {
  const w = { id: r.id as string, watcher: r.watcher as string, target: r.target as string, expiresAt: r.expires_at as number };
  return typeof r.dialog === 'string' ? { ...w, dialog: r.dialog } : w;
}

export class SqlitePresenceStore implements PresenceStore {
  readonly #db: DatabaseSync;
  readonly #stmts = new Map<string, StatementSync>();
  #inTx = false;
  #closed = false;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating) `dir/presence.sqlite`. */
  static open(opts: { dir: string }): SqlitePresenceStore {
    mkdirSync(opts.dir, { recursive: true });
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(join(opts.dir, 'presence.sqlite'));
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
      db.exec(SCHEMA);
      migrate(db);
    } catch (err) {
      throw new StoreError(`cannot open the presence store in ${opts.dir}`, { cause: err });
    }
    return new SqlitePresenceStore(db);
  }

  #stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /**
   * The tick's transaction, opened by its first read or write and committed on setImmediate.
   * Reads take part too: a read outside a transaction is a transaction of its own, whose locking of
   * the WAL index costs system calls (a fan-out reads twice per NOTIFY: ~3.5 of 10.5 µs per pair
   * of reads measured on the bench VM).
   */
  #begin(): void {
    if (this.#inTx) return;
    this.#db.exec('BEGIN');
    this.#inTx = true;
    setImmediate(() => { this.#commit(); });
  }

  #write(sql: string, ...params: Array<string | number | null>): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreError('the presence store is closed'));
    this.#begin();
    this.#stmt(sql).run(...params);
    return Promise.resolve();
  }

  #commit(): void {
    if (!this.#inTx) return;
    this.#inTx = false;
    this.#db.exec('COMMIT');
  }

  #all(sql: string, ...params: string[]): Row[] {
    if (this.#closed) throw new StoreError('the presence store is closed');
    this.#begin();
    return this.#stmt(sql).all(...params);
  }

  #one(sql: string, ...params: string[]): Row | undefined {
    if (this.#closed) throw new StoreError('the presence store is closed');
    this.#begin();
    return this.#stmt(sql).get(...params);
  }

  #read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new StoreError('presence store read failed', { cause: err }));
    }
  }

  putOutgoing(s: OutgoingSubscription): Promise<void> {
    return this.#write(
      `INSERT INTO outgoing (jid, presentity, confirmed, expires, attempts, created_at, dialog) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (jid, presentity) DO UPDATE SET confirmed = excluded.confirmed, expires = excluded.expires,
       attempts = excluded.attempts, created_at = excluded.created_at, dialog = excluded.dialog`,
      s.jid, s.presentity, s.confirmed ? 1 : 0, s.expires, s.attempts, s.createdAt, s.dialog ?? null,
    );
  }

  getOutgoing(jid: string, presentity: string): Promise<OutgoingSubscription | undefined> {
    return this.#read(() => {
      const r = this.#one('SELECT * FROM outgoing WHERE jid = ? AND presentity = ?', jid, presentity);
      return r === undefined ? undefined : outgoingOfRow(r);
    });
  }

  deleteOutgoing(jid: string, presentity: string): Promise<void> {
    return this.#write('DELETE FROM outgoing WHERE jid = ? AND presentity = ?', jid, presentity);
  }

  listOutgoing(): Promise<OutgoingSubscription[]> {
    return this.#read(() => this.#all('SELECT * FROM outgoing ORDER BY rowid').map(outgoingOfRow));
  }

  outgoingOf(presentity: string): Promise<OutgoingSubscription[]> {
    return this.#read(() => this.#all('SELECT * FROM outgoing WHERE presentity = ? ORDER BY rowid', presentity).map(outgoingOfRow));
  }

  putWatcher(w: WatcherSubscription): Promise<void> {
    return this.#write(
      `INSERT INTO watchers (id, watcher, target, expires_at, dialog) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET watcher = excluded.watcher, target = excluded.target,
       expires_at = excluded.expires_at, dialog = excluded.dialog`,
      w.id, w.watcher, w.target, w.expiresAt, w.dialog ?? null,
    );
  }

  getWatcher(id: string): Promise<WatcherSubscription | undefined> {
    return this.#read(() => {
      const r = this.#one('SELECT * FROM watchers WHERE id = ?', id);
      return r === undefined ? undefined : watcherOfRow(r);
    });
  }

  deleteWatcher(id: string): Promise<void> {
    return this.#write('DELETE FROM watchers WHERE id = ?', id);
  }

  listWatchers(): Promise<WatcherSubscription[]> {
    return this.#read(() => this.#all('SELECT * FROM watchers ORDER BY rowid').map(watcherOfRow));
  }

  watchersOf(target: string, watcher?: string): Promise<WatcherSubscription[]> {
    return this.#read(() => (watcher === undefined
      ? this.#all('SELECT * FROM watchers WHERE target = ? ORDER BY rowid', target)
      : this.#all('SELECT * FROM watchers WHERE target = ? AND watcher = ? ORDER BY rowid', target, watcher)).map(watcherOfRow));
  }

  /**
   * Committed at once with the tick's writes so far, not at the end of the tick: an approval is
   * acted on (NOTIFY active) as soon as it is stored, and nothing refreshes it if a crash loses it
   * (the XMPP server's roster says subscribed; a restored dialog would stay without presence).
   * Approvals are rare next to presence writes (one per subscription answer): a commit each is cheap.
   */
  setApproval(owner: string, watcher: string, approved: boolean): Promise<void> {
    const written = approved
      ? this.#write('INSERT OR IGNORE INTO approvals (owner, watcher) VALUES (?, ?)', owner, watcher)
      : this.#write('DELETE FROM approvals WHERE owner = ? AND watcher = ?', owner, watcher);
    this.#commit();
    return written;
  }

  isApproved(owner: string, watcher: string): Promise<boolean> {
    return this.#read(() => this.#one('SELECT 1 AS yes FROM approvals WHERE owner = ? AND watcher = ?', owner, watcher) !== undefined);
  }

  setSipPresence(presentity: string, p: StoredSipPresence | undefined): Promise<void> {
    return p === undefined
      ? this.#write('DELETE FROM sip_presence WHERE presentity = ?', presentity)
      : this.#write(
        `INSERT INTO sip_presence (presentity, pidf, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (presentity) DO UPDATE SET pidf = excluded.pidf, updated_at = excluded.updated_at`,
        presentity, p.pidf, p.updatedAt,
      );
  }

  getSipPresence(presentity: string): Promise<StoredSipPresence | undefined> {
    return this.#read(() => {
      const r = this.#one('SELECT pidf, updated_at FROM sip_presence WHERE presentity = ?', presentity);
      return r === undefined ? undefined : { pidf: r.pidf as string, updatedAt: r.updated_at as number };
    });
  }

  setXmppPresence(jid: string, resource: string, p: StoredResourcePresence | undefined): Promise<void> {
    return p === undefined
      ? this.#write('DELETE FROM xmpp_presence WHERE jid = ? AND resource = ?', jid, resource)
      : this.#write(
        `INSERT INTO xmpp_presence (jid, resource, data) VALUES (?, ?, ?)
         ON CONFLICT (jid, resource) DO UPDATE SET data = excluded.data`,
        jid, resource, JSON.stringify(p),
      );
  }

  getXmppPresence(jid: string): Promise<StoredResourcePresence[]> {
    return this.#read(() => this.#all('SELECT data FROM xmpp_presence WHERE jid = ? ORDER BY rowid', jid)
      .map((r) => JSON.parse(r.data as string) as StoredResourcePresence));
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#commit();
    this.#closed = true;
    this.#db.close();
    return Promise.resolve();
  }
}
