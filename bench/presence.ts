// Presence fan-out benchmark (issue #5, acceptance 4): Parley's presence path in this process —
// XMPP presence events on the bus → presence core (sqlite store) → sip-presence role → SIP dialog
// layer → NOTIFY over UDP on loopback — against SIP watchers simulated by a child process (a raw
// UDP UA that SUBSCRIBEs and answers every NOTIFY 200), so this process's CPU is Parley's alone
// (plus the driver's: a presence stanza object per NOTIFY, and one IPC message per 32 NOTIFYs the
// UA pushes with its counts).
// In this order (each fan-out's CPU and time measured alone, setup excluded):
//  1. 10,000 XMPP users × 10 SIP watchers (100,000 dialogs): NOTIFY/s (sent and answered 200) and
//     CPU µs per NOTIFY;
//  2. memory per live subscription at those 100,000 watcher subscriptions: RSS and JS heap after a
//     GC once the SUBSCRIBE/NOTIFY transactions are gone (Timer J 32 s), against a baseline taken
//     before any subscription (everything started, after a GC); then RSS after a compacting GC
//     (V8's memory-reducing "last resort" GC, as its memory reducer does when the process idles):
//     the pages V8 freed but keeps in its pool and the fragmentation the load left are resident
//     until then;
//  3. one XMPP user × 1,000 SIP watchers, 50 changes (50,000 NOTIFYs; --quick: 100 × 200), with
//     the 100,000 dialogs alive: NOTIFY/s and CPU µs per NOTIFY (at 20 changes, whether a major GC
//     of the 100,000 dialogs' heap fell in the 2 s window or not moved the figure by ±20 %);
//  4. the presence core alone against a stub SIP side (10,000 users × 10).
// Run: npx node bench/presence.ts [--quick] [--repeat N] [--cpu-prof DIR]
//   --quick: 1/10 of the sizes, no Timer J wait; --repeat N: each fan-out N times (a row each);
//   --cpu-prof DIR: a .cpuprofile of each measured fan-out window (node:inspector), nothing else.
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryBus } from '../gateway/bus/memory.ts';
import { SUBJECTS } from '../gateway/bus/subjects.ts';
import type { ParleyConfig } from '../gateway/config/types.ts';
import type { CoreContext } from '../gateway/core/context.ts';
import { startPresence } from '../gateway/core/presence/presence.ts';
import { createMetrics } from '../gateway/http/metrics.ts';
import { silentLogger } from '../gateway/log.ts';
import { bindSipPresence } from '../gateway/roles/sip-presence.ts';
import { SipEndpoint } from '../gateway/sip/endpoint.ts';
import { SqlitePresenceStore } from '../gateway/store/sqlite-presence-store.ts';
import { el } from '../translators/xml.ts';

// ------------------------------------------------------------------------------------------
// The watcher UA (child process): SUBSCRIBEs on command, answers NOTIFYs, reports counts.

interface UaCommand { op: 'subscribe'; port: number; pairs: Array<[string, string]> }

