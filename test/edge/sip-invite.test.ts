// The INVITE server transaction and CANCEL over real sockets on 127.0.0.1 (RFC 3261 §17.2.1, §9.2).
// Short timers (T1 = 40 ms, T2 = 160 ms) keep Timer G and H observable in well under a second.
import t from 'tap';
import type { Test } from 'tap';
import { SipEndpoint } from '../../gateway/sip/endpoint.ts';
import { silentLogger } from '../../gateway/log.ts';
import type { SipMessage } from '../../gateway/sip/message.ts';
import { serialize } from '../../gateway/sip/serializer.ts';
import { asResponse, status, TcpPeer, UdpPeer } from './sip/client.ts';

type Opts = Partial<ConstructorParameters<typeof SipEndpoint>[0]>;
const T1 = 40;
const T2 = 160;

async function endpoint(t: Test, extra: Opts = {}) {
  const ep = new SipEndpoint({
    listen: ['udp://127.0.0.1:0', 'tcp://127.0.0.1:0'], domains: ['example.com'], log: silentLogger,
    timers: { T1, T2, T4: 200 }, ...extra,
  });
  await ep.start();
  t.teardown(() => ep.stop());
  return { ep, udp: ep.bound.find((b) => b.transport === 'udp')!.port, tcp: ep.bound.find((b) => b.transport === 'tcp')!.port };
}

