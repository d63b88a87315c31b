// A tiny authoritative DNS server for tests: UDP on 127.0.0.1 (ephemeral port), answering from a
// zone table that tests may change at any time. Wire format by hand (RFC 1035 §4): A, AAAA,
// SRV (RFC 2782), NAPTR (RFC 3403 §4.1); NXDOMAIN for unknown names, NODATA for a known name
// without records of the asked type, SERVFAIL/REFUSED on demand, or no answer at all (DROP).
// No name compression on output (the SRV target and NAPTR replacement must not be compressed
// anyway); queries using compression pointers get FORMERR.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

export interface SrvData { priority: number; weight: number; port: number; target: string }
export interface NaptrData { order: number; preference: number; flags: string; service: string; regexp: string; replacement: string }
export interface ZoneRecords { a?: string[]; aaaa?: string[]; srv?: SrvData[]; naptr?: NaptrData[]; ttl?: number }
export type ZoneEntry = ZoneRecords | 'SERVFAIL' | 'REFUSED' | 'DROP';
export type Zone = Record<string, ZoneEntry>;
export interface DnsQuery { name: string; type: string }

const TYPE = { A: 1, AAAA: 28, SRV: 33, NAPTR: 35 } as const;
const TYPE_NAME = new Map<number, string>(Object.entries(TYPE).map(([n, v]) => [v, n]));
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export class TestDnsServer {
  /** names without the trailing dot; matched case-insensitively */
  zone: Zone;
  /** every question asked, in arrival order (name as asked, lower-cased) */
  readonly queries: DnsQuery[] = [];
  readonly #socket: Socket;

  private constructor(socket: Socket, zone: Zone) {
    this.#socket = socket;
    this.zone = zone;
    socket.on('message', (msg, rinfo) => {
      const reply = this.#answer(msg);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
  }

  static async start(zone: Zone = {}): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => { socket.off('error', reject); resolve(); });
    });
    return new TestDnsServer(socket, zone);
  }

  get port(): number { return this.#socket.address().port; }
  /** for `dnsServers` / `Resolver.setServers` */
  get server(): string { return `127.0.0.1:${this.port}`; }

  close(): Promise<void> {
    return new Promise((resolve) => { this.#socket.close(() => { resolve(); }); });
  }

  #answer(msg: Buffer): Buffer | undefined {
    if (msg.length < 12 || (msg[2]! & 0x80) !== 0) return undefined; // short, or a response
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    const q = msg.readUInt16BE(4) === 1 ? readQuestion(msg, 12) : undefined;
    if (!q) return header(id, flags, RCODE.FORMERR, 0);
    const name = q.name.toLowerCase();
    const type = TYPE_NAME.get(q.type) ?? String(q.type);
    this.queries.push({ name, type });
    const entry = this.zone[name];
    if (entry === 'DROP') return undefined;
    const question = msg.subarray(12, q.end);
    if (entry === undefined) return Buffer.concat([header(id, flags, RCODE.NXDOMAIN, 1), question]);
    if (entry === 'SERVFAIL' || entry === 'REFUSED') return Buffer.concat([header(id, flags, RCODE[entry], 1), question]);
    const answers = q.class === 1 ? records(name, q.type, entry) : [];
    return Buffer.concat([header(id, flags, RCODE.NOERROR, 1, answers.length), question, ...answers]);
  }
}

function readQuestion(msg: Buffer, at: number): { name: string; type: number; class: number; end: number } | undefined {
  const labels: string[] = [];
  let p = at;
  for (;;) {
    const len = msg[p];
    if (len === undefined || len > 63) return undefined; // truncated, or a compression pointer
    p++;
    if (len === 0) break;
    if (p + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', p, p + len));
    p += len;
  }
  if (p + 4 > msg.length) return undefined;
  return { name: labels.join('.'), type: msg.readUInt16BE(p), class: msg.readUInt16BE(p + 2), end: p + 4 };
}

/** RFC 1035 §4.1.1: ID, QR=1, the query's opcode, AA=1, the query's RD, RA=0, RCODE. */
function header(id: number, queryFlags: number, rcode: number, qd: number, an = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x8000 | (queryFlags & 0x7800) | 0x0400 | (queryFlags & 0x0100) | rcode, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  return b;
}

function records(name: string, type: number, e: ZoneRecords): Buffer[] {
  const rr = (rdata: Buffer) => resourceRecord(name, type, e.ttl ?? 300, rdata);
  switch (type) {
    case TYPE.A: return (e.a ?? []).map((a) => rr(Buffer.from(a.split('.').map(Number))));
    case TYPE.AAAA: return (e.aaaa ?? []).map((a) => rr(ipv6Bytes(a)));
    case TYPE.SRV: return (e.srv ?? []).map((s) => rr(Buffer.concat([u16(s.priority), u16(s.weight), u16(s.port), domainName(s.target)])));
    case TYPE.NAPTR: return (e.naptr ?? []).map((n) => rr(Buffer.concat([
      u16(n.order), u16(n.preference), charString(n.flags), charString(n.service), charString(n.regexp), domainName(n.replacement),
    ])));
    default: return [];
  }
}

/** RFC 1035 §4.1.3: NAME, TYPE, CLASS (IN), TTL, RDLENGTH, RDATA. */
function resourceRecord(name: string, type: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([domainName(name), fixed, rdata]);
}

/** Uncompressed labels; "" and "." are the root. */
function domainName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  return Buffer.concat([...labels.map((l) => charString(l)), Buffer.from([0])]);
}

function charString(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

function ipv6Bytes(a: string): Buffer {
  const [head = '', tail] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const tl = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}