function runUa(): void {
  const sock = createSocket({ type: 'udp4', recvBufferSize: 64 << 20, sendBufferSize: 16 << 20 });
  let notifies = 0;
  let oks = 0;
  /** NOTIFYs seen again: retransmissions (Timer E) after a NOTIFY or its 200 was lost */
  let again = 0;
  let reported = 0;
  const seen = new Set<string>();
  // Counts are pushed to the driver (every 32 NOTIFYs, and every 5 ms while one is unreported)
  // rather than polled: the driver's share of the measured CPU stays small.
  const report = (): void => {
    reported = notifies;
    const c = process.cpuUsage();
    process.send?.({ notifies, oks, again, cpu: c.user + c.system });
  };
  let reportedAgain = 0;
  setInterval(() => { if (notifies !== reported || again !== reportedAgain) { reportedAgain = again; report(); } }, 5).unref();
  // SUBSCRIBEs without a NOTIFY yet, resent every 500 ms (a UDP UA retransmits; loopback drops under bursts).
  const pending = new Map<string, { bytes: string; port: number; at: number }>();
  setInterval(() => {
    const now = Date.now();
    for (const p of pending.values()) {
      if (now - p.at < 500) continue;
      p.at = now;
      sock.send(p.bytes, p.port, '127.0.0.1');
    }
  }, 100).unref();
  let seq = 0;
  sock.on('message', (buf, rinfo) => {
    const s = buf.toString('latin1');
    if (s.startsWith('SIP/2.0 ')) {
      if (s.startsWith('SIP/2.0 200')) oks++;
      return;
    }
    if (!s.startsWith('NOTIFY ')) return;
    const head = s.slice(0, s.indexOf('\r\n\r\n'));
    const keep = head.split('\r\n').filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq):/i.test(l));
    const callId = /^(?:call-id|i):\s*(\S+)/im.exec(head)?.[1];
    if (callId !== undefined) pending.delete(callId);
    // Count each NOTIFY once: a retransmission (our 200 lost) is answered again, not counted.
    const id = keep.filter((l) => /^(call-id|i|cseq):/i.test(l)).join('|');
    sock.send(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, rinfo.port, rinfo.address);
    if (!seen.has(id)) {
      seen.add(id);
      notifies++;
      if (notifies - reported >= 32) report();
    } else {
      again++;
    }
  });
  sock.bind(0, '127.0.0.1', () => {
    const port = sock.address().port;
    process.send?.({ ready: port });
  });
  process.on('disconnect', () => { process.exit(0); }); // the driver is gone
  process.on('message', (m: UaCommand | { op: 'exit' }) => {
    if (m.op === 'exit') { sock.close(); process.exit(0); }
    if (m.op !== 'subscribe') return;
    const local = sock.address().port;
    for (const [watcher, target] of m.pairs) {
      const n = ++seq;
      const bytes = [
        `SUBSCRIBE ${target} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKb${n}`, 'Max-Forwards: 70',
        `From: <${watcher}>;tag=w${n}`, `To: <${target}>`, `Call-ID: c${n}@bench`, 'CSeq: 1 SUBSCRIBE',
        `Contact: <sip:ua@127.0.0.1:${local}>`, 'Event: presence', 'Accept: application/pidf+xml', 'Expires: 3600', 'Content-Length: 0', '', '',
      ].join('\r\n');
      pending.set(`c${n}@bench`, { bytes, port: m.port, at: Date.now() });
      sock.send(bytes, m.port, '127.0.0.1');
    }
  });
}

// ------------------------------------------------------------------------------------------
// The Parley side (this process).

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Ua {
  readonly #child: ChildProcess;
  readonly port: Promise<number>;
  /** the UA's latest pushed counts */
  notifies = 0;
  oks = 0;
  again = 0;
  /** the UA process's CPU time so far, µs */
  cpu = 0;
  #waiting: (() => void) | undefined;
  constructor() {
    this.#child = fork(new URL(import.meta.url).pathname, ['ua'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.port = new Promise((resolve) => {
      this.#child.on('message', (m: { ready?: number; notifies?: number; oks?: number; again?: number; cpu?: number }) => {
        if (m.ready !== undefined) resolve(m.ready);
        else if (m.notifies !== undefined) {
          this.notifies = m.notifies;
          this.oks = m.oks ?? 0;
          this.again = m.again ?? 0;
          this.cpu = m.cpu ?? 0;
          const w = this.#waiting;
          this.#waiting = undefined;
          w?.();
        }
      });
    });
  }
  subscribe(port: number, pairs: Array<[string, string]>): void { this.#child.send({ op: 'subscribe', port, pairs }); }
  /** Resolves at the UA's next count report (or after `ms` without one). */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#waiting = undefined; resolve(); }, ms);
      this.#waiting = () => { clearTimeout(t); resolve(); };
    });
  }
  async until(notifies: number, timeoutMs = 120_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (this.notifies < notifies && Date.now() <= end) await this.next(1000);
    return this.notifies;
  }
  exit(): void { this.#child.send({ op: 'exit' }); }
}

