// The DeliveryQueue contract (gateway/store/queue.ts) on the embedded JournalQueue, in a temp dir:
// durability when enqueue resolves, group commit, segment roll-over and clean-up, torn-tail
// recovery, and a real crash (SIGKILL of a child process mid-stream).
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalQueue, type JournalOptions } from '../../gateway/store/journal.ts';
import { encodeEntry } from '../../gateway/store/journal-codec.ts';
import type { DeliveryQueue } from '../../gateway/store/queue.ts';

interface Msg { to: string; body: string }
const msg = (n: number): Msg => ({ to: `bob${n}@xmpp.example`, body: `message ${n} ☃`.padEnd(300, '.') });

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-queue-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function segments(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
}

function pending<T>(q: DeliveryQueue<T>): Array<{ seq: number; item: T }> {
  return [...q.unacked()].map(({ seq, item }) => ({ seq, item }));
}

void t.test('enqueue resolves with increasing seq; unacked() lists items oldest first', async (t) => {
  const dir = await tempDir(t);
  const q = await JournalQueue.open<Msg>({ dir });
  const seqs: number[] = [];
  for (let n = 0; n < 5; n++) seqs.push(await q.enqueue(msg(n)));
  t.same(seqs, [1, 2, 3, 4, 5]);
  t.equal(q.depth, 5);
  t.same(pending(q), seqs.map((seq, n) => ({ seq, item: msg(n) })));
  await q.close();
});

void t.test('concurrent enqueues resolve with distinct increasing seqs in call order', async (t) => {
  const dir = await tempDir(t);
  const q = await JournalQueue.open<Msg>({ dir });
  const seqs = await Promise.all(Array.from({ length: 100 }, (_, n) => q.enqueue(msg(n))));
  t.same(seqs, Array.from({ length: 100 }, (_, n) => n + 1));
  await q.close();
});

void t.test('ack removes the item; an unknown or repeated ack is ignored', async (t) => {
  const dir = await tempDir(t);
  const q = await JournalQueue.open<Msg>({ dir });
  const [a, b, c] = await Promise.all([q.enqueue(msg(1)), q.enqueue(msg(2)), q.enqueue(msg(3))]);
  q.ack(b);
  q.ack(b);
  q.ack(999);
  t.equal(q.depth, 2);
  t.same(pending(q), [{ seq: a, item: msg(1) }, { seq: c, item: msg(3) }]);
  await q.close();
});

void t.test('reopen replays only unacked items, and new seqs continue after the old ones', async (t) => {
  const dir = await tempDir(t);
  const q1 = await JournalQueue.open<Msg>({ dir });
  const seqs = await Promise.all(Array.from({ length: 10 }, (_, n) => q1.enqueue(msg(n))));
  for (const s of seqs) if (s % 3 === 0) q1.ack(s);
  await q1.close();
  const q2 = await JournalQueue.open<Msg>({ dir });
  t.same(pending(q2), seqs.filter((s) => s % 3 !== 0).map((s) => ({ seq: s, item: msg(s - 1) })));
  t.equal(await q2.enqueue(msg(99)), 11);
  await q2.close();
});

void t.test('an enqueue or ack arriving just as a commit finishes is still committed (no lost wake-up)', async (t) => {
  const dir = await tempDir(t);
  const q = await JournalQueue.open<Msg>({ dir });
  for (let ticks = 0; ticks < 8; ticks++) {
    await q.enqueue(msg(ticks));
    for (let i = 0; i < ticks; i++) await Promise.resolve();
    const r = await Promise.race([q.enqueue(msg(100 + ticks)).then(() => 'resolved'), new Promise((res) => setTimeout(() => res('hung'), 2000))]);
    t.equal(r, 'resolved', `enqueue ${ticks} microtask(s) after a commit`);
  }
  const seq = await q.enqueue(msg(0));
  await Promise.resolve();
  q.ack(seq);
  await q.close();
  const again = await JournalQueue.open<Msg>({ dir });
  t.notOk(pending(again).some((p) => p.seq === seq), 'an ack made one microtask after a commit reaches the disk by close()');
  await again.close();
});

