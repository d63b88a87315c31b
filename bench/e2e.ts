// End to end: SIPp UAC → Parley (real process: memory bus, journal store, so 202 means the stanza
// is durably queued) → Prosody → an XMPP client counting messages (bench/xmpp-counter.ts, its own
// process). Sustained rates for N seconds each: loss (client count vs SIPp successful),
// retransmissions, backlog drain (parley_delivery_queue_depth back to 0), Parley CPU per message,
// SIP-leg response time (SIPp, 1 ms resolution) and end-to-end latency (send time in the body,
// read by the client).
// Run alone: npx node bench/e2e.ts [--quick]
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startProsody } from '../test/harness/prosody.ts';
import { startParley } from '../test/harness/parley.ts';
import { freeSipPort, freeTcpPort } from '../test/harness/ports.ts';
import { cpuMicros, percentile, runUac } from './sipp-load.ts';
import { fmt, markdown, type Section } from './table.ts';

const SECRET = 'bench-secret';
const COUNTER = new URL('./xmpp-counter.ts', import.meta.url).pathname;
const BODY = 'Bench message: the quick brown fox jumps over the lazy dog. Grüße 👋 — 你好.';

export interface Options { seconds: number; rates: number[]; cpuProfDir?: string }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pidOf(needle: string): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) return Number(d);
    } catch {
      // gone
    }
  }
  throw new Error(`no process with ${needle} in its command line`);
}

interface Counter { report(): Promise<{ count: number; latencies: number[] }>; stop(): void }