/** --cpu-prof DIR: profiles of the measured windows only (setup excluded). */
class Profiler {
  readonly #dir: string | undefined;
  #session: Session | undefined;
  constructor(dir: string | undefined) { this.#dir = dir; }
  async start(): Promise<void> {
    if (this.#dir === undefined) return;
    this.#session = new Session();
    this.#session.connect();
    await this.#session.post('Profiler.enable');
    await this.#session.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.#session.post('Profiler.start');
  }
  async stop(name: string): Promise<void> {
    const s = this.#session;
    if (s === undefined || this.#dir === undefined) return;
    const { profile } = await s.post('Profiler.stop');
    s.disconnect();
    this.#session = undefined;
    await mkdir(this.#dir, { recursive: true });
    const file = join(this.#dir, `presence-${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    console.error(`profile: ${file}`);
  }
}

/** Milliseconds of GC pauses on the main thread (PerformanceObserver 'gc' entries), and their count. */
const gcTime = { ms: 0, count: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcTime.ms += e.duration;
    gcTime.count++;
    if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === 4) gcTime.major++; // NODE_PERFORMANCE_GC_MAJOR
  }
}).observe({ entryTypes: ['gc'] });

/** Datagrams the kernel dropped for a full socket receive buffer, all sockets (Linux; 0 elsewhere). */
async function udpDrops(): Promise<number> {
  try {
    const lines = (await readFile('/proc/net/snmp', 'utf8')).split('\n').filter((l) => l.startsWith('Udp: '));
    const names = lines[0]!.split(/\s+/);
    return Number(lines[1]!.split(/\s+/)[names.indexOf('RcvbufErrors')]);
  } catch {
    return 0;
  }
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const mib = (b: number): string => (b / 1024 / 1024).toFixed(1);

interface Measured { notifies: number; seconds: number; cpuSeconds: number; gcMs?: number; gcs?: number; majors?: number; retransmitted?: number; dropped?: number; uaSawAgain?: number; uaCpuSeconds?: number }

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const scale = quick ? 10 : 1;
  const opt = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1]; };
  const repeat = Number(opt('--repeat') ?? 1);
  const profiler = new Profiler(opt('--cpu-prof'));
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-presence-'));
  const config = {
    node: { id: 'bench', roles: ['sip', 'xmpp', 'core'] }, bus: { kind: 'memory' }, store: { path: dir },
    http: { listen: '127.0.0.1:0' }, sip: { listen: [], domains: ['corp.test'] },
    xmpp: { components: [{ domain: 'corp.test', host: '127.0.0.1', port: 0, secret: 'x', addressing: 'direct' }] },
    peers: [{ name: 'p', remote: { xmpp: ['*'], sip: [] }, local: { domains: ['corp.test'], users: ['*'] }, services: ['presence'], direction: 'both', limits: {}, billing: {} }],
    log: { level: 'silent' },
  } as ParleyConfig;
  const bus = new MemoryBus();
  const store = SqlitePresenceStore.open({ dir: join(dir, 'presence') });
  const { metrics } = createMetrics();
  const ctx = { config, bus, queue: undefined as never, metrics, log: silentLogger, now: () => performance.now() } as CoreContext;
  bus.serve(SUBJECTS.xmppSend, () => ({ ok: true }));
  const endpoint = new SipEndpoint({ listen: ['udp://127.0.0.1:0'], domains: ['*'], log: silentLogger });
  bindSipPresence({ endpoint, bus, log: silentLogger });
  await endpoint.start();
  const sipPort = endpoint.bound[0]!.port;
  const presence = startPresence(ctx, { store });
  const ua = new Ua();
  await ua.port;
  let expected = 0;
  /** presence rounds published so far: each round's stanzas carry a new status, so each is a change */
  let round = 0;

  const dnd = (owner: string, watcher: string, i: number) => el('presence', { from: `${owner}/desk`, to: watcher },
    el('show', {}, i % 2 === 0 ? 'dnd' : 'away'), el('status', {}, `status ${i}`));

