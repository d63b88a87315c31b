import t from 'tap';
import { parseCpim } from '../../../translators/cpim.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

void t.test('CPIM: message headers, MIME headers and content are split at the blank lines (RFC 3862 §2)', (t) => {
  const m = parseCpim(enc('From: <im:a@x>\r\nNS: imdn <urn:ietf:params:imdn>\r\n\r\nContent-Type: text/plain\r\n\r\nhi\r\n\r\nthere'));
  t.same(m?.headers, [['From', '<im:a@x>'], ['NS', 'imdn <urn:ietf:params:imdn>']]);
  t.same(m?.mimeHeaders, [['Content-Type', 'text/plain']]);
  t.same(m?.content, enc('hi\r\n\r\nthere'), 'the content is the exact bytes after the second blank line');
  t.end();
});

void t.test('CPIM: bare LF line ends are read too (lenient)', (t) => {
  const m = parseCpim(enc('From: a\n\nContent-Type: text/plain\n\nhi'));
  t.same(m?.content, enc('hi'));
  t.end();
});

void t.test('CPIM: a line starting with a space continues the previous header', (t) => {
  const m = parseCpim(enc('Subject: one\r\n  two\r\n\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\nx'));
  t.same(m?.headers, [['Subject', 'one two']]);
  t.same(m?.mimeHeaders, [['Content-Type', 'text/plain; charset=utf-8']]);
  t.end();
});

void t.test('CPIM: empty header blocks are allowed', (t) => {
  t.same(parseCpim(enc('\r\n\r\nx'))?.content, enc('x'));
  t.end();
});

const BAD: [string | Uint8Array, string][] = [
  ['From: a\r\n', 'a message header block without blank line is malformed'],
  ['From: a\r\n\r\nContent-Type: text/plain\r\n', 'a MIME header block without blank line is malformed'],
  [' cont\r\n\r\n\r\n', 'a continuation line with nothing to continue is malformed'],
  ['NoColon\r\n\r\n\r\n', 'a header line without colon is malformed'],
  [Uint8Array.from([0xff, 0x3a, 0x20, 0x61, 0x0d, 0x0a, 0x0d, 0x0a, 0x0d, 0x0a]), 'a header line that is not UTF-8 is malformed'],
];
for (const [input, rule] of BAD) {
  void t.test(`CPIM: ${rule}`, (t) => {
    t.equal(parseCpim(typeof input === 'string' ? enc(input) : input), undefined);
    t.end();
  });
}
