// Journal record framing: round trip, and recovery from a torn or corrupt tail (a crash in the
// middle of a write must cost at most the record being written, never an earlier one).
import t from 'tap';
import { crc32 } from 'node:zlib';
import { ACK, ENTRY, decodeRecords, encodeAck, encodeEntry, type JournalRecord } from '../../../../gateway/store/journal-codec.ts';

const HEADER = 8;

/** A record with an arbitrary body, correctly framed (length and crc match the body). */
function framed(body: Buffer): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

const samples: JournalRecord[] = [
  { kind: ENTRY, seq: 1, item: { to: 'bob@xmpp.example', body: 'héllo ☃ — 日本語' } },
  { kind: ACK, seq: 1 },
  { kind: ENTRY, seq: 2, item: 'a string' },
  { kind: ENTRY, seq: 3, item: [1, null, true, { n: 2.5 }] },
  { kind: ENTRY, seq: 4, item: null },
  { kind: ACK, seq: 2 ** 40 },
  { kind: ENTRY, seq: 2 ** 40 + 1, item: 'x'.repeat(300) },
];

function encode(r: JournalRecord): Buffer {
  return r.kind === ENTRY ? encodeEntry(r.seq, r.item) : encodeAck(r.seq);
}

void t.test('entries and acks round-trip, in order, with multi-byte UTF-8 payloads', (t) => {
  const parts = samples.map(encode);
  const buf = Buffer.concat(parts);
  const { records, validBytes } = decodeRecords(buf);
  t.same(records, samples);
  t.equal(validBytes, buf.length);
  t.end();
});

void t.test('the frame is [u32 length][u32 crc32(body)][u8 kind][payload], little-endian', (t) => {
  const ack = encodeAck(7);
  t.equal(ack.length, HEADER + 9);
  t.equal(ack.readUInt32LE(0), 9);
  t.equal(ack.readUInt32LE(4), crc32(ack.subarray(HEADER)));
  t.equal(ack[HEADER], ACK);
  t.equal(ack.readDoubleLE(HEADER + 1), 7);
  const entry = encodeEntry(5, { a: 'é' });
  const body = entry.subarray(HEADER);
  t.equal(entry.readUInt32LE(0), body.length, 'length counts bytes, not characters');
  t.equal(body[0], ENTRY);
  t.same(JSON.parse(body.toString('utf8', 1)), { s: 5, d: { a: 'é' } });
  t.end();
});

void t.test('an entry whose item is undefined decodes with item undefined', (t) => {
  const { records } = decodeRecords(encodeEntry(9, undefined));
  t.same(records, [{ kind: ENTRY, seq: 9, item: undefined }]);
  t.end();
});

void t.test('an empty buffer holds no records', (t) => {
  t.same(decodeRecords(Buffer.alloc(0)), { records: [], validBytes: 0 });
  t.end();
});

void t.test('a tail torn at every byte offset keeps exactly the whole records before it', (t) => {
  const parts = samples.map(encode);
  const buf = Buffer.concat(parts);
  const ends: number[] = [];
  let end = 0;
  for (const p of parts) ends.push((end += p.length));
  for (let cut = 0; cut <= buf.length; cut++) {
    const whole = ends.filter((e) => e <= cut).length;
    const expectValid = whole === 0 ? 0 : ends[whole - 1]!;
    const { records, validBytes } = decodeRecords(buf.subarray(0, cut));
    if (validBytes !== expectValid || records.length !== whole) {
      t.fail(`cut at ${cut}: validBytes ${validBytes} (want ${expectValid}), ${records.length} records (want ${whole})`);
      break;
    }
    t.same(records, samples.slice(0, whole));
  }
  t.end();
});

void t.test('corruption stops decoding at the start of the bad record', (t) => {
  const good = Buffer.concat([encodeEntry(1, 'one'), encodeAck(1)]);
  const after = encodeEntry(3, 'never read: decoding does not resync past a bad record');
  const cases: Array<{ name: string; bad: Buffer }> = [];

  const flipped = encodeEntry(2, 'two');
  flipped[flipped.length - 2]! ^= 0x01;
  cases.push({ name: 'crc mismatch (payload bit flipped)', bad: flipped });

  const badCrc = encodeAck(2);
  badCrc.writeUInt32LE((badCrc.readUInt32LE(4) + 1) >>> 0, 4);
  cases.push({ name: 'crc mismatch (crc field damaged)', bad: badCrc });

  cases.push({ name: 'zero length', bad: Buffer.alloc(HEADER + 4) });
  const huge = encodeAck(2);
  huge.writeUInt32LE(0xffffffff, 0);
  cases.push({ name: 'length past the end of the buffer', bad: huge });

  cases.push({ name: 'unknown kind', bad: framed(Buffer.from([9, 1, 2, 3])) });
  cases.push({ name: 'ack with a payload that is not 8 bytes', bad: framed(Buffer.from([ACK, 1, 2, 3])) });
  cases.push({ name: 'entry with bad JSON', bad: framed(Buffer.concat([Buffer.from([ENTRY]), Buffer.from('{"s":2,')])) });
  cases.push({ name: 'entry with JSON null', bad: framed(Buffer.concat([Buffer.from([ENTRY]), Buffer.from('null')])) });
  cases.push({ name: 'entry whose seq is not a number', bad: framed(Buffer.concat([Buffer.from([ENTRY]), Buffer.from('{"s":"2","d":1}')])) });
  cases.push({ name: 'entry without a seq', bad: framed(Buffer.concat([Buffer.from([ENTRY]), Buffer.from('{"d":1}')])) });

  for (const { name, bad } of cases) {
    const { records, validBytes } = decodeRecords(Buffer.concat([good, bad, after]));
    t.equal(validBytes, good.length, `${name}: validBytes at the end of the last good record`);
    t.same(records, [{ kind: ENTRY, seq: 1, item: 'one' }, { kind: ACK, seq: 1 }], `${name}: records before it survive`);
  }
  t.end();
});