  /** Creates watcher dialogs (approved, presence known) in batches; returns when every first NOTIFY came. */
  async function subscribeAll(pairs: Array<[string, string]>): Promise<void> {
    for (const [w, target] of pairs) {
      const jid = target.slice(4);
      await store.setApproval(jid, w, true);
    }
    const owners = new Set(pairs.map(([, t]) => t.slice(4)));
    for (const o of owners) await store.setXmppPresence(o, 'desk', { resource: 'desk', available: true, statuses: [] });
    const BATCH = 250;
    for (let i = 0; i < pairs.length; i += BATCH) {
      const batch = pairs.slice(i, i + BATCH);
      ua.subscribe(sipPort, batch);
      expected += batch.length;
      await ua.until(expected);
    }
  }

  /**
   * Publishes one presence change per (owner, watcher) pair, `rounds` times, keeping at most WINDOW
   * NOTIFY transactions unanswered in Parley (its client transactions' final responses, read off
   * the endpoint's counters), until every NOTIFY was answered there and counted once by the UA.
   * (Windowing on the UA's count instead let Parley run ahead of the 200s it had not read yet: the
   * UDP socket is read 32 datagrams per event-loop turn, the 200s waited past Timer E in its
   * receive buffer, and the retransmissions piled up.) Wakes at each UA report or every 1 ms.
   */
  async function fanOut(pairs: Array<[string, string]>, rounds: number, name: string): Promise<Measured> {
    const WINDOW = Number(opt('--window') ?? 160);
    const total = pairs.length * rounds;
    const base = expected;
    const again0 = ua.again;
    const drops0 = await udpDrops();
    const counts = endpoint.clientCounts;
    const answered0 = counts.answered;
    const sent0 = counts.sent;
    const started0 = counts.started;
    const uaCpu0 = ua.cpu;
    const gc0 = { ...gcTime };
    await profiler.start();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    for (;;) {
      const answered = counts.answered - answered0;
      if (answered >= total && ua.notifies - base >= total) break;
      while (sent < total && sent - answered < WINDOW) {
        const [w, target] = pairs[sent % pairs.length]!;
        bus.publish(SUBJECTS.xmppStanza, { domain: 'corp.test', stanza: dnd(target.slice(4), w.slice(4), round + Math.floor(sent / pairs.length)) });
        sent++;
      }
      await ua.next(1);
    }
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    await profiler.stop(name);
    expected = base + total;
    round += rounds;
    return {
      notifies: total, seconds, cpuSeconds: (c.user + c.system) / 1e6, retransmitted: (counts.sent - sent0) - (counts.started - started0),
      dropped: (await udpDrops()) - drops0, uaSawAgain: ua.again - again0, uaCpuSeconds: (ua.cpu - uaCpu0) / 1e6,
      gcMs: gcTime.ms - gc0.ms, gcs: gcTime.count - gc0.count, majors: gcTime.major - gc0.major,
    };
  }

  const rows: string[][] = [];
  const row = (label: string, m: Measured): void => {
    rows.push([
      label, m.notifies.toLocaleString('en'), m.seconds.toFixed(2), Math.round(m.notifies / m.seconds).toLocaleString('en'),
      `${((m.cpuSeconds / m.seconds) * 100).toFixed(0)} %`, ((m.cpuSeconds * 1e6) / m.notifies).toFixed(1),
      Math.round(m.notifies / m.cpuSeconds).toLocaleString('en'), m.retransmitted?.toLocaleString('en') ?? '—', m.uaSawAgain?.toLocaleString('en') ?? '—', m.dropped?.toLocaleString('en') ?? '—',
      m.uaCpuSeconds === undefined ? '—' : `${((m.uaCpuSeconds / m.seconds) * 100).toFixed(0)} %`,
      m.gcMs === undefined ? '—' : `${((m.gcMs * 1000) / m.notifies).toFixed(1)} (${m.gcs} GCs, ${m.majors} major)`,
    ]);
  };
  // The memory baseline: everything started, nothing subscribed, after a GC. (It used to be taken
  // after scenario 1, whose NOTIFY transactions (Timer K, 5 s) were still alive with their requests
  // and closures — tens of MB at 20,000 NOTIFYs, freed by the second measurement: the JS heap per
  // subscription came out negative.) So the 100,000 subscriptions come first, and the other
  // scenarios run after the memory figures, with those subscriptions alive.
  gc();
  await sleep(100);
  gc();
  const mem0 = process.memoryUsage();
  const rss0 = mem0.rss;
  const heap0 = mem0.heapUsed;
  const live0 = (await store.listWatchers()).length;

