// Journal queue benchmark: enqueue+ack throughput and enqueue latency (enqueue call → durable)
// at several concurrencies, ~300-byte items, in a temp dir (or the dir given as argv[2]: point it
// at the disk the store will live on; a tmpfs /tmp makes fdatasync nearly free).
// Run: npx node bench/journal.ts [dir]
import { cpus, tmpdir, type as osType, release } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { JournalQueue } from '../gateway/store/journal.ts';

interface Item { from: string; to: string; body: string }
const item: Item = { from: 'sip:alice@corp.example', to: 'bob@xmpp.example', body: 'x'.repeat(240) };

interface Row { concurrency: number; items: number; seconds: number; commits: number; p50: number; p99: number }

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(base: string, concurrency: number, items: number): Promise<Row> {
  const dir = await mkdtemp(join(base, 'parley-bench-'));
  let commits = 0;
  const q = await JournalQueue.open<Item>({ dir, onCommit: () => { commits++; } });
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < items) {
      const t0 = performance.now();
      const seq = await q.enqueue(item);
      latencies.push(performance.now() - t0);
      q.ack(seq);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  await q.close(); // the last acks are durable too
  const seconds = (performance.now() - start) / 1000;
  await rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { concurrency, items, seconds, commits, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const base = process.argv[2] ?? tmpdir();
const cpu = cpus();
console.log(`journal bench — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${osType()} ${release()}, ${cpu[0]?.model ?? 'unknown cpu'} × ${cpu.length} cores`);
console.log(`dir: ${base}; item JSON ${JSON.stringify({ s: 1, d: item }).length} bytes`);
console.log('');

const rows: Row[] = [];
for (const [concurrency, items] of [[1, 3000], [64, 30000], [1024, 100000]] as const) {
  await run(base, concurrency, Math.min(items, 500)); // warm-up
  rows.push(await run(base, concurrency, items));
}

const header = ['concurrency', 'items', 'items/s', 'commits', 'items/commit', 'p50 ms', 'p99 ms'];
const table = rows.map((r) => [
  String(r.concurrency), String(r.items), Math.round(r.items / r.seconds).toLocaleString('en-US'),
  String(r.commits), (r.items * 2 / r.commits).toFixed(1), r.p50.toFixed(3), r.p99.toFixed(3),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(row));
console.log('\nitems/s counts enqueue+ack pairs; items/commit counts records (entry + ack) per fdatasync.');
