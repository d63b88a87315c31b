// responseTimes: request arrivals matched by Call-ID to the server's first final response, in a
// pcap built here packet by packet (the bench's p99 verdicts rest on it).
import t from 'tap';
import { responseTimes } from '../../../bench/pcap-times.ts';

const SERVER = 5060;
const CLIENT = 5071;
const LINK_LENGTHS: Record<number, number> = { 0: 4, 1: 14, 113: 16, 276: 20 };

interface Packet { us: number; src: number; payload: string; proto?: number; ipVersion?: number }

/** A little-endian pcap: µs or ns timestamps, the given link type, IPv4 UDP/TCP packets. */
function pcap(packets: Packet[], opts: { link?: number; nano?: boolean } = {}): Buffer {
  const link = opts.link ?? 1;
  const head = Buffer.alloc(24);
  head.writeUInt32LE(opts.nano === true ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  head.writeUInt32LE(link, 20);
  const parts = [head];
  for (const p of packets) {
    const proto = p.proto ?? 17;
    const l4Len = proto === 6 ? 20 : 8;
    const body = Buffer.from(p.payload, 'latin1');
    const frame = Buffer.alloc((LINK_LENGTHS[link] ?? 0) + 20 + l4Len + body.length);
    const ip = LINK_LENGTHS[link] ?? 0;
    frame[ip] = ((p.ipVersion ?? 4) << 4) | 5;
    frame[ip + 9] = proto;
    frame.writeUInt16BE(p.src, ip + 20);
    frame.writeUInt16BE(p.src === SERVER ? CLIENT : SERVER, ip + 22);
    if (proto === 6) frame[ip + 20 + 12] = 5 << 4;
    body.copy(frame, ip + 20 + l4Len);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.us / 1e6), 0);
    rec.writeUInt32LE(opts.nano === true ? (p.us % 1e6) * 1000 : p.us % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  return Buffer.concat(parts);
}

const request = (callId: string, callIdHeader = 'Call-ID'): string =>
  `MESSAGE sip:bob@xmpp.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${CLIENT};branch=z9hG4bK${callId}\r\n${callIdHeader}: ${callId}\r\nCSeq: 1 MESSAGE\r\n\r\n`;
const response = (status: number, callId: string): string => `SIP/2.0 ${status} Whatever\r\nCall-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\n\r\n`;
const fromClient = (us: number, payload: string): Packet => ({ us, src: CLIENT, payload });
const fromServer = (us: number, payload: string): Packet => ({ us, src: SERVER, payload });

void t.test('bursts over UDP: response times, time per request in a burst, first of a burst', (t) => {
  const w = responseTimes(pcap([
    fromClient(1000, request('a')), fromClient(1005, request('b')), fromClient(1010, request('c')),
    fromServer(1100, response(100, 'a')), // provisional: not the answer
    fromServer(1120, response(200, 'a')), fromServer(1150, response(200, 'b')), fromServer(1200, response(200, 'c')),
    fromServer(1250, response(200, 'a')), // a retransmitted final response: the first one counts
    fromClient(1300, request('a')), // a retransmitted request: not a new arrival
    fromServer(1310, response(200, 'nobody-asked')),
    fromServer(1320, request('from-the-server')), // the server's own request: no sample
    fromClient(1330, response(200, 'to-the-server')), // the client's response: no sample
    fromClient(1340, 'MESSAGE sip:x SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\n'), // no Call-ID
    fromClient(6000, request('d')), fromClient(6003, request('e')), fromClient(6006, request('f')),
    fromServer(6080, response(200, 'd')), fromServer(6200, response(486, 'f')), // e never answered
    fromClient(9000, request('g')), // a burst of one, never answered
  ]), SERVER);
  t.same(w.times, [80, 120, 145, 190, 194]);
  t.equal(w.perRequest, 50, 'gaps 30 and 50 within the first burst; none around the unanswered e');
  t.equal(w.firstOfBurst, 80, 'd opened a burst; g did too but was never answered');
  t.end();
});

void t.test('TCP segments with several messages, compact Call-ID, nanosecond timestamps, cooked link', (t) => {
  const w = responseTimes(pcap([
    { us: 2000, src: CLIENT, proto: 6, payload: request('x', 'i') + request('y', 'call-id') },
    { us: 2300, src: SERVER, proto: 6, payload: response(200, 'x') + response(202, 'y') },
  ], { link: 113, nano: true }), SERVER);
  t.same(w.times, [300, 300]);
  t.equal(w.perRequest, 0);
  t.equal(w.firstOfBurst, undefined, 'no request came 1 ms after another');
  t.end();
});

void t.test('other link types; packets that are not IPv4 UDP/TCP with a payload are skipped', (t) => {
  for (const link of [0, 276]) {
    const w = responseTimes(pcap([
      { us: 10, src: CLIENT, payload: request('v6'), ipVersion: 6 },
      { us: 11, src: CLIENT, payload: request('icmp'), proto: 1 },
      { us: 12, src: CLIENT, payload: '' },
      fromClient(20, request('q')),
      fromServer(70, response(200, 'q')),
      { us: 80, src: SERVER, payload: response(200, 'v6'), ipVersion: 6 },
    ], { link }), SERVER);
    t.same(w.times, [50], `link type ${link}`);
    t.equal(w.perRequest, undefined);
    t.equal(w.firstOfBurst, undefined);
  }
  t.end();
});

void t.test('not a pcap this reads', (t) => {
  const bad = pcap([]);
  bad.writeUInt32LE(0xd4c3b2a1, 0);
  t.throws(() => responseTimes(bad, SERVER), /not a little-endian pcap/);
  t.throws(() => responseTimes(pcap([], { link: 105 }), SERVER), /unsupported link type 105/);
  t.end();
});