  // 2. 10,000 users × 10 watchers (100,000 dialogs)
  const many: Array<[string, string]> = [];
  for (let u = 0; u < 10_000 / scale; u++) for (let w = 0; w < 10; w++) many.push([`sip:m${w}@corp.test`, `sip:u${u}@xmpp.test`]);
  const tSub = performance.now();
  await subscribeAll(many);
  const subSeconds = (performance.now() - tSub) / 1000;
  const manyRows: Measured[] = [];
  for (let r = 0; r < repeat; r++) manyRows.push(await fanOut(many, 1, `many-${r}`));

  // 3. memory per live subscription, once the SUBSCRIBE/NOTIFY transactions have ended (Timer J 32 s, K 5 s).
  await sleep(quick ? 6_000 : 34_000);
  gc();
  await sleep(200);
  gc();
  const mem1 = process.memoryUsage();
  const rss1 = mem1.rss;
  const heap1 = mem1.heapUsed;
  (runInNewContext('gc') as (o: object) => void)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const mem2 = process.memoryUsage();
  const live = (await store.listWatchers()).length;
  const added = live - live0;

  // 1. one XMPP user, 1,000 watchers (with the 100,000 dialogs of scenario 2 alive)
  const one: Array<[string, string]> = [];
  for (let i = 0; i < 1000 / scale; i++) one.push([`sip:w${i}@corp.test`, 'sip:solo@xmpp.test']);
  await subscribeAll(one);
  const oneNotifies = quick ? 20_000 : 50_000;
  for (let r = 0; r < repeat; r++) row(`1 user × ${one.length.toLocaleString('en')} watchers`, await fanOut(one, oneNotifies / one.length, `one-${r}`));
  for (const m of manyRows) row(`${(10_000 / scale).toLocaleString('en')} users × 10 watchers`, m);

  // 0. The presence core alone (no SIP), last: stanza in → NOTIFY command out, against a stub SIP side.
  {
    const cbus = new MemoryBus();
    const cstore = SqlitePresenceStore.open({ dir: join(dir, 'core-only') });
    const cctx = { ...ctx, bus: cbus } as CoreContext;
    cbus.serve(SUBJECTS.xmppSend, () => ({ ok: true }));
    let out = 0;
    cbus.subscribe(SUBJECTS.watcherNotify, () => { out++; });
    const core = startPresence(cctx, { store: cstore });
    const users = 10_000 / scale;
    for (let u = 0; u < users; u++) {
      for (let w = 0; w < 10; w++) {
        await cstore.setApproval(`c${u}@xmpp.test`, `sip:m${w}@corp.test`, true);
        await cstore.putWatcher({ id: `k${u}.${w}`, watcher: `sip:m${w}@corp.test`, target: `c${u}@xmpp.test`, expiresAt: Date.now() + 3_600_000 });
      }
    }
    await sleep(10);
    for (let r = 0; r < repeat; r++) {
      out = 0;
      const gc0 = { ...gcTime };
      await profiler.start();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const total = users * 10;
      for (let i = 0; i < total; i++) {
        cbus.publish(SUBJECTS.xmppStanza, { domain: 'corp.test', stanza: dnd(`c${Math.floor(i / 10)}@xmpp.test`, `m${i % 10}@corp.test`, r) });
        if (i % 500 === 499) await sleep(0);
      }
      while (out < total) await sleep(1);
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      await profiler.stop(`core-${r}`);
      row(`core only, ${users.toLocaleString('en')} users × 10 (no SIP)`, {
        notifies: total, seconds, cpuSeconds: (c.user + c.system) / 1e6, gcMs: gcTime.ms - gc0.ms, gcs: gcTime.count - gc0.count, majors: gcTime.major - gc0.major,
      });
    }
    core.stop();
    await cstore.close();
    await cbus.close();
  }

