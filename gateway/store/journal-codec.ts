// Journal record framing: [u32 length][u32 crc32 of body][body], body = [u8 kind][payload].
// kind 1 = entry (payload: JSON {s: seq, d: item}), kind 2 = ack (payload: f64 seq).
import { crc32 } from 'node:zlib';

export const ENTRY = 1;
export const ACK = 2;
const HEADER = 8;

export type JournalRecord = { kind: typeof ENTRY; seq: number; item: unknown } | { kind: typeof ACK; seq: number };

export function encodeEntry(seq: number, item: unknown): Buffer {
  const json = JSON.stringify({ s: seq, d: item });
  const len = Buffer.byteLength(json);
  const buf = Buffer.allocUnsafe(HEADER + 1 + len);
  buf.writeUInt8(ENTRY, HEADER);
  buf.write(json, HEADER + 1, 'utf8');
  return seal(buf);
}

export function encodeAck(seq: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER + 9);
  buf.writeUInt8(ACK, HEADER);
  buf.writeDoubleLE(seq, HEADER + 1);
  return seal(buf);
}

function seal(buf: Buffer): Buffer {
  const body = buf.subarray(HEADER);
  buf.writeUInt32LE(body.length, 0);
  buf.writeUInt32LE(crc32(body), 4);
  return buf;
}

/**
 * Decodes every whole, intact record. `validBytes` is where a torn or corrupt tail starts
 * (a crash in the middle of a write); the caller truncates the file there.
 */
export function decodeRecords(buf: Buffer): { records: JournalRecord[]; validBytes: number } {
  const records: JournalRecord[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 1 || off + HEADER + len > buf.length) break;
    const body = buf.subarray(off + HEADER, off + HEADER + len);
    if (crc32(body) !== buf.readUInt32LE(off + 4)) break;
    const rec = decodeBody(body);
    if (!rec) break;
    records.push(rec);
    off += HEADER + len;
  }
  return { records, validBytes: off };
}

function decodeBody(body: Buffer): JournalRecord | undefined {
  const kind = body[0];
  if (kind === ACK && body.length === 9) return { kind: ACK, seq: body.readDoubleLE(1) };
  if (kind !== ENTRY) return undefined;
  try {
    const v = JSON.parse(body.toString('utf8', 1)) as { s?: unknown; d?: unknown };
    return typeof v.s === 'number' ? { kind: ENTRY, seq: v.s, item: v.d } : undefined;
  } catch {
    return undefined;
  }
}
