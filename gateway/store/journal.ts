// A durable queue on an append-only journal, with group commit: every enqueue that arrives
// while a durable write (O_DSYNC: write and fdatasync in one) is in flight joins the next batch, so
// there is one disk flush per batch, never one per message, and no synchronous I/O on the hot path. Acks are not committed on their
// own: they ride with the next batch of enqueues, or go after ACK_DELAY_MS (an ack lost in a crash
// only makes its message pending again: delivered twice, never lost).
// Segments roll over at `segmentBytes`; a closed segment whose entries are all acknowledged is
// deleted. On open the segments are replayed: entries without an ack are pending again.
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ACK, ENTRY, decodeRecords, encodeAck, encodeEntry } from './journal-codec.ts';
import { StoreError, type DeliveryQueue, type QueuedItem } from './queue.ts';

interface Segment { id: number; path: string; unacked: number; bytes: number }

/**
 * The longest an ack waits for a batch of enqueues to ride with. An ack-only disk flush in front of
 * a batch of enqueues doubled the time those waited to be acknowledged to their sender.
 */
const ACK_DELAY_MS = 100;

const SEGMENT_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC;

interface Waiter { seq: number; resolve: (seq: number) => void; reject: (err: Error) => void }

export interface JournalOptions {
  dir: string;
  segmentBytes?: number;
  /** Observability: called after each durable write with the number of records it made durable. */
  onCommit?: (batchSize: number) => void;
}

export class JournalQueue<T> implements DeliveryQueue<T> {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #onCommit: ((batchSize: number) => void) | undefined;
  readonly #items = new Map<number, { item: T; segment: Segment }>();
  readonly #segments: Segment[] = [];
  #active!: Segment;
  #fh!: FileHandle;
  #seq = 0;
  #pending: Buffer[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  /** Acks waiting in #pending are to be committed even with no enqueue (ACK_DELAY_MS passed, or closing). */
  #acksDue = false;
  #ackTimer: NodeJS.Timeout | undefined;
  #failed: Error | undefined;
  #closed = false;

  private constructor(opts: JournalOptions) {
    this.#dir = opts.dir;
    this.#segmentBytes = opts.segmentBytes ?? 16 * 1024 * 1024;
    this.#onCommit = opts.onCommit;
  }

  static async open<T>(opts: JournalOptions): Promise<JournalQueue<T>> {
    const q = new JournalQueue<T>(opts);
    await q.#replay();
    return q;
  }

  /** True once a write failed: the queue refuses new items from then on. */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  get depth(): number {
    return this.#items.size;
  }

  enqueue(item: T): Promise<number> {
    if (this.#failed) return Promise.reject(new StoreError('journal failed earlier', { cause: this.#failed }));
    if (this.#closed) return Promise.reject(new StoreError('journal is closed'));
    const seq = ++this.#seq;
    const rec = encodeEntry(seq, item);
    this.#items.set(seq, { item, segment: this.#active });
    this.#active.unacked++;
    this.#active.bytes += rec.length;
    this.#pending.push(rec);
    return new Promise<number>((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject });
      this.#kick();
    });
  }

