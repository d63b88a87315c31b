// The torture ledger: every RFC 4475 and RFC 5118 message sent over UDP and over TCP to an endpoint
// serving example.com/example.net with a MESSAGE handler, checked against the verdict table of
// /work/shared/corpus/sip/README.md. "pin" rows record which of two allowed answers we chose.
import t from 'tap';
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import type { IncomingRequest } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import type { SipMessage, SipResponse } from '../../gateway/sip/message.ts';
import { parseVia } from '../../gateway/sip/via.ts';
import { TcpPeer, UdpPeer } from './sip/client.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/sip');

/** An expected outcome: a response status (with `close`: then the connection closes), or silence. */
interface Expect { status?: number | number[]; close?: boolean }
interface Row {
  file: string;
  udp: Expect;
  tcp: Expect;
  /** the choice made where the table allows two answers */
  pin?: string;
  /** a verdict we cannot meet yet */
  todo?: string;
  /** extra checks on the responses */
  check?: (t: Test, res: SipResponse[]) => void;
}

const s = (status: number | number[]): Expect => ({ status });
const both = (status: number | number[]): Pick<Row, 'udp' | 'tcp'> => ({ udp: s(status), tcp: s(status) });
const DROP: Expect = {};
const hosts = (res: SipResponse | undefined): string[] =>
  (res?.headers.all('via') ?? []).map((v) => { const p = parseVia(v); return 'host' in p ? p.host : '?'; });

