// The two-pass writer: measuring and writing agree, and messages share slabs of their own.
import t from 'tap';
import { keep, keptSlab, writeMessage } from '../../../../gateway/sip/byte-writer.ts';
import type { ByteWriter } from '../../../../gateway/sip/byte-writer.ts';

const write = (layout: (w: ByteWriter) => void): Buffer => writeMessage((w: ByteWriter) => { layout(w); }, undefined, undefined, undefined);

void t.test('text in UTF-8, byte ranges as they are, integers in decimal: one Buffer of the exact size', (t) => {
  const src = Buffer.from('..raw bytes..');
  const out = write((w) => { w.text('A€✓ ').bytes(src, 2, 11).text(' ').int(0).text('|').int(7).text('|').int(10).text('|').int(65535).text('|').int(1234567890); });
  t.equal(out.toString('utf8'), 'A€✓ raw bytes 0|7|10|65535|1234567890');
  t.equal(out.length, Buffer.byteLength('A€✓ raw bytes 0|7|10|65535|1234567890'));
  t.end();
});

void t.test('an empty message is an empty Buffer', (t) => {
  t.equal(write(() => {}).length, 0);
  t.end();
});

void t.test('messages are cut from shared slabs, 8-byte aligned; a full slab gives way to a new one', (t) => {
  const a = write((w) => { w.text('abc'); });
  const b = write((w) => { w.text('defgh'); });
  t.equal(a.buffer, b.buffer, 'same slab');
  t.equal(b.byteOffset - a.byteOffset, 8, 'aligned');
  const seen = new Set<ArrayBufferLike>([a.buffer]);
  const kb = 'x'.repeat(1000);
  const outs: Buffer[] = [];
  for (let i = 0; i < 20; i++) {
    const out = write((w) => { w.int(i).text(kb); });
    outs.push(out);
    seen.add(out.buffer);
  }
  t.ok(seen.size >= 2, 'a new slab once the first was full');
  outs.forEach((o, i) => { t.equal(o.toString('latin1'), `${i}${kb}`); });
  t.equal(a.toString(), 'abc', 'earlier messages are left as written');
  t.end();
});

void t.test('a message larger than 4 KB gets a Buffer of its own', (t) => {
  const big = write((w) => { w.text('y'.repeat(4097)); });
  t.equal(big.length, 4097);
  t.equal(big.byteOffset, 0);
  t.equal(big.buffer.byteLength, 4097);
  t.end();
});

void t.test('a message kept long is copied into slabs of kept messages only', (t) => {
  const written = write((w) => { w.text('SIP/2.0 200 OK'); });
  const at = keep(written);
  const slab = keptSlab();
  const nextAt = keep(write((w) => { w.text('SIP/2.0 202 Accepted'); }));
  const transient = write((w) => { w.text('NOTIFY'); });
  t.equal(slab.toString('latin1', at, at + written.length), 'SIP/2.0 200 OK');
  t.not(slab.buffer, written.buffer, 'not beside what was written');
  t.equal(keptSlab(), slab, 'beside the other kept one');
  t.equal(slab.toString('latin1', nextAt, nextAt + 20), 'SIP/2.0 202 Accepted');
  t.equal(nextAt % 8, 0, '8-byte aligned');
  t.equal(transient.buffer, written.buffer, 'transient messages stay in their own slabs');
  t.end();
});

void t.test('a kept message larger than 4 KB gets a Buffer of its own', (t) => {
  const at = keep(Buffer.alloc(5000, 0x61));
  const own = keptSlab();
  t.equal(at, 0);
  t.equal(own.length, 5000);
  const small = keep(Buffer.from('x'));
  t.not(keptSlab(), own, 'the next small one goes back to the slab');
  t.equal(keptSlab().toString('latin1', small, small + 1), 'x');
  t.end();
});
