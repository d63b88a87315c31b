// Child process for the queue crash test: enqueues from several concurrent loops (so commits are
// batched) into a journal with small segments, and prints `E <seq> <i>` only AFTER enqueue resolved,
// i.e. once the item is durable. Every fifth item is acknowledged (`A <seq>` printed first: the ack
// may or may not be durable when the process dies). Runs until killed.
// stdout is a pipe, which Node writes synchronously on Linux: what the parent read was written.
import { JournalQueue } from '../../gateway/store/journal.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: queue-crash-child.ts DIR');
const q = await JournalQueue.open<{ i: number; pad: string }>({ dir, segmentBytes: 32 * 1024 });
let next = 0;

async function worker(): Promise<never> {
  for (;;) {
    const i = next++;
    const seq = await q.enqueue({ i, pad: `item ${i} `.padEnd(300, '.') });
    process.stdout.write(`E ${seq} ${i}\n`);
    if (i % 5 === 0) {
      process.stdout.write(`A ${seq}\n`);
      q.ack(seq);
    }
  }
}

await Promise.all(Array.from({ length: 8 }, () => worker()));
