// Stream framing (RFC 3261 §18.3): every corpus message split at every byte offset frames the same
// as unsplit; bad Content-Length and oversize input end the stream.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamFramer } from '../../../../gateway/sip/stream-framer.ts';
import { ParseError } from '../../../../gateway/sip/parse-error.ts';
import { serialize } from '../../../../gateway/sip/serializer.ts';
import type { SipMessage } from '../../../../gateway/sip/message.ts';

const dir = join(import.meta.dirname, '../../../../fixtures/sip');
const files = ['rfc4475', 'rfc5118'].flatMap((d) => readdirSync(join(dir, d)).map((f) => join(d, f)));

/** A comparable summary of what the framer yielded. */
function summary(out: Array<SipMessage | ParseError>, framer: StreamFramer): string {
  return JSON.stringify([out.map((r) => r instanceof ParseError ? `!${r.reason}` : serialize(r).toString('latin1')), framer.failed, framer.pending]);
}

void t.test('every corpus message split at every byte offset frames as unsplit', (t) => {
  for (const file of files) {
    const bytes = readFileSync(join(dir, file));
    const whole = new StreamFramer();
    const expected = summary(whole.push(bytes), whole);
    let same = true;
    for (let i = 1; i < bytes.length; i++) {
      const f = new StreamFramer();
      const out = [...f.push(bytes.subarray(0, i)), ...f.push(bytes.subarray(i))];
      if (summary(out, f) !== expected) { same = false; t.fail(`${file} split at ${i}`); break; }
    }
    t.ok(same, file);
  }
  t.end();
});

void t.test('byte-by-byte feeding of two messages with keep-alive CRLFs between them', (t) => {
  const one = 'OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabc';
  const bytes = Buffer.from(`\r\n${one}\r\n\r\n${one}`);
  const f = new StreamFramer();
  const out: Array<SipMessage | ParseError> = [];
  for (const b of bytes) out.push(...f.push(Buffer.from([b])));
  t.equal(out.length, 2);
  t.same(out.map((m) => (m as SipMessage).body.toString()), ['abc', 'abc']);
  t.equal(f.pending, 0);
  t.equal(f.pendingHeaders, undefined);
  t.end();
});

void t.test('framing errors end the stream (RFC 4475 ncl, mcl01; missing Content-Length)', (t) => {
  const cases: Array<[string, string]> = [
    ['OPTIONS sip:a@b SIP/2.0\r\nl: -999\r\n\r\n', 'content-length-invalid'],
    ['OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\n', 'content-length-duplicate'],
    ['OPTIONS sip:a@b SIP/2.0\r\nA: b\r\n\r\n', 'content-length-missing'],
    ['SIP/2.0 200 OK\r\n\r\n', 'content-length-missing'],
    ['BAD LINE\r\n\r\n', 'content-length-missing'],
    ['OPTIONS sip:a@b SIP/2.0\r\n oops\r\n\r\n', 'header-syntax'],
    ['OPTIONS sip:a@b SIP/2.0\r\nl: 100\r\n\r\n', 'too-large'],
  ];
  for (const [text, reason] of cases) {
    const f = new StreamFramer(60);
    const out = f.push(Buffer.from(text));
    t.equal((out.at(-1) as ParseError).reason, reason, reason);
    t.ok(f.failed);
    t.same(f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n')), [], 'no more input taken');
  }
  const f = new StreamFramer(40);
  t.same(f.push(Buffer.alloc(40, 0x41)), [], 'waits up to the limit');
  t.match(f.push(Buffer.from('A')), [{ reason: 'too-large' }], 'then gives up without end of headers');
  t.end();
});

void t.test('a bad start line with a good Content-Length is a per-message error; the stream goes on', (t) => {
  const f = new StreamFramer();
  const out = f.push(Buffer.from('INVITE sip:a@b; lr SIP/2.0\r\nl: 0\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n'));
  t.match(out, [{ reason: 'start-line' }, { kind: 'request', method: 'OPTIONS' }]);
  t.equal(f.failed, false);
  t.end();
});

void t.test('an incomplete body keeps its headers available (clerr)', (t) => {
  const f = new StreamFramer();
  t.same(f.push(readFileSync(join(dir, 'rfc4475/clerr.dat'))), []);
  t.equal(f.pendingHeaders?.first('call-id'), 'clerr.0ha0isndaksdjweiafasdk3');
  t.equal(f.pending, 498);
  t.end();
});

void t.test('a double CRLF between messages is a keep-alive ping; a single CRLF is only skipped (RFC 5626 §4.4.1)', (t) => {
  const one = 'OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n';
  const pings = (...chunks: string[]): [number, number] => {
    const f = new StreamFramer();
    let messages = 0;
    let n = 0;
    for (const c of chunks) {
      messages += f.push(Buffer.from(c)).length;
      n += f.takePings();
    }
    t.equal(f.takePings(), 0, 'taking pings resets the count');
    return [n, messages];
  };
  t.same(pings('\r\n\r\n'), [1, 0], 'one ping');
  t.same(pings('\r\n', '\r\n'), [1, 0], 'split across chunks');
  t.same(pings('\r', '\n\r', '\n'), [1, 0], 'split inside the CRLFs');
  t.same(pings('\r\n\r\n\r\n\r\n'), [2, 0], 'two pings');
  t.same(pings('\r\n\r\n\r\n', '\r\n'), [2, 0], 'an odd CRLF waits for its pair');
  t.same(pings(`\r\n${one}\r\n${one}`), [0, 2], 'single CRLFs before messages');
  t.same(pings('\r\n', one, '\r\n'), [0, 1], 'a message between single CRLFs breaks the run');
  t.same(pings(one.slice(0, 5), one.slice(5), '\r\n\r\n'), [1, 1], 'a ping after a message');
  t.same(pings(`${one}\r\n\r\n${one}`), [1, 2], 'a ping between messages in one chunk');
  t.end();
});