  ack(seq: number): void {
    const entry = this.#items.get(seq);
    if (!entry || this.#closed) return;
    this.#items.delete(seq);
    entry.segment.unacked--;
    const rec = encodeAck(seq);
    this.#active.bytes += rec.length;
    this.#pending.push(rec);
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined;
      this.#acksDue = true;
      this.#kick();
    }, ACK_DELAY_MS).unref();
  }

  *unacked(): IterableIterator<QueuedItem<T>> {
    for (const [seq, { item }] of this.#items) yield { seq, item };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#acksDue = true; // the acks still waiting are written now
    if (this.#pending.length > 0) this.#kick();
    while (this.#flushing) await this.#flushing;
    await this.#fh.close();
  }

  /** Something to commit now: enqueues waiting for durability, or acks that are due. */
  get #due(): boolean {
    return this.#pending.length > 0 && (this.#waiters.length > 0 || this.#acksDue);
  }

  #kick(): void {
    this.#flushing ??= this.#flushLoop().finally(() => {
      this.#flushing = undefined;
      // A record that arrived after the loop last found nothing due, but before this callback
      // ran, saw #flushing still set and did not start a loop: start one for it now.
      if (this.#due) this.#kick();
    });
  }

  async #flushLoop(): Promise<void> {
    // Let the current tick's enqueues join this batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.#due) {
      this.#acksDue = false; // the acks waiting go with this batch
      const batch = this.#pending;
      const waiters = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      try {
        await this.#fh.writev(batch); // O_DSYNC: durable when it returns, as write + fdatasync
      } catch (err) {
        this.#failed = err as Error;
        const e = new StoreError('journal write failed', { cause: err });
        for (const w of waiters) w.reject(e);
        for (const w of this.#waiters) w.reject(e);
        this.#waiters = [];
        this.#pending = [];
        return;
      }
      this.#onCommit?.(batch.length);
      for (const w of waiters) w.resolve(w.seq);
      await this.#maintain();
    }
  }

  // Roll the active segment when full, delete closed segments with nothing left to deliver.
  async #maintain(): Promise<void> {
    if (this.#active.bytes >= this.#segmentBytes) {
      await this.#fh.close();
      await this.#openSegment(this.#active.id + 1);
    }
    while (this.#segments.length > 1 && this.#segments[0] !== this.#active && this.#segments[0]!.unacked === 0) {
      const dead = this.#segments.shift()!;
      await rm(dead.path, { force: true });
    }
  }

  async #openSegment(id: number): Promise<void> {
    const seg: Segment = { id, path: join(this.#dir, `${String(id).padStart(10, '0')}.seg`), unacked: 0, bytes: 0 };
    // O_DSYNC: each write returns once its data is durable, as a write and an fdatasync would, in one
    // call to the thread pool instead of two. That makes the data durable, not the file's name:
    // the directory is synced once per segment.
    this.#fh = await open(seg.path, SEGMENT_FLAGS, 0o644);
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.#segments.push(seg);
    this.#active = seg;
  }

  async #replay(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const names = (await readdir(this.#dir)).filter((n) => /^\d{10}\.seg$/.test(n)).sort();
    const acked = new Set<number>();
    const bySeg: Array<{ seg: Segment; entries: Array<{ seq: number; item: T }> }> = [];
    for (const name of names) {
      const path = join(this.#dir, name);
      const buf = await readFile(path);
      const { records, validBytes } = decodeRecords(buf);
      if (validBytes < buf.length) await truncate(path, validBytes); // torn tail from a crash
      const seg: Segment = { id: Number(name.slice(0, 10)), path, unacked: 0, bytes: validBytes };
      const entries: Array<{ seq: number; item: T }> = [];
      for (const r of records) {
        if (r.kind === ENTRY) entries.push({ seq: r.seq, item: r.item as T });
        else if (r.kind === ACK) acked.add(r.seq);
        this.#seq = Math.max(this.#seq, r.seq);
      }
      bySeg.push({ seg, entries });
    }
    for (const { seg, entries } of bySeg) {
      for (const e of entries) {
        if (acked.has(e.seq)) continue;
        this.#items.set(e.seq, { item: e.item, segment: seg });
        seg.unacked++;
      }
      this.#segments.push(seg);
    }
    // Only a prefix of fully acknowledged segments may go: a later segment can hold the acks
    // of entries in an earlier one.
    while (this.#segments.length > 0 && this.#segments[0]!.unacked === 0) {
      await rm(this.#segments.shift()!.path, { force: true });
    }
    const lastId = bySeg.length > 0 ? bySeg[bySeg.length - 1]!.seg.id : 0;
    // Always write to a fresh segment: replayed ones are only read and later deleted.
    await this.#openSegment(lastId + 1);
  }
}