  console.log(`\nPresence fan-out — Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}; Parley in one process (one thread), watchers in another; sqlite store\n`);
  console.log('| scenario | NOTIFYs | seconds | NOTIFY/s | Parley CPU | CPU µs/NOTIFY | NOTIFY/s per core | NOTIFYs resent | seen again by UA | UDP drops | UA CPU | GC pause µs/NOTIFY |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  // The driver's share of those figures: the stanza object it builds per NOTIFY (the publish call is
  // Parley's bus; the UA's count reports are one IPC message per 32 NOTIFYs).
  const dcpu0 = process.cpuUsage();
  let built = 0;
  for (let i = 0; i < 100_000; i++) built += dnd('u1@xmpp.test', 'm1@corp.test', i).children.length;
  const dcpu = process.cpuUsage(dcpu0);
  const driverUs = (dcpu.user + dcpu.system) / 100_000;
  console.log('\n(Parley CPU: process.cpuUsage of the Parley process over the run, all its threads — GC helpers included — so it can exceed 100 %; NOTIFY/s per core = 1 s / CPU per NOTIFY; NOTIFYs resent: retransmissions by Parley (Timer E); seen again by UA: duplicates the UA answered again; UDP drops: RcvbufErrors of /proc/net/snmp over the run, every socket of the machine; UA CPU: that of the watcher process over the run; GC pause: main-thread GC time (PerformanceObserver) per NOTIFY, GC helper threads not counted.)');
  console.log(`\nDriver share of the figures above: building one presence stanza (${built / 100_000} children) costs ${driverUs.toFixed(2)} µs of CPU, measured apart.`);
  console.log(`\nSetting up ${many.length.toLocaleString('en')} watcher subscriptions (SUBSCRIBE, 200, NOTIFY, 200): ${subSeconds.toFixed(1)} s (${Math.round(many.length / subSeconds).toLocaleString('en')}/s)`);
  const perSub = (a: number, b: number): string => `${((b - a) / added / 1024).toFixed(2)} KiB`;
  console.log('\n| live watcher subscriptions | added | RSS before | RSS after | per subscription (RSS) | RSS after compacting GC | per subscription (RSS, compacted) | JS heap before | JS heap after | per subscription (JS heap) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  console.log(`| ${live.toLocaleString('en')} | ${added.toLocaleString('en')} | ${mib(rss0)} MiB | ${mib(rss1)} MiB | ${perSub(rss0, rss1)} | ${mib(mem2.rss)} MiB | ${perSub(rss0, mem2.rss)} | ${mib(heap0)} MiB | ${mib(heap1)} MiB | ${perSub(heap0, heap1)} |`);
  const m = (x: NodeJS.MemoryUsage): string => `rss ${mib(x.rss)}, heap total ${mib(x.heapTotal)}, heap used ${mib(x.heapUsed)}, external ${mib(x.external)}, array buffers ${mib(x.arrayBuffers)} MiB`;
  console.log(`\nbefore: ${m(mem0)}\nafter: ${m(mem1)}\nafter compacting GC: ${m(mem2)}`);
  console.log(quick ? '\n(--quick: 1/10 sizes, SUBSCRIBE transactions not drained (Timer J): memory figures are upper bounds)' : '');

  ua.exit();
  presence.stop();
  await endpoint.stop();
  await store.close();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
}

if (process.argv[2] === 'ua') runUa();
else {
  await main().catch((err: unknown) => {
    console.error(err);
    process.exit(1); // the watcher UA child would keep the process alive
  });
}