async function startCounter(port: number): Promise<Counter> {
  const child: ChildProcess = spawn(process.execPath, [COUNTER, String(port), 'bob@xmpp.test', 'bobpw'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const kill = (): void => { child.kill('SIGKILL'); };
  process.once('exit', kill);
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  lines.on('line', (l) => { const w = waiting.shift(); if (w) w(l); else queue.push(l); });
  const next = (): Promise<string> => new Promise((r) => { const l = queue.shift(); if (l !== undefined) r(l); else waiting.push(r); });
  const first = await Promise.race([next(), sleep(10_000).then(() => 'timeout')]);
  if (first !== 'ready') throw new Error(`xmpp counter: ${first}`);
  return {
    async report() {
      child.stdin!.write('report\n');
      return JSON.parse(await next()) as { count: number; latencies: number[] };
    },
    stop() { child.stdin!.end(); setTimeout(kill, 1000).unref(); },
  };
}

export async function run(o: Options): Promise<Section> {
  const prosody = await startProsody({
    vhost: 'xmpp.test', users: [{ user: 'bob', password: 'bobpw' }], components: [{ domain: 'corp.test', secret: SECRET }], logLevel: 'warn',
  });
  const sipPort = await freeSipPort();
  const parley = await startParley({
    node: { id: 'bench' },
    bus: 'memory',
    log: { level: 'warn' },
    sip: { listen: [`udp://127.0.0.1:${sipPort}`, `tcp://127.0.0.1:${sipPort}`], domains: ['corp.test'] },
    xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: prosody.componentPort, secret: SECRET, addressing: 'direct' }] },
    peers: [{
      name: 'bench', remote: { xmpp: ['xmpp.test'] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['message'],
      limits: { messagesPerSecond: 1_000_000, burst: 1_000_000 },
    }],
  }, { httpPort: await freeTcpPort(), ...(o.cpuProfDir !== undefined && { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] }) });
  const rows: string[][] = [];
  const notes: string[] = [];
  let counter: Counter | undefined;
  try {
    await parley.ready();
    const pid = pidOf(parley.configFile);
    const prosodyPid = pidOf(`${prosody.dir}/prosody.cfg.lua`);
    counter = await startCounter(prosody.c2sPort);
    const depth = async (): Promise<number> => (await parley.metric('parley_delivery_queue_depth{queue="xmpp"}')) ?? (await parley.metric('parley_delivery_queue_depth')) ?? NaN;
    // warm-up: JIT, journal segment, Prosody's session
    await runUac({ remote: `127.0.0.1:${sipPort}`, transport: 'udp', rate: 1000, calls: 2000, body: BODY, stamp: true });
    await sleep(1000);
    await counter.report();
    for (const rate of o.rates) {
      const calls = Math.round(rate * o.seconds);
      const c0 = cpuMicros(pid);
      const x0 = cpuMicros(prosodyPid);
      const r = await runUac({ remote: `127.0.0.1:${sipPort}`, transport: 'udp', rate, calls, body: BODY, stamp: true });
      const cpu = cpuMicros(pid) - c0;
      const prosodyCpu = cpuMicros(prosodyPid) - x0;
      // Backlog: how long after SIPp's last call until every message reached the client.
      const t0 = Date.now();
      let got = 0;
      const latencies: number[] = [];
      let qDepth = await depth();
      for (;;) {
        const rep = await counter.report();
        got += rep.count;
        latencies.push(...rep.latencies);
        qDepth = await depth();
        if ((got >= r.successful && qDepth === 0) || Date.now() - t0 > 15_000) break;
        await sleep(100);
      }
      const drainMs = Date.now() - t0;
      latencies.sort((a, b) => a - b);
      const clean = r.failed === 0 && r.retransmissions === 0 && got === r.successful && r.successful === calls;
      rows.push([
        fmt(rate), fmt(r.rate), fmt(r.successful), fmt(got), fmt(r.failed), fmt(r.retransmissions),
        fmt(percentile(r.rtt, 50)), fmt(percentile(r.rtt, 99)),
        fmt(percentile(latencies, 50), 2), fmt(percentile(latencies, 99), 2),
        `${drainMs < 200 ? '< 0.2' : fmt(drainMs / 1000, 1)} s${qDepth === 0 ? '' : ` (depth ${fmt(qDepth)})`}`,
        fmt(cpu / r.successful, 1), fmt(prosodyCpu / r.successful, 1), clean ? 'yes' : 'NO',
      ]);
      process.stderr.write(`  e2e ${rate}/s: sipp ${fmt(r.rate)}/s ok ${r.successful} failed ${r.failed} retrans ${r.retransmissions}; client ${got}; e2e p99 ${fmt(percentile(latencies, 99), 2)} ms; parley ${fmt(cpu / r.successful, 1)} µs/msg\n`);
      await sleep(1000);
    }
    notes.push(
      `${o.seconds} s per rate, SIPp UAC over UDP (\`-buff_size 4194304\`), ${Buffer.byteLength(BODY)}-byte body + send stamp; Parley log level warn, Prosody log level warn, nagle=false.`,
      'SIP p50/p99: SIPp response time (MESSAGE → 202, i.e. until the journal write is durable), 1 ms resolution (0 = < 1 ms).',
      'e2e p50/p99: client receive time − SIPp send time ([timestamp] in the body), same clock; includes SIPp, Parley, Prosody and the client.',
      'drain: time after SIPp\'s last call until the client had every message and parley_delivery_queue_depth was 0 (polled every 100 ms).',
      'CPU µs/msg: utime+stime of the Parley process (and of Prosody) over the step ÷ messages accepted.',
      'Targets: ≥ 8,000/s sustained with no loss, no retransmission, no backlog; ≤ 100 µs Parley CPU/message; e2e p99 ≤ 3 ms at 2,000/s.',
    );
  } finally {
    counter?.stop();
    await parley.stop();
    await prosody.stop();
  }
  return {
    title: 'End to end: SIPp → Parley (journal hand-off) → Prosody → XMPP client',
    columns: ['offered /s', 'achieved /s', 'SIP 2xx', 'client got', 'failed', 'retrans', 'SIP p50 ms', 'SIP p99 ms', 'e2e p50 ms', 'e2e p99 ms', 'drain', 'Parley CPU µs/msg', 'Prosody CPU µs/msg', 'clean'],
    rows, notes,
  };
}

if (import.meta.main) {
  const quick = process.argv.includes('--quick');
  const profIdx = process.argv.indexOf('--cpu-prof'); // --cpu-prof DIR: profile the Parley process
  const cpuProfDir = profIdx >= 0 ? process.argv[profIdx + 1] : undefined;
  console.log(markdown(await run({ seconds: quick ? 4 : 12, rates: quick ? [2000, 5000] : [2000, 4000, 6000, 8000, 10000], ...(cpuProfDir !== undefined && { cpuProfDir }) })));
}
