// The message parser: table-driven over the RFC 4475/5118 fixtures, then the corners.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findHeadEnd, parseDatagram, parseHead, skipLeadingCrlf } from '../../../../gateway/sip/parser.ts';
import { ParseError } from '../../../../gateway/sip/parse-error.ts';
import type { SipMessage } from '../../../../gateway/sip/message.ts';

const dir = join(import.meta.dirname, '../../../../fixtures/sip');
const load = (f: string): Buffer => readFileSync(join(dir, f));

/** file → what parseDatagram yields: "METHOD", a response status, or "!reason" for a ParseError. */
const table: Record<string, string | number> = {
  'rfc4475/wsinv.dat': 'INVITE', 'rfc4475/esc01.dat': 'INVITE', 'rfc4475/escnull.dat': 'REGISTER',
  'rfc4475/lwsdisp.dat': 'OPTIONS', 'rfc4475/longreq.dat': 'INVITE', 'rfc4475/semiuri.dat': 'OPTIONS',
  'rfc4475/transports.dat': 'OPTIONS', 'rfc4475/baddate.dat': 'INVITE', 'rfc4475/zeromf.dat': 'OPTIONS',
  'rfc4475/intmeth.dat': "!interesting-Method0123456789_*+`.%indeed'~", 'rfc4475/esc02.dat': 'RE%47IST%45R',
  'rfc4475/mismatch02.dat': 'NEWMETHOD', 'rfc4475/dblreq.dat': 'REGISTER', 'rfc4475/mpart01.dat': 'MESSAGE',
  'rfc4475/unreason.dat': 200, 'rfc4475/noreason.dat': 100, 'rfc4475/scalarlg.dat': 503,
  'rfc4475/bigcode.dat': '!status-code', 'rfc4475/bcast.dat': 200, 'rfc4475/badinv01.dat': 'INVITE',
  'rfc4475/scalar02.dat': 'REGISTER', 'rfc4475/quotbal.dat': 'INVITE', 'rfc4475/lwsruri.dat': '!start-line',
  'rfc4475/badaspec.dat': 'OPTIONS', 'rfc4475/baddn.dat': 'OPTIONS', 'rfc4475/mismatch01.dat': 'OPTIONS',
  'rfc4475/multi01.dat': 'INVITE', 'rfc4475/ltgtruri.dat': 'INVITE', 'rfc4475/escruri.dat': 'INVITE',
  'rfc4475/regbadct.dat': 'REGISTER', 'rfc4475/badbranch.dat': 'OPTIONS', 'rfc4475/insuf.dat': 'INVITE',
  'rfc4475/clerr.dat': '!body-truncated', 'rfc4475/ncl.dat': '!content-length-invalid',
  'rfc4475/mcl01.dat': '!content-length-duplicate', 'rfc4475/badvers.dat': 'OPTIONS',
  'rfc4475/unkscm.dat': 'OPTIONS', 'rfc4475/novelsc.dat': 'OPTIONS', 'rfc4475/bext01.dat': 'OPTIONS',
  'rfc4475/lwsstart.dat': 'INVITE', 'rfc4475/trws.dat': 'OPTIONS', 'rfc4475/cparam01.dat': 'REGISTER',
  'rfc4475/cparam02.dat': 'REGISTER', 'rfc4475/regescrt.dat': 'REGISTER', 'rfc4475/regaut01.dat': 'REGISTER',
  'rfc4475/unksm2.dat': 'REGISTER', 'rfc4475/invut.dat': 'INVITE', 'rfc4475/sdp01.dat': 'INVITE',
  'rfc4475/inv2543.dat': 'INVITE', 'rfc4475/test.dat': '!header-syntax', 'baddn-331.dat': '!no-empty-line',
  'rfc5118/ipv4-mapped-ipv6.dat': 'INVITE', 'rfc5118/ipv6-bad.dat': 'REGISTER',
  'rfc5118/ipv6-bug-abnf-3-colons.dat': 'OPTIONS', 'rfc5118/ipv6-correct-abnf-2-colons.dat': 'OPTIONS',
  'rfc5118/ipv6-good.dat': 'REGISTER', 'rfc5118/ipv6-in-sdp.dat': 'INVITE', 'rfc5118/mult-ip-in-header.dat': 'BYE',
  'rfc5118/mult-ip-in-sdp.dat': 'INVITE', 'rfc5118/port-ambiguous.dat': 'REGISTER',
  'rfc5118/port-unambiguous.dat': 'REGISTER', 'rfc5118/via-received-param-no-delim.dat': 'OPTIONS',
  'rfc5118/via-received-param-with-delim.dat': 'BYE',
};