export const ledger: Row[] = [
  // valid, must be accepted (not 400)
  { file: 'rfc4475/wsinv.dat', ...both(488), check: (t, [r]) => { t.same(hosts(r), ['192.0.2.2', 'spindle.example.com', '192.168.255.111'], '3 Vias echoed in order'); } },
  { file: 'rfc4475/esc01.dat', ...both(488) },
  { file: 'rfc4475/escnull.dat', ...both(405) },
  { file: 'rfc4475/lwsdisp.dat', ...both(200) },
  { file: 'rfc4475/longreq.dat', ...both(488), check: (t, [r]) => { t.equal(hosts(r).length, 34, 'all 34 Vias echoed'); } },
  { file: 'rfc4475/semiuri.dat', ...both(200) },
  { file: 'rfc4475/transports.dat', ...both(200) },
  { file: 'rfc4475/baddate.dat', ...both(488) },
  { file: 'rfc4475/zeromf.dat', ...both(200) },
  // 501 with Allow
  { file: 'rfc4475/intmeth.dat', ...both(501), check: (t, [r]) => { t.ok(r?.headers.first('allow')); } },
  { file: 'rfc4475/esc02.dat', ...both(501), check: (t, [r]) => { t.ok(r?.headers.first('allow')); } },
  { file: 'rfc4475/mismatch02.dat', ...both(501), pin: '501 (not 400): the method is checked before the CSeq method' },
  // framing
  { file: 'rfc4475/dblreq.dat', udp: s(405), tcp: { status: [405, 488], close: true }, pin: 'over TCP the bytes after the REGISTER are a second request (INVITE → 488); the 5 bytes past its Content-Length start a message that never completes, closed on the incomplete-message timeout' },
  { file: 'rfc4475/mpart01.dat', ...both(415), check: (t, [r]) => { t.equal(r?.headers.first('accept'), 'text/plain, message/cpim'); } },
  // responses that match no transaction: dropped silently
  { file: 'rfc4475/unreason.dat', udp: DROP, tcp: DROP },
  { file: 'rfc4475/noreason.dat', udp: DROP, tcp: DROP },
  { file: 'rfc4475/scalarlg.dat', udp: DROP, tcp: DROP },
  { file: 'rfc4475/bigcode.dat', udp: DROP, tcp: DROP },
  { file: 'rfc4475/bcast.dat', udp: DROP, tcp: DROP },
  // 400
  { file: 'rfc4475/badinv01.dat', ...both(400) },
  { file: 'rfc4475/scalar02.dat', ...both(400) },
  { file: 'rfc4475/quotbal.dat', ...both(400) },
  { file: 'rfc4475/lwsruri.dat', ...both(400) },
  { file: 'rfc4475/badaspec.dat', ...both(400) },
  { file: 'rfc4475/baddn.dat', ...both(400) },
  { file: 'rfc4475/mismatch01.dat', ...both(400) },
  { file: 'rfc4475/multi01.dat', ...both(400) },
  { file: 'rfc4475/ltgtruri.dat', ...both(400), pin: '400 (Request-URI in <> is not a URI)' },
  { file: 'rfc4475/escruri.dat', ...both(400), pin: '400 (headers in a Request-URI are refused)' },
  { file: 'rfc4475/regbadct.dat', ...both(400), pin: '400 (Contact URI with "?" outside <>)' },
  { file: 'rfc4475/badbranch.dat', ...both(400), pin: '400 (a branch of only the magic cookie), not RFC 2543 matching' },
  { file: 'rfc4475/insuf.dat', udp: DROP, tcp: DROP, pin: 'drop: without From, To and Call-ID no response can be formed' },
  // 400 over UDP; over TCP 400 and close (never allocating by the declared length)
  { file: 'rfc4475/clerr.dat', udp: s(400), tcp: { status: 400, close: true }, pin: 'TCP: wait for the body, then 400 and close' },
  { file: 'rfc4475/ncl.dat', udp: s(400), tcp: { status: 400, close: true } },
  { file: 'rfc4475/mcl01.dat', udp: s(400), tcp: { status: 400, close: true } },
  { file: 'rfc4475/badvers.dat', ...both(505) },
  { file: 'rfc4475/unkscm.dat', ...both(416) },
  { file: 'rfc4475/novelsc.dat', ...both(416) },
  { file: 'rfc4475/bext01.dat', ...both(420), check: (t, [r]) => { t.equal(r?.headers.first('unsupported'), 'nothingSupportsThis, nothingSupportsThisEither'); } },
  // pin either way
  { file: 'rfc4475/lwsstart.dat', ...both(488), pin: 'accepted (runs of SP in the Request-Line tolerated)' },
  { file: 'rfc4475/trws.dat', ...both(200), pin: 'accepted (trailing SP after SIP-Version tolerated)' },
  // registrar/INVITE semantics: 405 for REGISTER, 488 for INVITE (no sessions here)
  { file: 'rfc4475/cparam01.dat', ...both(405) },
  { file: 'rfc4475/cparam02.dat', ...both(405) },
  { file: 'rfc4475/regescrt.dat', ...both(405) },
  { file: 'rfc4475/regaut01.dat', ...both(405) },
  { file: 'rfc4475/unksm2.dat', ...both(405) },
  { file: 'rfc4475/invut.dat', ...both(488) },
  { file: 'rfc4475/sdp01.dat', ...both(488) },
  { file: 'rfc4475/inv2543.dat', udp: s(488), tcp: { status: 400, close: true }, pin: 'TCP: no Content-Length on a stream → 400 and close' },
  // not in the table (an RFC 4475 archive leftover: no SIP-Version, a header line without colon)
  { file: 'rfc4475/test.dat', udp: DROP, tcp: { close: true }, pin: 'unanswerable (no Via): dropped; over TCP the stream is closed' },
  // the 331-byte baddn: no blank line ends the header
  { file: 'baddn-331.dat', udp: s(400), tcp: { close: true }, pin: 'UDP: 400; TCP: an incomplete message, closed after the incomplete-message timeout' },
  // RFC 5118
  { file: 'rfc5118/ipv4-mapped-ipv6.dat', ...both(488) },
  { file: 'rfc5118/ipv6-bad.dat', ...both(400) },
  { file: 'rfc5118/ipv6-bug-abnf-3-colons.dat', ...both(200) },
  { file: 'rfc5118/ipv6-correct-abnf-2-colons.dat', ...both(200) },
  { file: 'rfc5118/ipv6-good.dat', ...both(405) },
  { file: 'rfc5118/ipv6-in-sdp.dat', ...both(488) },
  { file: 'rfc5118/mult-ip-in-header.dat', ...both(405), check: (t, [r]) => { t.same(hosts(r), ['2001:db8::9:1', '192.0.2.1', '2001:db8::9:255']); } },
  { file: 'rfc5118/mult-ip-in-sdp.dat', ...both(488) },
  { file: 'rfc5118/port-ambiguous.dat', ...both(405) },
  { file: 'rfc5118/port-unambiguous.dat', ...both(405) },
  { file: 'rfc5118/via-received-param-no-delim.dat', ...both(200) },
  { file: 'rfc5118/via-received-param-with-delim.dat', ...both(405) },
];

