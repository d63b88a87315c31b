// Transaction-layer throughput: SIPp UAC → Parley's SIP stack with a null application (a
// SipEndpoint answering 200 to every MESSAGE at once, bench/null-uas.ts, in its own process), next
// to SIPp UAC → SIPp UAS in the same run as the reference ceiling. UDP and TCP, increasing rates.
// Run alone: npx node bench/sip-transactions.ts [--quick] [--no-pin] [--rates 2000,20000] [--seconds 10] [--transports udp,tcp] [--floor-work-us 0,10,20] [--layers parse,check]
//   [--uac-sched batch] (SIPp UACs under SCHED_BATCH) [--baseline DIR] (a row for the null application of another checkout, e.g. a git worktree of main)
// Diagnostics: BENCH_NULL_UAS_FLAGS='--trace-gc' (node flags for the null UAS process).
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { spawnChild } from '../test/harness/child.ts';
import { freeSipPort, isBound } from '../test/harness/ports.ts';
import { cpuMicros, percentile, preemptions, runUac, startUas, type UacResult } from './sipp-load.ts';
import { fmt, markdown, type Section } from './table.ts';
import { startCapture, tcpdumpAvailable, type Capture, type WireTimes } from './pcap-latency.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const NULL_UAS = new URL('./null-uas.ts', import.meta.url).pathname;
const UDP_FLOOR = new URL('./udp-floor.ts', import.meta.url).pathname;
// ~150 bytes: a short chat line, as most IM traffic is.
const BODY = 'Bench message: the quick brown fox jumps over the lazy dog. Grüße 👋 — 你好.';

export interface Options {
  seconds: number; rates: number[]; cpuProfDir?: string; transports?: Array<'udp' | 'tcp'>;
  /**
   * The answering process (SIPp UAS or Parley) on the last CPU, this bench and its SIPp UACs on the
   * first; default: pinned where there are two CPUs or more. A peer on another host never runs on
   * the answering side's CPU. On one CPU shared with it, the load generator, woken by each response,
   * preempts the answering process mid-burst whenever that process has used more of the CPU than it
   * (Linux's EEVDF: a task over its fair share loses its slice protection), which measures how the
   * kernel splits one CPU between the two, not the stack (bench/RESULTS.md, 2026-12-07 04:05 UTC).
   */
  pin?: boolean;
  /** Node UDP floor rows, one per value: µs of busy work per request (default [0]). */
  floorWorkUs?: number[];
  /** Rows for part of Parley's stack only, over UDP (bench/null-uas.ts LAYER): 'parse', 'check'. */
  layers?: Array<'parse' | 'check'>;
  /**
   * 'batch': the SIPp UACs run under SCHED_BATCH. The load generator is not what is measured; on
   * this VM the scheduler puts it on the answering process's CPU and, woken by each response, lets
   * it preempt the answerer mid-burst (perf sched), which a peer on another host never does.
   */
  uacSched?: 'batch';
  /** Another checkout's null application as one more row (A/B in one run): its directory, and a label. */
  baseline?: { dir: string; label: string };
}

/** A checkout's commit, short, for a row's name. */
function commitOf(dir: string): string {
  const r = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : dir;
}

/**
 * Pins `pid`'s main thread (or, with `all`, every thread) to `cpus` (taskset). Without pinning,
 * Linux wakes the load generator on the answering process's CPU when a response is sent to it (a
 * wake-affine, sync wakeup; this VM's kernel packs tasks on one vCPU), and an answering process
 * that has used more CPU than the load generator is then preempted after each response while the
 * rest of SIPp's burst waits. Only the main thread of the answering process is pinned: Node's GC
 * helper threads pinned to the same CPU as its main thread made the tail worse, not better.
 */