void t.test('group commit: 1,000 concurrent enqueues take far fewer than 1,000 disk flushes', async (t) => {
  const dir = await tempDir(t);
  const batches: number[] = [];
  const q = await JournalQueue.open<Msg>({ dir, onCommit: (n) => batches.push(n) });
  const seqs = await Promise.all(Array.from({ length: 1000 }, (_, n) => q.enqueue(msg(n))));
  t.equal(seqs.length, 1000);
  t.equal(batches.reduce((a, b) => a + b, 0), 1000, 'every record was committed exactly once');
  t.ok(batches.length <= 10, `${batches.length} commits (batch sizes ${batches.join(', ')})`);
  await q.close();
});

void t.test('acks ride with the next commit of enqueues, and alone are committed within 100 ms', async (t) => {
  const dir = await tempDir(t);
  const batches: number[] = [];
  const q = await JournalQueue.open<Msg>({ dir, onCommit: (n) => batches.push(n) });
  const a = await q.enqueue(msg(1));
  const b = await q.enqueue(msg(2));
  t.same(batches, [1, 1]);
  q.ack(a);
  await new Promise((r) => setImmediate(r));
  t.same(batches, [1, 1], 'no commit for an ack on its own, at once');
  await q.enqueue(msg(3));
  t.same(batches, [1, 1, 2], 'the ack went with the next enqueue: one disk flush for both');
  q.ack(b);
  const started = Date.now();
  while (batches.length < 4 && Date.now() - started < 2000) await new Promise((r) => setTimeout(r, 10));
  t.same(batches, [1, 1, 2, 1], 'an ack with no enqueue after it is committed on its own');
  t.ok(Date.now() - started < 1000, `within ${Date.now() - started} ms`);
  // Read back while the queue is still open, as after a crash: both acks are on disk.
  const reader = await JournalQueue.open<Msg>({ dir });
  t.same(pending(reader).map((p) => p.item), [msg(3)]);
  await reader.close();
  await q.close();
});

void t.test('segments roll over; fully acked old segments go, but an unacked prefix keeps the later ones', async (t) => {
  const dir = await tempDir(t);
  const opts: JournalOptions = { dir, segmentBytes: 2048 };
  const q = await JournalQueue.open<Msg>(opts);
  const seqs: number[] = [];
  for (let n = 0; n < 40; n++) seqs.push(await q.enqueue(msg(n))); // one commit each: ~6 records a segment
  const rolled = await segments(dir);
  t.ok(rolled.length >= 5, `rolled over into ${rolled.length} segments`);

  for (const s of seqs.slice(1)) q.ack(s); // everything but the very first item
  await q.enqueue(msg(100)); // a commit after the acks, so the clean-up has run
  const kept = await segments(dir);
  t.same(kept.slice(0, rolled.length), rolled, 'seq 1 is unacked in the first segment: no segment was deleted');

  q.ack(seqs[0]!);
  await q.enqueue(msg(101));
  const after = await segments(dir);
  t.notOk(after.includes(rolled[0]!), 'the first segment is gone once all its entries are acked');
  t.ok(after.length <= 2, `only the live tail remains (${after.join(', ')})`);
  await q.close();

  const q2 = await JournalQueue.open<Msg>(opts);
  t.same(pending(q2).map((p) => p.item), [msg(100), msg(101)]);
  await q2.close();
});

void t.test('acks stored in a later segment are honoured across restarts: no duplicate redelivery', async (t) => {
  const dir = await tempDir(t);
  const opts: JournalOptions = { dir, segmentBytes: 2048 };
  const q = await JournalQueue.open<Msg>(opts);
  const seqs: number[] = [];
  for (let n = 0; n < 20; n++) seqs.push(await q.enqueue(msg(n)));
  const firstSegments = await segments(dir);
  // Ack the odd items of the first segments; those acks land in the active (a later) segment.
  const acked = seqs.filter((s) => s % 2 === 1);
  for (const s of acked) q.ack(s);
  for (let n = 20; n < 40; n++) await q.enqueue(msg(n)); // more roll-overs after the acks
  t.ok((await segments(dir)).length > firstSegments.length, 'the acks live in later segments');
  await q.close();

  const want = [...seqs.filter((s) => s % 2 === 0), ...Array.from({ length: 20 }, (_, n) => 21 + n)];
  for (let restart = 1; restart <= 3; restart++) {
    const qn = await JournalQueue.open<Msg>(opts);
    t.same(pending(qn).map((p) => p.seq), want, `restart ${restart}: exactly the unacked items`);
    await qn.close();
  }
});

