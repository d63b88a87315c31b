// Transaction-layer throughput: SIPp UAC → Parley's SIP stack with a null application (a
// SipEndpoint answering 200 to every MESSAGE at once, bench/null-uas.ts, in its own process), next
// to SIPp UAC → SIPp UAS in the same run as the reference ceiling. UDP and TCP, increasing rates.
// Run alone: npx node bench/sip-transactions.ts [--quick]
import { join } from 'node:path';
import { spawnChild } from '../test/harness/child.ts';
import { freeSipPort, isBound } from '../test/harness/ports.ts';
import { cpuMicros, percentile, runUac, startUas, type UacResult } from './sipp-load.ts';
import { fmt, markdown, type Section } from './table.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const NULL_UAS = new URL('./null-uas.ts', import.meta.url).pathname;
// ~150 bytes: a short chat line, as most IM traffic is.
const BODY = 'Bench message: the quick brown fox jumps over the lazy dog. Grüße 👋 — 你好.';

export interface Options { seconds: number; rates: number[]; cpuProfDir?: string; transports?: Array<'udp' | 'tcp'> }

async function startNullUas(cpuProfDir?: string): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const port = await freeSipPort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-null-'));
  const prof = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
  const child = spawnChild(process.execPath, [...prof, NULL_UAS, String(port)], { cwd: dir, outputFile: join(dir, 'out.log') });
  while (!(isBound(port, 'udp') && isBound(port, 'tcp'))) {
    if (child.hasExited()) throw new Error('null UAS exited');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, pid: child.pid, stop: async () => { await child.stop(5000); } };
}

function row(target: string, transport: string, want: number, r: UacResult, cpu: number): string[] {
  return [
    target, transport, fmt(want), fmt(r.rate), fmt(r.successful), fmt(r.failed), fmt(r.retransmissions),
    fmt(percentile(r.rtt, 50)), fmt(percentile(r.rtt, 99)), fmt(cpu / r.successful, 1), fmt(cpu / r.successful * 1000 / 1e6 * 1000, 0),
  ];
}

export async function run(o: Options): Promise<Section> {
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const transport of (o.transports ?? ['udp', 'tcp'])) {
    const parley = await startNullUas(o.cpuProfDir);
    const sipp = await startUas(transport);
    try {
      for (const rate of o.rates) {
        const calls = Math.round(rate * o.seconds);
        const c0 = cpuMicros(sipp.pid);
        const ref = await runUac({ remote: `127.0.0.1:${sipp.port}`, transport, rate, calls, body: BODY });
        const refCpu = cpuMicros(sipp.pid) - c0;
        const p0 = cpuMicros(parley.pid);
        const got = await runUac({ remote: `127.0.0.1:${parley.port}`, transport, rate, calls, body: BODY });
        const cpu = cpuMicros(parley.pid) - p0;
        rows.push(row('SIPp UAS (reference)', transport, rate, ref, refCpu));
        rows.push(row('Parley null app', transport, rate, got, cpu));
        const clean = got.failed === 0 && got.retransmissions === 0 && got.successful === calls;
        const refClean = ref.failed === 0 && ref.retransmissions === 0 && ref.successful === calls;
        verdicts.push(`${transport} ${fmt(rate)}/s: Parley ${clean ? 'clean' : 'NOT clean'}, reference ${refClean ? 'clean' : 'NOT clean'}; achieved ratio ${fmt(100 * got.rate / ref.rate, 0)}%`);
        process.stderr.write(`  transactions ${transport} ${rate}/s: parley ${fmt(got.rate)}/s failed ${got.failed} retrans ${got.retransmissions} cpu ${fmt(cpu / got.successful, 1)} µs; ref ${fmt(ref.rate)}/s failed ${ref.failed} retrans ${ref.retransmissions}\n`);
      }
    } finally {
      await sipp.stop();
      await parley.stop();
    }
  }
  return {
    title: 'SIP transaction layer: SIPp UAC → null application (MESSAGE → 200)',
    columns: ['target', 'transport', 'offered /s', 'achieved /s', 'successful', 'failed', 'retrans', 'p50 ms', 'p99 ms', 'CPU µs/tx', 'CPU ms/1k tx'],
    rows,
    notes: [
      `${o.seconds} s per step; SIPp UAC \`-r RATE -rp 1000 -m RATE×${o.seconds}\`, \`-buff_size 4194304\` both sides; bench/scenarios/uac-message.xml (rtd on the 200).`,
      'CPU = utime+stime of the answering process (/proc/PID/stat, 10 ms ticks) over the step ÷ successful transactions; for the reference row it is SIPp UAS\'s CPU.',
      'p50/p99 from SIPp -trace_rtt: SIPp measures in whole milliseconds, so 0 means < 1 ms.',
      'Targets (issue #4): ≥ 20,000/s with 0 failed and 0 retransmitted (≥ 70 % of the reference); p99 at 2,000/s within 1 ms of the reference.',
      ...verdicts,
    ],
  };
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const s = await run({ seconds: quick ? 3 : 10, rates: quick ? [2000, 10000] : [2000, 5000, 10000, 20000, 25000] });
  console.log(markdown(s));
}