async function udpPeer(t: Test): Promise<UdpPeer> {
  const p = new UdpPeer();
  await p.bind();
  t.teardown(() => { p.close(); });
  return p;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let n = 0;

interface Call { callId: string; branch: string; port: number; transport: string }
function call(port: number, transport = 'UDP', branch = `z9hG4bK-inv-${++n}-${Date.now()}`): Call {
  return { callId: `inv-${++n}-${Date.now()}@127.0.0.1`, branch, port, transport };
}

function msg(c: Call, method: string, opts: { cseqMethod?: string; toTag?: string; branch?: string } = {}): string {
  const lines = [
    `${method} sip:bob@example.com SIP/2.0`,
    `Via: SIP/2.0/${c.transport} 127.0.0.1:${c.port};branch=${opts.branch ?? c.branch};rport`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.net>;tag=a1',
    `To: <sip:bob@example.com>${opts.toTag === undefined ? '' : `;tag=${opts.toTag}`}`,
    `Call-ID: ${c.callId}`,
    `CSeq: 1 ${opts.cseqMethod ?? method}`,
    'Contact: <sip:alice@127.0.0.1>',
    'Content-Length: 0',
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function toTag(m: SipMessage | undefined): string {
  return /;tag=([^;]+)/.exec(asResponse(m).headers.first('to') ?? '')?.[1] ?? '';
}

void t.test('an INVITE is answered 488 at once, Timer G retransmits it over UDP (T1 doubling to T2) until the ACK, which is absorbed (RFC 3261 §17.2.1)', async (t) => {
  const { udp } = await endpoint(t, { timers: { T1, T2, T4: 2000 } });
  const peer = await udpPeer(t);
  const c = call(peer.port);
  await peer.send(msg(c, 'INVITE'), udp);
  const started = Date.now();
  await peer.waitFor(1);
  t.equal(status(peer.received[0]), 488, 'an immediate final answer needs no 100 Trying');
  // G fires at T1, then 2*T1, 4*T1 (= T2), then every T2: 40, 120, 280, 440 ms.
  await sleep(T1 + 2 * T1 + 4 * T1 + T2 + 20 - (Date.now() - started));
  const before = peer.received.length;
  t.ok(before >= 4 && before <= 6, `the 488 was retransmitted at T1, 2*T1, T2 (capped), T2 (${before} copies, 5 expected)`);
  t.ok(peer.received.every((m) => status(m) === 488 && serialize(m).equals(serialize(peer.received[0]!))), 'the same bytes each time');
  await peer.send(msg(c, 'ACK', { toTag: toTag(peer.received[0]) }), udp);
  await sleep(20);
  const atAck = peer.received.length;
  await sleep(2 * T2 + 40);
  t.equal(peer.received.length, atAck, 'no retransmission after the ACK (Confirmed), and no answer to the ACK');
  await peer.send(msg(c, 'ACK', { toTag: toTag(peer.received[0]) }), udp);
  await peer.send(msg(c, 'INVITE'), udp);
  await sleep(40);
  t.equal(peer.received.length, atAck, 'Timer I absorbs ACK retransmissions, and the INVITE retransmission too while Confirmed');
});

void t.test('without an ACK, Timer H (64*T1) ends the retransmissions (RFC 3261 §17.2.1)', async (t) => {
  const { udp } = await endpoint(t, { timers: { T1: 10, T2: 40, T4: 50 } });
  const peer = await udpPeer(t);
  await peer.send(msg(call(peer.port), 'INVITE'), udp);
  await sleep(64 * 10 + 100);
  const atH = peer.received.length;
  t.ok(atH > 5, `retransmitted until Timer H (${atH})`);
  await sleep(150);
  t.equal(peer.received.length, atH, 'nothing after Timer H');
});

void t.test('an INVITE retransmission in Completed gets the final response again (RFC 3261 §17.2.1)', async (t) => {
  const { udp } = await endpoint(t, { timers: { T1: 5000, T2: 5000, T4: 5000 } });
  const peer = await udpPeer(t);
  const c = call(peer.port);
  await peer.send(msg(c, 'INVITE'), udp);
  await peer.waitFor(1);
  await peer.send(msg(c, 'INVITE'), udp);
  await peer.waitFor(2);
  t.same(peer.received.map(status), [488, 488]);
  t.equal(toTag(peer.received[0]), toTag(peer.received[1]), 'same To tag');
});

void t.test('an RFC 2543 ACK (no magic cookie) matches by the To tag of our response (RFC 3261 §17.2.3)', async (t) => {
  const { udp } = await endpoint(t);
  const peer = await udpPeer(t);
  const c = call(peer.port, 'UDP', 'old-2543-branch');
  await peer.send(msg(c, 'INVITE'), udp);
  await peer.waitFor(1);
  await peer.send(msg(c, 'ACK', { toTag: toTag(peer.received[0]) }), udp);
  await sleep(10);
  const atAck = peer.received.length;
  await sleep(3 * T2);
  t.equal(peer.received.length, atAck, 'retransmissions stopped');
});

void t.test('over TCP the 488 is sent once: Timer G is not set for reliable transports (RFC 3261 §17.2.1)', async (t) => {
  const { tcp } = await endpoint(t);
  const peer = await TcpPeer.open(tcp);
  t.teardown(() => { peer.close(); });
  const c = call(5060, 'TCP');
  peer.send(msg(c, 'INVITE'));
  await peer.waitFor(1);
  await sleep(3 * T1 + 2 * T2);
  t.same(peer.received.map(status), [488]);
});

void t.test('inviteStatus 603 answers Decline (RFC 3261 §21.6.2)', async (t) => {
  const { udp } = await endpoint(t, { inviteStatus: 603 });
  const peer = await udpPeer(t);
  await peer.send(msg(call(peer.port), 'INVITE'), udp);
  await peer.waitFor(1);
  t.equal(status(peer.received[0]), 603);
});

void t.test('inviteStatus 405 answers Method Not Allowed with Allow (RFC 3261 §8.2.1)', async (t) => {
  const { udp } = await endpoint(t, { inviteStatus: 405 });
  const peer = await udpPeer(t);
  await peer.send(msg(call(peer.port), 'INVITE'), udp);
  await peer.waitFor(1);
  t.equal(status(peer.received[0]), 405);
  t.match(asResponse(peer.received[0]).headers.first('allow'), /CANCEL/);
});

void t.test('CANCEL of a pending INVITE: 100 Trying at once, then 200 to the CANCEL and 487 to the INVITE (RFC 3261 §9.2, §17.2.1)', async (t) => {
  const { ep, udp } = await endpoint(t);
  let calls = 0;
  ep.onRequest('INVITE', () => { calls++; return new Promise(() => { /* never answers */ }); });
  const peer = await udpPeer(t);
  const c = call(peer.port);
  await peer.send(msg(c, 'INVITE'), udp);
  await peer.waitFor(1);
  t.equal(status(peer.received[0]), 100, '100 Trying sent at once when the answer is not immediate');
  await peer.send(msg(c, 'CANCEL'), udp);
  await peer.waitFor(3);
  const byMethod = (m: string) => peer.received.filter((r) => asResponse(r).headers.first('cseq')?.endsWith(m)).map(status);
  t.same(byMethod('CANCEL'), [200]);
  t.same(byMethod('INVITE'), [100, 487]);
  t.equal(calls, 1);
  await peer.send(msg(c, 'ACK', { toTag: toTag(peer.received.find((r) => status(r) === 487)) }), udp);
  await sleep(3 * T2);
  t.equal(peer.received.filter((r) => status(r) === 487).length <= 2, true, 'the ACK stops the 487 retransmissions');
});

void t.test('CANCEL after the final response gets 200 and changes nothing (RFC 3261 §9.2)', async (t) => {
  const { udp } = await endpoint(t, { timers: { T1: 5000, T2: 5000, T4: 5000 } });
  const peer = await udpPeer(t);
  const c = call(peer.port);
  await peer.send(msg(c, 'INVITE'), udp);
  await peer.waitFor(1);
  await peer.send(msg(c, 'CANCEL'), udp);
  await peer.waitFor(2);
  t.same(peer.received.map(status), [488, 200]);
});

void t.test('CANCEL matching no transaction gets 481 (RFC 3261 §9.2)', async (t) => {
  const { udp } = await endpoint(t);
  const peer = await udpPeer(t);
  await peer.send(msg(call(peer.port), 'CANCEL'), udp);
  await peer.waitFor(1);
  t.equal(status(peer.received[0]), 481);
});
