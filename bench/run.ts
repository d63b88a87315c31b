// Benchmark runner: runs the modules, prints one markdown report (machine, Node, date, commands)
// and with --record appends it to bench/RESULTS.md.
// Usage: npm run bench -- [--quick] [--record] [--no-pin] [--only parser,journal,transactions,e2e]
// --no-pin: the transactions bench lets the answering process and the load generator share CPUs
// (by default each has its own, as with a peer on another host).
// --uac-sched batch: the transactions bench runs its SIPp load generators under SCHED_BATCH.
import { cpus, release, type as osType } from 'node:os';
import { appendFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { markdown, type Section } from './table.ts';
import * as parser from './sip-parser.ts';
import * as transactions from './sip-transactions.ts';
import * as e2e from './e2e.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const record = argv.includes('--record');
const onlyArg = argv[argv.indexOf('--only') + 1];
const only = argv.includes('--only') && onlyArg !== undefined ? new Set(onlyArg.split(',')) : undefined;
const want = (name: string): boolean => only === undefined || only.has(name);

const cpu = cpus();
const head = [
  `## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${quick ? ' (quick)' : ''}`,
  '',
  `- machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores; ${osType()} ${release()}; Node ${process.version}`,
  `- commit: ${spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'unknown'}`,
  `- command: \`npm run bench -- ${argv.join(' ')}\``,
  '',
].join('\n');
process.stdout.write(`${head}\n`);

const parts: string[] = [head];
const emit = (s: Section): void => {
  const md = markdown(s);
  parts.push(md);
  process.stdout.write(`${md}\n`);
};

if (want('parser')) emit(parser.run({ iterations: quick ? 50_000 : 200_000 }));
if (want('journal')) {
  // bench/journal.ts prints its own table; run it as it is.
  const r = spawnSync(process.execPath, [new URL('./journal.ts', import.meta.url).pathname], { encoding: 'utf8' });
  const table = r.stdout.split('\n').filter((l) => l.startsWith('|') || l.startsWith('items/s')).join('\n');
  const md = `### Journal queue (bench/journal.ts, tmpdir)\n\n${table}\n`;
  parts.push(md);
  process.stdout.write(`${md}\n`);
}
if (want('transactions')) {
  const schedAt = argv.indexOf('--uac-sched');
  const sched = schedAt >= 0 ? argv[schedAt + 1] : undefined;
  // as bench/sip-transactions.ts run alone: a policy it does not know is refused, not ignored
  if (sched !== undefined && sched !== 'batch') throw new Error('--uac-sched: batch (or leave it out for the default policy)');
  const batch = sched === 'batch';
  emit(await transactions.run({
    seconds: quick ? 3 : 10, rates: quick ? [2000, 10000] : [2000, 5000, 10000, 20000, 25000],
    ...(argv.includes('--no-pin') && { pin: false }),
    ...(batch && { uacSched: 'batch' as const }),
  }));
}
if (want('e2e')) emit(await e2e.run({ seconds: quick ? 4 : 12, rates: quick ? [2000, 5000] : [2000, 4000, 6000, 8000] }));

if (record) {
  await appendFile(new URL('./RESULTS.md', import.meta.url), `\n${parts.join('\n')}\n`);
  process.stdout.write('appended to bench/RESULTS.md\n');
}