function pin(pid: number, cpus: string, all: boolean): void {
  const args = [...(all ? ['-a'] : []), '-p', '-c', cpus, String(pid)];
  const r = spawnSync('taskset', args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset ${args.join(' ')} failed`);
}

interface Target { port: number; pid: number; stop(): Promise<void> }

/** Parley's null application (or, with `script` UDP_FLOOR, the bare Node UDP responder). */
async function startNode(script: string, transports: Array<'udp' | 'tcp'>, cpuProfDir?: string, extra: string[] = []): Promise<Target> {
  const port = await freeSipPort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-null-'));
  const prof = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const flags = (process.env.BENCH_NULL_UAS_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const child = spawnChild(process.execPath, [...flags, ...prof, script, String(port), ...extra], { cwd: dir, outputFile: join(dir, 'out.log') });
  while (!transports.every((t) => isBound(port, t))) {
    if (child.hasExited()) throw new Error(`${script} exited`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, pid: child.pid, stop: async () => { await child.stop(5000); } };
}

/** 2 s of this load against each target before its measured steps. */
const WARM_UP_RATE = 2000;

/** Wire response times are captured up to this rate (the capture itself costs CPU and disk). */
const WIRE_MAX_RATE = 5000;

function row(target: string, transport: string, want: number, m: Measured): string[] {
  const { r, cpu, wire } = m;
  const ms = (p: number): string => (wire === undefined || wire.times.length === 0 ? '—' : fmt(percentile(wire.times, p) / 1000, 3));
  return [
    target, transport, fmt(want), fmt(r.rate), fmt(r.successful), fmt(r.failed), fmt(r.retransmissions),
    fmt(percentile(r.rtt, 50)), fmt(percentile(r.rtt, 99)), ms(50), ms(99), ms(99.9),
    wire?.firstOfBurst === undefined ? '—' : fmt(wire.firstOfBurst, 0),
    wire?.perRequest === undefined ? '—' : fmt(wire.perRequest, 0),
    fmt(m.preempted / r.successful * 1000, 0),
    fmt(cpu / r.successful, 1), fmt(cpu / r.successful * 1000 / 1e6 * 1000, 0),
  ];
}

interface Measured {
  r: UacResult;
  /** µs of CPU the answering process used */
  cpu: number;
  /** involuntary context switches of its main thread */
  preempted: number;
  wire: WireTimes | undefined;
}

/** Runs one SIPp UAC load against `port`, capturing wire response times when asked. */
async function measured(
  port: number, pid: number, transport: 'udp' | 'tcp', rate: number, calls: number, wire: boolean, sched: 'batch' | undefined,
): Promise<Measured> {
  const cap: Capture | undefined = wire ? await startCapture(port) : undefined;
  const c0 = cpuMicros(pid);
  const p0 = preemptions(pid);
  const r = await runUac({ remote: `127.0.0.1:${port}`, transport, rate, calls, body: BODY, ...(sched !== undefined && { sched }) });
  const cpu = cpuMicros(pid) - c0;
  const preempted = preemptions(pid) - p0;
  return { r, cpu, preempted, wire: await cap?.stop() };
}

export async function run(o: Options): Promise<Section> {
  const rows: string[][] = [];
  const verdicts: string[] = [];
  const capture = tcpdumpAvailable();
  const last = cpus().length - 1;
  const pinned = o.pin ?? last >= 1;
  if (pinned) pin(process.pid, '0', true); // SIPp UACs started from here inherit CPU 0
  for (const transport of (o.transports ?? ['udp', 'tcp'])) {
    const parley = await startNode(NULL_UAS, ['udp', 'tcp'], o.cpuProfDir);
    const sipp = await startUas(transport);
    // The floor is measured where the wire is: over UDP at the rates tcpdump follows.
    const wireSteps = capture && o.rates.some((r) => r <= WIRE_MAX_RATE);
    const udpWireSteps = wireSteps && transport === 'udp';
    const floors = udpWireSteps
      ? await Promise.all((o.floorWorkUs ?? [0]).map(async (us) => ({ us, target: await startNode(UDP_FLOOR, ['udp'], undefined, [String(us)]) })))
      : [];
    const layers = udpWireSteps
      ? await Promise.all((o.layers ?? []).map(async (layer) => ({ layer, target: await startNode(NULL_UAS, ['udp'], undefined, [layer]) })))
      : [];
    const baseline = wireSteps && o.baseline !== undefined
      ? [{ name: `Parley null app at ${o.baseline.label}`, target: await startNode(join(o.baseline.dir, 'bench', 'null-uas.ts'), ['udp', 'tcp']) }]
      : [];
    const extras = [...baseline, ...layers.map((l) => ({ name: l.layer === 'parse' ? 'Parley parse + response only' : 'Parley parse + checks + response', target: l.target })),
      ...floors.map((f) => ({ name: f.us === 0 ? 'Node UDP floor (no SIP)' : `Node UDP floor + ${f.us} µs work`, target: f.target }))];
    if (pinned) {
      for (const p of [parley, sipp, ...extras.map((e) => e.target)]) {
        pin(p.pid, `0-${last}`, true); // its helper threads free again (they inherited CPU 0 from here)
        pin(p.pid, String(last), false);
      }
    }
    try {
      // Both targets get the same warm-up load first: the measured steps show a process in service,
      // not V8 compiling the hot path (the first ~100 ms after start answer in 5–15 ms, which alone
      // is 1 % of a 5 s step's samples at 2,000/s).
      for (const target of [sipp, parley, ...extras.map((e) => e.target)]) {
        await runUac({ remote: `127.0.0.1:${target.port}`, transport, rate: WARM_UP_RATE, calls: WARM_UP_RATE * 2, body: BODY, ...(o.uacSched !== undefined && { sched: o.uacSched }) });
      }
      for (const rate of o.rates) {
        const calls = Math.round(rate * o.seconds);
        const wire = capture && rate <= WIRE_MAX_RATE;
        const refRun = await measured(sipp.port, sipp.pid, transport, rate, calls, wire, o.uacSched);
        const parleyRun = await measured(parley.port, parley.pid, transport, rate, calls, wire, o.uacSched);
        const extraRuns: Array<{ name: string; run: Measured }> = [];
        if (wire) for (const e of extras) extraRuns.push({ name: e.name, run: await measured(e.target.port, e.target.pid, transport, rate, calls, wire, o.uacSched) });
        const ref = refRun.r;
        const got = parleyRun.r;
        const cpu = parleyRun.cpu;
        rows.push(row('SIPp UAS (reference)', transport, rate, refRun));
        rows.push(row('Parley null app', transport, rate, parleyRun));
        for (const e of extraRuns) rows.push(row(e.name, transport, rate, e.run));
        if (wire && refRun.wire !== undefined && parleyRun.wire !== undefined) {
          const p99 = (w: WireTimes): number => percentile(w.times, 99) / 1000;
          const d = p99(parleyRun.wire) - p99(refRun.wire);
          const floorText = extraRuns.map((e) => `; ${e.name} ${e.run.wire === undefined ? '—' : fmt(p99(e.run.wire), 3)} ms`).join('');
          verdicts.push(`${transport} ${fmt(rate)}/s wire p99: Parley ${fmt(p99(parleyRun.wire), 3)} ms, reference ${fmt(p99(refRun.wire), 3)} ms: ${d <= 1 ? 'within' : 'NOT within'} 1 ms (${fmt(d, 3)} ms)${floorText}`);
        }
        const clean = got.failed === 0 && got.retransmissions === 0 && got.successful === calls;
        const refClean = ref.failed === 0 && ref.retransmissions === 0 && ref.successful === calls;
        verdicts.push(`${transport} ${fmt(rate)}/s: Parley ${clean ? 'clean' : 'NOT clean'}, reference ${refClean ? 'clean' : 'NOT clean'}; achieved ratio ${fmt(100 * got.rate / ref.rate, 0)}%`);
        process.stderr.write(`  transactions ${transport} ${rate}/s: parley ${fmt(got.rate)}/s failed ${got.failed} retrans ${got.retransmissions} cpu ${fmt(cpu / got.successful, 1)} µs; ref ${fmt(ref.rate)}/s failed ${ref.failed} retrans ${ref.retransmissions}\n`);
      }
    } finally {
      await sipp.stop();
      await parley.stop();
      for (const e of extras) await e.target.stop();
    }
  }
  if (pinned) pin(process.pid, `0-${last}`, true); // the benches run after this one get every CPU back
  return {
    title: 'SIP transaction layer: SIPp UAC → null application (MESSAGE → 200)',
    columns: ['target', 'transport', 'offered /s', 'achieved /s', 'successful', 'failed', 'retrans', 'SIPp p50 ms', 'SIPp p99 ms', 'wire p50 ms', 'wire p99 ms', 'wire p99.9 ms', 'wire µs, first of a burst', 'wire µs/request in a burst', 'preempted /1k tx', 'CPU µs/tx', 'CPU ms/1k tx'],
    rows,
    notes: [
      `${o.seconds} s per step; SIPp UAC \`-r RATE -rp 1000 -m RATE×${o.seconds}\`, \`-buff_size 4194304\` both sides; bench/scenarios/uac-message.xml (rtd on the 200).`,
      pinned
        ? `Pinned (the default; --no-pin to share): the answering process's main thread (SIPp UAS or Parley) on CPU ${last}, the SIPp UAC load generators on CPU 0 (taskset), as a peer on another host would be.`
        : 'Not pinned (--no-pin, or one CPU): the answering process and the SIPp UAC share the CPUs as the scheduler places them; a response may wake the load generator on the answering process\'s CPU, where it preempts the answering process if that one has used more CPU than it (the preempted column).',
      o.uacSched === 'batch'
        ? 'SIPp UACs under SCHED_BATCH (`chrt --batch 0`, --uac-sched batch): a response that wakes the load generator does not preempt the answering process mid-burst; every row alike.'
        : pinned
          ? 'SIPp UACs under the default policy (SCHED_OTHER), on their own CPU.'
          : 'SIPp UACs under the default policy (SCHED_OTHER): woken by each response on the answering process\'s CPU, the load generator may preempt it mid-burst.',
      'preempted /1k tx: involuntary context switches of the answering process\'s main thread (/proc/PID/task/PID/status) per 1,000 transactions: how often something else took its CPU while it had work, e.g. the load generator woken by a response on the same CPU.',
      'CPU = utime+stime of the answering process (/proc/PID/stat, 10 ms ticks) over the step ÷ successful transactions; for the reference row it is SIPp UAS\'s CPU.',
      'SIPp p50/p99 from SIPp -trace_rtt: SIPp measures in whole milliseconds (4 ms steps on this VM), so 0 means < 1 ms.',
      `Before the steps, each target answers a 2 s warm-up load at ${fmt(WARM_UP_RATE)}/s (not in the table).`,
      capture
        ? `wire p50/p99/p99.9: the answering side's response time on the wire — tcpdump on lo, first transmission of each MESSAGE to its final response, matched by Call-ID, kernel timestamps in µs (bench/pcap-latency.ts); measured up to ${fmt(WIRE_MAX_RATE)}/s. SIPp sends in bursts at its scheduler tick (every ~4 ms on this VM: 8 MESSAGEs at once at 2,000/s), so the tail is the last request of a burst waiting for the ones before it: roughly 8 × the answering side's time per request.`
        : 'wire p50/p99: not measured (no tcpdump here: Debian package `tcpdump`, run as root).',
      ...(capture ? [
        'wire µs, first of a burst: the median response time of the first request of each SIPp burst (1 ms or more after the request before it): the answering side waking from idle and running its whole path on a cold CPU.',
        'wire µs/request in a burst: the median time between the final responses to two requests that arrived one after the other in the same burst (bench/pcap-latency.ts): what each request of a burst adds to the wait of the last one. It includes the SIPp UAC\'s own turn when the scheduler runs it between two requests on the same CPU.',
        'Node UDP floor (bench/udp-floor.ts, UDP at the wire-measured rates): a bare dgram socket answering each MESSAGE with a 200 made by copying the request\'s lines, no parsing and no state: what any Node UDP server pays on this machine before doing any work of its own. "+ N µs work" rows (--floor-work-us) busy-wait N µs per request first. "Parley parse + …" rows (--layers): part of Parley\'s stack only (bench/null-uas.ts LAYER), no transaction.',
      ] : []),
      'Targets (issue #4): ≥ 20,000/s with 0 failed and 0 retransmitted (≥ 70 % of the reference); p99 at 2,000/s within 1 ms of the reference.',
      ...verdicts,
    ],
  };
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1]; };
  const rates = arg('--rates')?.split(',').map(Number) ?? (quick ? [2000, 10000] : [2000, 5000, 10000, 20000, 25000]);
  const transports = arg('--transports')?.split(',') as Array<'udp' | 'tcp'> | undefined;
  const floorWorkUs = arg('--floor-work-us')?.split(',').map(Number);
  const layers = arg('--layers')?.split(',') as Array<'parse' | 'check'> | undefined;
  const baselineDir = arg('--baseline');
  const uacSched = arg('--uac-sched');
  if (uacSched !== undefined && uacSched !== 'batch') throw new Error('--uac-sched: batch (or leave it out for the default policy)');
  const s = await run({
    ...(uacSched === 'batch' && { uacSched }),
    ...(baselineDir !== undefined && { baseline: { dir: baselineDir, label: commitOf(baselineDir) } }),
    seconds: Number(arg('--seconds') ?? (quick ? 3 : 10)), rates, transports,
    ...(process.argv.includes('--no-pin') && { pin: false }),
    ...(floorWorkUs !== undefined && { floorWorkUs }), ...(layers !== undefined && { layers }),
  });
  console.log(markdown(s));
}
