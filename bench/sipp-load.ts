// SIPp as a load generator for the benchmarks: a UAC at a fixed rate for a fixed number of calls
// (no message trace: it costs more than the SUT), a UAS answering 200 for ever. Reads the final
// statistics screen (successful, failed, retransmissions) and the -trace_rtt CSV (response times).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild, type Child } from '../test/harness/child.ts';
import { freeUdpPort, freeSipPort, isBound, LOOPBACK } from '../test/harness/ports.ts';
import { SCENARIOS, SIPP_BIN } from '../test/harness/sipp.ts';

const BENCH_SCENARIOS = new URL('./scenarios/', import.meta.url).pathname;
/** Socket buffers: SIPp's default 64 KiB drops datagrams in bursts at 5,000/s already. */
const BUFF = '4194304';

export interface UacLoad {
  remote: string;
  transport: 'udp' | 'tcp';
  rate: number;
  calls: number;
  body: string;
  ruri?: string;
  from?: string;
  /** Put SIPp's [timestamp] (epoch seconds, µs) at the start of each body. */
  stamp?: boolean;
  /** Seconds SIPp may run past calls/rate before it gives up. */
  graceSeconds?: number;
  /**
   * 'batch': SIPp runs under SCHED_BATCH (chrt -b), so that a response waking it does not preempt
   * the process answering on the same CPU in the middle of a burst (see bench/sip-transactions.ts).
   */
  sched?: 'batch';
}

export interface UacResult {
  successful: number;
  failed: number;
  retransmissions: number;
  /** achieved calls/s (SIPp's cumulative Call Rate) */
  rate: number;
  /** response times, ms (SIPp's resolution is 1 ms), sorted; the last <1000 calls are missing */
  rtt: number[];
  output: string;
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function lastCount(output: string, label: string): number {
  const re = new RegExp(`${label}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g');
  let last = NaN;
  for (const m of output.matchAll(re)) last = Number(m[1]);
  return last;
}

/** Retransmissions on the MESSAGE line of the final screen: "MESSAGE ---------->  N  R". */
function retransmissions(output: string): number {
  let last = NaN;
  for (const m of output.matchAll(/MESSAGE ---------->\s+(\d+)\s+(\d+)/g)) last = Number(m[2]);
  return last;
}

/** Cumulative "Call Rate" of the final screen. */
function callRate(output: string): number {
  let last = NaN;
  for (const m of output.matchAll(/Call Rate\s*\|\s*[\d.]+ cps\s*\|\s*([\d.]+) cps/g)) last = Number(m[1]);
  return last;
}

export async function runUac(o: UacLoad): Promise<UacResult> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-sipp-'));
  try {
    const port = await freeSipPort();
    const cp = await freeUdpPort();
    const to = o.ruri ?? 'sip:bob@xmpp.test';
    const scenario = join(dir, 'uac.xml');
    await writeFile(scenario, (await readFile(join(BENCH_SCENARIOS, 'uac-message.xml'), 'utf8')).replaceAll('{{stamp}}', o.stamp === true ? 'T[timestamp]|' : ''));
    const args = [o.remote, '-sf', scenario, '-i', LOOPBACK, '-p', String(port),
      '-t', o.transport === 'tcp' ? 't1' : 'u1', '-ci', LOOPBACK, '-cp', String(cp), '-mi', LOOPBACK,
      '-m', String(o.calls), '-r', String(o.rate), '-rp', '1000', '-nostdin',
      '-timeout', `${Math.ceil(o.calls / o.rate + (o.graceSeconds ?? 20))}s`,
      '-trace_rtt', '-rtt_freq', '1000', '-buff_size', BUFF, '-trace_err', '-error_file', join(dir, 'errors.log'),
      '-key', 'ruri', to, '-key', 'from', o.from ?? 'sip:alice@corp.test', '-key', 'to', to,
      '-key', 'content_type', 'text/plain;charset=UTF-8', '-key', 'body', o.body];
    await writeFile(join(dir, 'command'), [SIPP_BIN, ...args].join(' ') + '\n');
    const child = o.sched === 'batch'
      ? spawnChild('chrt', ['--batch', '0', SIPP_BIN, ...args], { cwd: dir, outputFile: join(dir, 'sipp.out') })
      : spawnChild(SIPP_BIN, args, { cwd: dir, outputFile: join(dir, 'sipp.out') });
    await child.exited;
    const output = await readFile(join(dir, 'sipp.out'), 'utf8');
    const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
    const rtt: number[] = [];
    if (rttFile !== undefined) {
      for (const line of (await readFile(join(dir, rttFile), 'utf8')).split('\n')) {
        const f = line.split(';');
        const v = Number(f[1]);
        if (f.length >= 3 && Number.isFinite(v) && f[0] !== 'Date_ms') rtt.push(v);
      }
    }
    rtt.sort((a, b) => a - b);
    const successful = lastCount(output, 'Successful call');
    return {
      successful, failed: lastCount(output, 'Failed call'), retransmissions: retransmissions(output),
      rate: callRate(output), rtt, output,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Uas { port: number; pid: number; stop(): Promise<void> }

/** SIPp UAS answering every MESSAGE with 200, until stopped. */
export async function startUas(transport: 'udp' | 'tcp'): Promise<Uas> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-sippuas-'));
  const port = await freeSipPort();
  const cp = await freeUdpPort();
  const scenario = join(dir, 'uas.xml');
  await writeFile(scenario, (await readFile(join(SCENARIOS, 'uas-message.xml'), 'utf8')).replaceAll('{{status}}', '200').replaceAll('{{reason}}', 'OK'));
  const args = ['-sf', scenario, '-i', LOOPBACK, '-p', String(port), '-t', transport === 'tcp' ? 't1' : 'u1',
    '-ci', LOOPBACK, '-cp', String(cp), '-mi', LOOPBACK, '-nostdin', '-buff_size', BUFF];
  const child: Child = spawnChild(SIPP_BIN, args, { cwd: dir, outputFile: join(dir, 'sipp.out') });
  while (!isBound(port, transport)) {
    if (child.hasExited()) throw new Error(`sipp uas exited: ${existsSync(join(dir, 'sipp.out')) ? await readFile(join(dir, 'sipp.out'), 'utf8') : ''}`);
    await sleep(10);
  }
  return {
    port, pid: child.pid,
    async stop() {
      await child.stop(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Times the process's main thread was switched out while it could still run (preempted, e.g. by
 * a task woken on its CPU): nonvoluntary_ctxt_switches in /proc/PID/task/PID/status.
 */
export function preemptions(pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  const m = /nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status);
  return m === null ? NaN : Number(m[1]);
}

/** utime+stime of a process, in µs (from /proc/PID/stat; clock ticks are 10 ms). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is state (field 3); utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) * 1e4;
}