const outcome = (r: SipMessage | ParseError): string | number =>
  r instanceof ParseError ? `!${r.reason}` : r.kind === 'request' ? r.method : r.status;

void t.test('every corpus message parses (or fails) as the table says', (t) => {
  for (const [file, want] of Object.entries(table)) t.equal(outcome(parseDatagram(load(file))), want, file);
  t.end();
});

void t.test('bodies are byte-exact slices of Content-Length bytes', (t) => {
  const m = parseDatagram(load('rfc4475/mpart01.dat')) as SipMessage;
  t.equal(m.body.length, 553);
  t.ok(m.body.includes(0), 'NUL bytes kept');
  const dbl = parseDatagram(load('rfc4475/dblreq.dat')) as SipMessage;
  t.equal(dbl.body.length, 0, 'dblreq: trailing bytes after Content-Length 0 ignored (§18.3)');
  const inv = parseDatagram(load('rfc4475/inv2543.dat')) as SipMessage;
  t.equal(inv.body.length, 105, 'no Content-Length over UDP: the body is the rest of the datagram');
  t.end();
});

void t.test('headers: folding, compact forms, case, lists split on commas outside quotes and <>', (t) => {
  const m = parseDatagram(load('rfc4475/wsinv.dat')) as SipMessage;
  t.equal(m.headers.first('to'), 'sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
  t.equal(m.headers.first('cseq'), '0009 INVITE');
  t.equal(m.headers.first('subject'), '', 's: is Subject, empty');
  t.equal(m.headers.all('via').length, 3);
  t.equal(m.headers.first('newfangledheader'), 'newfangled value continued newfangled value');
  t.equal(m.headers.first('m'), '"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33');
  const long = parseDatagram(load('rfc4475/longreq.dat')) as SipMessage;
  t.equal(long.headers.all('v').length, 34, 'Via, v, V :, via and every casing');
  const semi = parseDatagram(load('rfc4475/semiuri.dat')) as SipMessage;
  t.equal(semi.headers.all('accept').length, 6);
  t.same(semi.headers.fields('accept').length, 1);
  const esc = parseDatagram(load('rfc4475/escnull.dat')) as SipMessage;
  t.same(esc.headers.all('contact'), ['<sip:%00@host5.example.com>', '<sip:%00%00@host5.example.com>'], 'escnull: 2 contacts, %00 kept');
  t.same(esc.headers.all('date'), [], 'absent header');
  t.equal(esc.headers.first('date'), undefined);
  const names = parseDatagram(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCALL-id: 1\r\nV : SIP/2.0/UDP h\r\nX-Odd_Name: y\r\nCall-Id2: z\r\n\r\n')) as SipMessage;
  t.same([0, 1, 2, 3].map((i) => [names.headers.keyAt(i), names.headers.nameAt(i)]),
    [['call-id', 'CALL-id'], ['via', 'V'], ['x-odd_name', 'X-Odd_Name'], ['call-id2', 'Call-Id2']], 'keys folded, names as written');
  t.equal(names.headers.nameAt(4), '', 'past the end');
  t.end();
});

void t.test('start-line corners', (t) => {
  const p = (s: string): string | number => outcome(parseDatagram(Buffer.from(s)));
  t.equal(p('\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\n\r\n'), 'OPTIONS', 'leading CRLFs ignored (§7.5)');
  t.equal(p(''), '!empty');
  t.equal(p('\r\n'), '!empty');
  t.equal(p('OPT@ONS sip:a@b SIP/2.0\r\n\r\n'), '!start-line', 'method is a token');
  t.equal(p('OPTIONS sip:a@b SIP/2\r\n\r\n'), '!start-line', 'version shape');
  t.equal(p('OPTIONS sip:a@b\r\n\r\n'), '!start-line');
  t.equal(p('SIP/2.0 200\r\n\r\n'), 200, 'no reason phrase');
  t.equal(p('SIP/2.0 2000 OK\r\n\r\n'), '!status-code');
  t.equal(p('SIP/2.0 099 OK\r\n\r\n'), '!status-code');
  t.equal(p('SIP/2.0 700 OK\r\n\r\n'), '!status-code');
  t.equal(p('SIP/2.0 20x OK\r\n\r\n'), '!status-code');
  t.equal(p('SIP/2.0\r\n\r\n'), '!start-line');
  t.equal(p('SIP/X 200 OK\r\n\r\n'), '!start-line');
  t.equal(p('OPTIONS sip:a@b SIP/2.0 x\r\n\r\n'), '!start-line', 'four parts');
  t.equal(p('OPTIÖNS sip:a@b SIP/2.0\r\n\r\n'), '!start-line', 'a non-ASCII method is not a token');
  t.match(parseDatagram(Buffer.from('  OPTIONS   sip:ä@b  sip/2.0  \r\n\r\n')), { method: 'OPTIONS', uri: 'sip:ä@b', version: 'SIP/2.0' }, 'runs of SP; UTF-8 URI; version case');
  t.match(parseDatagram(Buffer.from('OPTION sip:a@b SIP/2.0\r\n\r\n')), { method: 'OPTION' }, 'a prefix of a known method');
  t.match(parseDatagram(Buffer.from('SUBSCRIBE sip:a@b SIP/2.0\r\n\r\n')), { method: 'SUBSCRIBE' });
  const r = parseDatagram(Buffer.from('sip/2.0 180 Ringing\r\nl: 0\r\n\r\n'));
  t.match(r, { kind: 'response', version: 'SIP/2.0', status: 180, reason: 'Ringing' });
  t.end();
});

void t.test('header-section corners', (t) => {
  const p = (s: string): string | number => outcome(parseDatagram(Buffer.from(s)));
  t.equal(p('OPTIONS sip:a@b SIP/2.0\r\n folded: x\r\n\r\n'), '!header-syntax', 'continuation without a field');
  t.equal(p('OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n'), '!header-syntax', 'empty name');
  t.equal(p('OPTIONS sip:a@b SIP/2.0\r\nA: x\ry\r\n\r\n'), '!header-syntax', 'CR without LF');
  t.equal(p('OPTIONS sip:a@b SIP/2.0\r\nl: \r\n\r\n'), '!content-length-invalid', 'empty Content-Length');
  t.equal(p('OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999\r\n\r\n'), '!content-length-invalid');
  t.equal(p('OPTIONS sip:a@b SIP/2.0\r\nl: x\r\nl: 0\r\nl: 1\r\n\r\n'), '!content-length-invalid', 'the first problem is kept');
  t.equal(p('OPTIONS sip:a@b SIP/2.0\r\nA:\r\n\tb\r\nl: 3\r\n\r\nabc'), 'OPTIONS');
  const m = parseDatagram(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nA:\r\n\tb  \r\nB: c\t\r\n\r\n')) as SipMessage;
  t.equal(m.headers.first('a'), 'b', 'fold right after the colon is skipped, trailing WS trimmed');
  t.equal(m.headers.first('b'), 'c');
  const err = parseDatagram(load('rfc4475/ncl.dat')) as ParseError;
  t.equal(err.isResponse, false);
  t.equal(err.headers?.first('call-id'), 'ncl.0ha0isndaksdj2193423r542w35', 'headers kept for a 400');
  const rerr = parseDatagram(Buffer.from('SIP/2.0 200 OK\r\nl: 5\r\n\r\nab')) as ParseError;
  t.match(rerr, { reason: 'body-truncated', isResponse: true });
  const nb = parseDatagram(Buffer.from('SIP/2.0 200 OK\r\nl: 0')) as ParseError;
  t.match(nb, { reason: 'no-empty-line', isResponse: true });
  const bad = parseDatagram(Buffer.from('SIP/2.0 2000 OK\r\nl: 0')) as ParseError;
  t.match(bad, { reason: 'no-empty-line', isResponse: true });
  t.end();
});

void t.test('head helpers', (t) => {
  const b = Buffer.from('\r\n\r\nX\r\n\r\n');
  t.equal(skipLeadingCrlf(b, 0, b.length), 4);
  t.equal(findHeadEnd(b, 4, b.length), 5);
  t.equal(findHeadEnd(b, 4, 8), -1, 'not within end');
  const head = parseHead(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), 0, 14);
  t.match(head, { contentLength: undefined, bodyStart: 18 });
  t.end();
});