void t.test('a torn tail is truncated on open; every record before it survives', async (t) => {
  const dir = await tempDir(t);
  const q = await JournalQueue.open<Msg>({ dir });
  const seqs = await Promise.all(Array.from({ length: 10 }, (_, n) => q.enqueue(msg(n))));
  q.ack(seqs[4]!);
  await q.close();
  const [last] = (await segments(dir)).slice(-1);
  const path = join(dir, last!);
  const goodSize = (await stat(path)).size;
  const half = encodeEntry(11, msg(11));
  await appendFile(path, half.subarray(0, half.length >> 1)); // a write cut short by the crash

  const q2 = await JournalQueue.open<Msg>({ dir });
  t.equal((await stat(path)).size, goodSize, 'the file is cut back to the last whole record');
  t.same(pending(q2), seqs.filter((s) => s !== seqs[4]).map((s) => ({ seq: s, item: msg(s - 1) })));
  t.equal(await q2.enqueue(msg(12)), 11, 'the torn entry never happened: its seq is reused');
  await q2.close();

  await appendFile(join(dir, (await segments(dir)).slice(-1)[0]!), Buffer.from('garbage that is not a record'));
  const q3 = await JournalQueue.open<Msg>({ dir });
  t.equal(q3.depth, 10, 'garbage after the last record is dropped too');
  await q3.close();
});

void t.test('operations after close are refused or ignored', async (t) => {
  const dir = await tempDir(t);
  const q = await JournalQueue.open<Msg>({ dir });
  const seq = await q.enqueue(msg(1));
  await q.close();
  await t.rejects(q.enqueue(msg(2)), { name: 'StoreError' });
  q.ack(seq);
  const q2 = await JournalQueue.open<Msg>({ dir });
  t.same(pending(q2), [{ seq, item: msg(1) }], 'an ack after close is not recorded');
  await q2.close();
});

void t.test('crash: after SIGKILL mid-stream, every item whose enqueue had resolved is replayed intact', async (t) => {
  const dir = await tempDir(t);
  t.ok(Number(process.versions.node.split('.')[0]) >= 24, `process.execPath runs Node ${process.versions.node}`);
  const child = spawn(process.execPath, [join(import.meta.dirname, 'queue-crash-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let lines = 0;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const closed = new Promise<void>((resolve) => child.stdout.once('end', resolve));
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      lines += chunk.toString('utf8').split('\n').length - 1;
      if (lines >= 3000) resolve();
    });
  });
  child.kill('SIGKILL'); // mid-stream: the loops are still enqueueing
  t.equal(await exited, 'SIGKILL');
  await closed; // whatever the child wrote before it died

  const entries = new Map<number, number>();
  const acked = new Set<number>();
  for (const line of out.split('\n')) {
    const [kind, seq, i] = line.split(' ');
    if (kind === 'E') entries.set(Number(seq), Number(i));
    else if (kind === 'A') acked.add(Number(seq));
  }
  t.ok(entries.size >= 2000, `${entries.size} enqueues reported durable before the kill`);
  const segs = await segments(dir);
  t.ok(segs.length > 1, `the journal spans ${segs.length} segments`);

  const q = await JournalQueue.open<{ i: number; pad: string }>({ dir, segmentBytes: 32 * 1024 });
  const replayed = new Map([...q.unacked()].map(({ seq, item }) => [seq, item]));
  const missing: number[] = [];
  const damaged: number[] = [];
  for (const [seq, i] of entries) {
    const item = replayed.get(seq);
    if (item === undefined) {
      if (!acked.has(seq)) missing.push(seq);
      continue;
    }
    if (item.i !== i || item.pad !== `item ${i} `.padEnd(300, '.')) damaged.push(seq);
  }
  t.same(missing, [], 'no unacked item reported durable is missing');
  t.same(damaged, [], 'every replayed item is intact');
  const maxSeq = Math.max(...entries.keys());
  t.ok(await q.enqueue({ i: -1, pad: '' }) > maxSeq, 'new seqs continue after everything reported');
  await q.close();
});
