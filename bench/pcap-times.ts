// Response times from a pcap of SIP on loopback (pcap-latency.ts captures it): each request's first
// transmission matched by Call-ID to the first final response the server sent back. Pure: a
// capture's bytes in, figures out.

export interface WireTimes {
  /** Response times in µs, sorted (requests never answered are left out). */
  times: number[];
  /**
   * The answering side's time per request inside a burst, in µs: the median time between the
   * final responses to two requests that arrived one after the other in the same burst (requests
   * less than 1 ms apart). It is what the burst's last request waits for each one before it.
   */
  perRequest: number | undefined;
  /**
   * The median response time, in µs, of the first request of each burst (one that arrived 1 ms
   * or more after the one before): the answering side waking from idle and running its path cold.
   */
  firstOfBurst: number | undefined;
}

// Start lines of requests and responses, and the Call-ID (full or compact form) of each message.
const START = /(?:^|\r\n)(SIP\/2\.0 [1-6]\d\d[^\r\n]*|[A-Z]+ \S+ SIP\/2\.0)\r\n/g;
const CALL_ID = /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/i;

/** A burst of requests: they arrived less than this apart (SIPp sends its tick's share at once). */
const BURST_GAP_US = 1000;

/** Response times from a pcap of SIP over UDP or TCP on IPv4 loopback, serverPort's side. */
export function responseTimes(pcap: Buffer, serverPort: number): WireTimes {
  const magic = pcap.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  if (magic !== 0xa1b2c3d4 && !nano) throw new Error('not a little-endian pcap file');
  const link = pcap.readUInt32LE(20);
  const linkLen = link === 1 ? 14 : link === 113 ? 16 : link === 276 ? 20 : link === 0 ? 4 : -1;
  if (linkLen < 0) throw new Error(`unsupported link type ${link}`);
  /** each request's first transmission in arrival order, and when it was answered (-1: not yet) */
  const arrivals: Array<{ at: number; answered: number }> = [];
  const byId = new Map<string, { at: number; answered: number }>();
  for (let off = 24; off + 16 <= pcap.length;) {
    const us = pcap.readUInt32LE(off) * 1e6 + (nano ? pcap.readUInt32LE(off + 4) / 1000 : pcap.readUInt32LE(off + 4));
    const incl = pcap.readUInt32LE(off + 8);
    const ip = off + 16 + linkLen;
    off += 16 + incl;
    if ((pcap[ip]! >> 4) !== 4) continue;
    const ihl = (pcap[ip]! & 0x0f) * 4;
    const proto = pcap[ip + 9];
    const l4 = ip + ihl;
    const srcPort = pcap.readUInt16BE(l4);
    const payloadAt = proto === 17 ? l4 + 8 : proto === 6 ? l4 + (pcap[l4 + 12]! >> 4) * 4 : -1;
    if (payloadAt < 0 || payloadAt >= off) continue;
    const text = pcap.toString('latin1', payloadAt, off);
    const fromServer = srcPort === serverPort;
    // A TCP segment may carry several messages: each start line, then its Call-ID.
    const starts = [...text.matchAll(START)];
    for (let i = 0; i < starts.length; i++) {
      const s = starts[i]!;
      const id = CALL_ID.exec(text.slice(s.index, starts[i + 1]?.index ?? text.length))?.[1]?.trim();
      if (id === undefined) continue;
      const isResponse = s[1]!.startsWith('SIP/2.0 ');
      if (!fromServer && !isResponse) {
        if (!byId.has(id)) {
          const a = { at: us, answered: -1 };
          arrivals.push(a);
          byId.set(id, a);
        }
      } else if (fromServer && isResponse && s[1]!.charCodeAt(8) >= 0x32) {
        // Only the first final response: a retransmission and its answer are not a new sample.
        const a = byId.get(id);
        if (a !== undefined && a.answered < 0) a.answered = us;
      }
    }
  }
  const times = arrivals.filter((a) => a.answered >= 0).map((a) => a.answered - a.at);
  const gaps: number[] = [];
  const firsts: number[] = [];
  for (let i = 1; i < arrivals.length; i++) {
    const a = arrivals[i - 1]!;
    const b = arrivals[i]!;
    if (b.at - a.at < BURST_GAP_US) {
      if (a.answered >= 0 && b.answered >= 0) gaps.push(b.answered - a.answered);
    } else if (b.answered >= 0) {
      firsts.push(b.answered - b.at);
    }
  }
  const median = (xs: number[]): number | undefined => (xs.length === 0 ? undefined : xs.sort((x, y) => x - y)[xs.length >> 1]);
  return { times: times.sort((x, y) => x - y), perRequest: median(gaps), firstOfBurst: median(firsts) };
}
