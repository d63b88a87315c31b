// Presence fan-out benchmark (issue #5, acceptance 4): Parley's presence path in this process —
// XMPP presence events on the bus → presence core (sqlite store) → sip-presence role → SIP dialog
// layer → NOTIFY over UDP on loopback — against SIP watchers simulated by a child process (a raw
// UDP UA that SUBSCRIBEs and answers every NOTIFY 200), so this process's CPU is Parley's alone.
//  1. one XMPP user × 1,000 SIP watchers: NOTIFY/s (sent and answered 200);
//  2. 10,000 XMPP users × 10 SIP watchers: NOTIFY/s;
//  3. resident memory per live subscription at 100,000 watcher subscriptions (scenario 2's dialogs),
//     measured after a GC once the SUBSCRIBE server transactions are gone (Timer J, 32 s).
// Run: npx node bench/presence.ts [--quick]      (--quick: 1/10 of the sizes, no Timer J wait)
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
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
  const seen = new Set<string>();
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
    if (!seen.has(id)) {
      seen.add(id);
      notifies++;
    }
    sock.send(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, rinfo.port, rinfo.address);
  });
  sock.bind(0, '127.0.0.1', () => {
    const port = sock.address().port;
    process.send?.({ ready: port });
  });
  process.on('message', (m: UaCommand | { op: 'count' } | { op: 'exit' }) => {
    if (m.op === 'count') { process.send?.({ notifies, oks }); return; }
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
  #waiting: ((c: { notifies: number; oks: number }) => void) | undefined;
  constructor() {
    this.#child = fork(new URL(import.meta.url).pathname, ['ua'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.port = new Promise((resolve) => {
      this.#child.on('message', (m: { ready?: number; notifies?: number; oks?: number }) => {
        if (m.ready !== undefined) resolve(m.ready);
        else if (m.notifies !== undefined) this.#waiting?.({ notifies: m.notifies, oks: m.oks ?? 0 });
      });
    });
  }
  subscribe(port: number, pairs: Array<[string, string]>): void { this.#child.send({ op: 'subscribe', port, pairs }); }
  count(): Promise<{ notifies: number; oks: number }> {
    return new Promise((resolve) => { this.#waiting = resolve; this.#child.send({ op: 'count' }); });
  }
  async until(notifies: number, timeoutMs = 120_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.count();
      if (c.notifies >= notifies || Date.now() > end) return c.notifies;
      await sleep(5);
    }
  }
  exit(): void { this.#child.send({ op: 'exit' }); }
}

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const mib = (b: number): string => (b / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const scale = quick ? 10 : 1;
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

  /** Publishes one presence change per (owner, watcher) pair, `rounds` times, keeping at most WINDOW NOTIFYs unanswered; NOTIFY/s. */
  async function fanOut(pairs: Array<[string, string]>, rounds: number): Promise<{ notifies: number; seconds: number; cpu: number }> {
    const WINDOW = 150;
    const total = pairs.length * rounds;
    const base = expected;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    let counted = 0;
    while (counted < total) {
      while (sent < total && sent - counted < WINDOW) {
        const [w, target] = pairs[sent % pairs.length]!;
        bus.publish(SUBJECTS.xmppStanza, { domain: 'corp.test', stanza: dnd(target.slice(4), w.slice(4), Math.floor(sent / pairs.length)) });
        sent++;
      }
      counted = (await ua.count()).notifies - base;
    }
    expected = base + total;
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    return { notifies: total, seconds, cpu: (c.user + c.system) / 1e6 / seconds };
  }

  const rows: string[][] = [];
  // 0. The presence core alone (no SIP): stanza in → NOTIFY command out, against a stub SIP side.
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
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const total = users * 10;
    for (let i = 0; i < total; i++) {
      cbus.publish(SUBJECTS.xmppStanza, { domain: 'corp.test', stanza: dnd(`c${Math.floor(i / 10)}@xmpp.test`, `m${i % 10}@corp.test`, 0) });
      if (i % 500 === 499) await sleep(0);
    }
    while (out < total) await sleep(1);
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    rows.push([`core only, ${users.toLocaleString('en')} users × 10 (no SIP)`, String(total), seconds.toFixed(2), Math.round(total / seconds).toLocaleString('en'), `${(((c.user + c.system) / 1e6 / seconds) * 100).toFixed(0)} %`]);
    core.stop();
    await cstore.close();
    await cbus.close();
  }

  // 1. one XMPP user, 1,000 watchers
  const one: Array<[string, string]> = [];
  for (let i = 0; i < 1000 / scale; i++) one.push([`sip:w${i}@corp.test`, 'sip:solo@xmpp.test']);
  await subscribeAll(one);
  const r1 = await fanOut(one, 20);
  rows.push([`1 user × ${one.length} watchers`, String(r1.notifies), r1.seconds.toFixed(2), Math.round(r1.notifies / r1.seconds).toLocaleString('en'), `${(r1.cpu * 100).toFixed(0)} %`]);

  // 2. 10,000 users × 10 watchers (100,000 dialogs)
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const many: Array<[string, string]> = [];
  for (let u = 0; u < 10_000 / scale; u++) for (let w = 0; w < 10; w++) many.push([`sip:m${w}@corp.test`, `sip:u${u}@xmpp.test`]);
  const tSub = performance.now();
  await subscribeAll(many);
  const subSeconds = (performance.now() - tSub) / 1000;
  const r2 = await fanOut(many, 1);
  rows.push([`${(10_000 / scale).toLocaleString('en')} users × 10 watchers`, String(r2.notifies), r2.seconds.toFixed(2), Math.round(r2.notifies / r2.seconds).toLocaleString('en'), `${(r2.cpu * 100).toFixed(0)} %`]);

  // 3. memory per live subscription, once the SUBSCRIBE/NOTIFY transactions have ended (Timer J 32 s, K 5 s).
  if (!quick) await sleep(34_000);
  gc();
  await sleep(200);
  gc();
  const rss1 = process.memoryUsage().rss;
  const heap1 = process.memoryUsage().heapUsed;
  const live = (await store.listWatchers()).length;

  console.log(`\nPresence fan-out — Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}; Parley in one process (one thread), watchers in another; sqlite store\n`);
  console.log('| scenario | NOTIFYs | seconds | NOTIFY/s | Parley CPU |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nSetting up ${many.length.toLocaleString('en')} watcher subscriptions (SUBSCRIBE, 200, NOTIFY, 200): ${subSeconds.toFixed(1)} s (${Math.round(many.length / subSeconds).toLocaleString('en')}/s)`);
  console.log('\n| live watcher subscriptions | RSS before | RSS after | per subscription (RSS) | per subscription (JS heap) |');
  console.log('|---:|---:|---:|---:|---:|');
  console.log(`| ${live.toLocaleString('en')} | ${mib(rss0)} MiB | ${mib(rss1)} MiB | ${((rss1 - rss0) / live / 1024).toFixed(2)} KiB | ${((heap1 - heap0) / live / 1024).toFixed(2)} KiB |`);
  console.log(quick ? '\n(--quick: 1/10 sizes, transactions not drained: memory figures are upper bounds)' : '');

  ua.exit();
  presence.stop();
  await endpoint.stop();
  await store.close();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
}

if (process.argv[2] === 'ua') runUa();
else await main();