/** RFC 5118's archive declares wrong Content-Lengths for three files: fix them here (README). */
function load(file: string): Buffer {
  const buf = readFileSync(join(fixtures, file));
  if (!['ipv6-in-sdp.dat', 'mult-ip-in-sdp.dat', 'ipv4-mapped-ipv6.dat'].some((f) => file.endsWith(f))) return buf;
  const headEnd = buf.indexOf('\r\n\r\n') + 4;
  const head = buf.subarray(0, headEnd).toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${buf.length - headEnd}`);
  return Buffer.concat([Buffer.from(head, 'latin1'), buf.subarray(headEnd)]);
}

const statuses = (e: Expect): number[] => e.status === undefined ? [] : Array.isArray(e.status) ? e.status : [e.status];
const responses = (got: SipMessage[]): SipResponse[] => got.filter((m): m is SipResponse => m.kind === 'response');

void t.test('torture ledger', async (t) => {
  const ep = new SipEndpoint({
    listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'], domains: ['example.com', 'example.net'], log: silentLogger,
    forceRport: true, incompleteMessageMs: 300,
  });
  const seen: IncomingRequest[] = [];
  ep.onRequest('MESSAGE', (req) => { seen.push(req); return { status: 202 }; });
  await ep.start();
  t.teardown(() => ep.stop());
  const udpPort = ep.bound.find((b) => b.transport === 'udp')!.port;
  const tcpPort = ep.bound.find((b) => b.transport === 'tcp')!.port;

  for (const row of ledger) {
    const bytes = load(row.file);
    await t.test(`${row.file} over UDP: ${describe(row.udp)}${row.pin ? ` [pin: ${row.pin}]` : ''}`, { todo: row.todo ?? false }, async (t) => {
      const peer = new UdpPeer();
      await peer.bind();
      await peer.send(bytes, udpPort);
      const want = statuses(row.udp);
      const got = responses(await peer.waitFor(want.length + 1, want.length === 0 ? 200 : 250));
      peer.close();
      t.same(got.map((r) => r.status), want);
      row.check?.(t, got);
      await probe(t, udpPort);
    });
    await t.test(`${row.file} over TCP: ${describe(row.tcp)}${row.pin ? ` [pin: ${row.pin}]` : ''}`, { todo: row.todo ?? false }, async (t) => {
      const peer = await TcpPeer.open(tcpPort);
      peer.send(bytes);
      const want = statuses(row.tcp);
      const got = responses(await peer.waitFor(want.length + 1, row.tcp.close ? 1000 : want.length === 0 ? 200 : 250, false));
      t.same(got.map((r) => r.status), want);
      t.equal(peer.closed, row.tcp.close === true, row.tcp.close ? 'connection closed' : 'connection kept open');
      peer.close();
      row.check?.(t, got);
      await probe(t, udpPort);
    });
    if (row.tcp.close !== true && statuses(row.tcp).length > 0) {
      await t.test(`${row.file} over TCP, split at every one of its ${bytes.length - 1} byte offsets: the same answer each time`, async (t) => {
        t.same(await splitEverywhere(tcpPort, bytes, statuses(row.tcp).length), Array.from({ length: bytes.length - 1 }, () => statuses(row.tcp).join('+')));
        await probe(t, udpPort);
      });
    }
  }
  t.equal(seen.length, 0, 'no torture message reached the MESSAGE handler (mpart01 is refused 415)');
});

function describe(e: Expect): string {
  const st = statuses(e);
  return `${st.length ? st.join('+') : 'no response'}${e.close ? ', then close' : ''}`;
}

let probes = 0;

/** Event-loop delay (5 ms timer) at which a probe's window counts as a stall; a quiet loop shows ~5 ms. */
const STALL_MS = 20;
/** Attempts for a probe whose process was starved (see probe). */
const PROBE_ATTEMPTS = 3;

/**
 * After every case the endpoint must still answer an OPTIONS within 100 ms (issue #4).
 *
 * The endpoint shares this process with the harness, and CI runs another test file beside this one
 * on two CPUs. A probe that timed out while the event loop stood still (a stall) *and* the process
 * used less than half the window's CPU was starved by others (the host, the other test job), not
 * kept busy by the endpoint: it is sent again, up to PROBE_ATTEMPTS times, and the answer must come
 * within 100 ms. A timeout with the loop running (a hang, a lost answer), or during a stall the
 * process spent working (the endpoint blocking the loop after a hostile message), fails at once.
 */
async function probe(t: Test, port: number): Promise<void> {
  const starved: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const r = await probeOnce(port);
    const wasStarved = !r.ok && r.stallMs >= STALL_MS && r.cpuMs < r.ms / 2;
    if (r.ok || !wasStarved || attempt === PROBE_ATTEMPTS) {
      const why = r.ok ? '' : `; loop stall ${r.stallMs.toFixed(0)} ms, ${r.cpuMs.toFixed(0)} ms of CPU`;
      const note = starved.length === 0 ? '' : `; before it, starved: ${starved.join(', ')}`;
      t.ok(r.ok, `OPTIONS probe answered 200 within 100 ms (${r.ms.toFixed(1)} ms${why}${note})`);
      return;
    }
    starved.push(`${r.ms.toFixed(0)} ms with a ${r.stallMs.toFixed(0)} ms stall and ${r.cpuMs.toFixed(0)} ms of CPU`);
  }
}

async function probeOnce(port: number): Promise<{ ok: boolean; ms: number; stallMs: number; cpuMs: number }> {
  const peer = new UdpPeer();
  await peer.bind();
  const n = ++probes;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await peer.send(`OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;rport;branch=z9hG4bKprobe${n}\r\nFrom: <sip:probe@example.com>;tag=p${n}\r\nTo: <sip:example.com>\r\nCall-ID: probe${n}@ledger\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`, port);
  const got = responses(await peer.waitFor(1, 100));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  loop.disable();
  peer.close();
  return { ok: got[0]?.status === 200 && ms <= 100, ms, stallMs: loop.max / 1e6, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * Re-feeds a message on one TCP connection once per byte offset, as two writes split there, and
 * returns the statuses answered each time (a repeat is a retransmission, answered again).
 */
async function splitEverywhere(port: number, bytes: Buffer, perMessage: number): Promise<string[]> {
  const peer = await TcpPeer.open(port);
  peer.socket.setNoDelay(true);
  const answers: string[] = [];
  try {
    for (let at = 1; at < bytes.length; at++) {
      const before = peer.received.length;
      peer.send(bytes.subarray(0, at));
      await new Promise((r) => setImmediate(r));
      peer.send(bytes.subarray(at));
      const got = responses((await peer.waitFor(before + perMessage, 500, true)).slice(before));
      answers.push(got.map((r) => r.status).join('+'));
      if (peer.closed) break;
    }
  } finally {
    peer.close();
  }
  return answers;
}
