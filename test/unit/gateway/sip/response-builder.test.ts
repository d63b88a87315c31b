// Responses to requests (RFC 3261 §8.2.6): writeResponse() writes exactly what serialize() makes of
// buildResponse(), over every request of the torture corpus and the options a transaction uses.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildResponse, reasonPhrase, writeResponse } from '../../../../gateway/sip/response-builder.ts';
import type { ResponseOptions } from '../../../../gateway/sip/response-builder.ts';
import { serialize } from '../../../../gateway/sip/serializer.ts';
import { parseDatagram } from '../../../../gateway/sip/parser.ts';
import { ParseError } from '../../../../gateway/sip/parse-error.ts';
import type { SipHeaders } from '../../../../gateway/sip/headers.ts';
import type { SipRequest } from '../../../../gateway/sip/message.ts';

function request(text: string): SipRequest {
  const m = parseDatagram(Buffer.from(text));
  if (m instanceof ParseError || m.kind !== 'request') throw new Error(`not a request: ${text}`);
  return m;
}

const dir = join(import.meta.dirname, '../../../../fixtures/sip');

/** The requests of the corpus (and the headers of those that do not parse but can be answered). */
function corpus(): Array<{ name: string; headers: SipHeaders }> {
  const out: Array<{ name: string; headers: SipHeaders }> = [];
  for (const d of ['rfc4475', 'rfc5118']) {
    for (const f of readdirSync(join(dir, d))) {
      const m = parseDatagram(readFileSync(join(dir, d, f)));
      if (m instanceof ParseError) {
        if (m.headers !== undefined && !m.isResponse) out.push({ name: `${d}/${f} (unparseable)`, headers: m.headers });
      } else if (m.kind === 'request') {
        out.push({ name: `${d}/${f}`, headers: m.headers });
      }
    }
  }
  return out;
}

const CASES: Array<{ status: number; opts: ResponseOptions }> = [
  { status: 100, opts: { toTag: 'a1' } },
  { status: 200, opts: { toTag: 'b2' } },
  { status: 200, opts: { toTag: 'c3', toHasTag: false, server: 'Parley' } },
  { status: 202, opts: { toTag: 'd4', toHasTag: true, server: 'Parley €' } },
  { status: 405, opts: { toTag: 'e5', headers: [['Allow', 'MESSAGE, OPTIONS']], server: 'Parley' } },
  { status: 200, opts: { toTag: 'f6', headers: [['Content-Type', 'text/plain']], body: Buffer.from('hé') } },
];

void t.test('writeResponse = serialize(buildResponse) for every corpus request', (t) => {
  const requests = corpus();
  t.ok(requests.length > 40, `${requests.length} requests`);
  for (const { name, headers } of requests) {
    for (const c of CASES) {
      const reason = reasonPhrase(c.status);
      const want = serialize(buildResponse(headers, c.status, reason, c.opts));
      const got = writeResponse(headers, c.status, reason, c.opts);
      // The received bytes are copied, where buildResponse decodes them: invalid UTF-8 in a copied
      // field is kept as it came (RFC 3261 §8.2.6.2: From, Call-ID, CSeq "MUST equal" the request's).
      if (!got.equals(want) && want.includes('\uFFFD')) t.ok(got.length < want.length, `${name} ${c.status}: raw bytes kept`);
      else t.ok(got.equals(want), `${name} ${c.status}`);
    }
  }
  t.end();
});

void t.test('a Content-Length among the extra fields takes the body length in its place, once', (t) => {
  const m = request('OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nf: <sip:x@y>;tag=1\r\nt: <sip:a@b>\r\ni: c1\r\nCSeq: 1 OPTIONS\r\n\r\n');
  const opts: ResponseOptions = { toTag: 'z', headers: [['Content-Length', '99'], ['X', '1'], ['l', '5']], body: Buffer.from('ok') };
  const got = writeResponse(m.headers, 200, 'OK', opts).toString();
  t.equal(got, 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=z\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 2\r\nX: 1\r\n\r\nok');
  t.equal(got, serialize(buildResponse(m.headers, 200, 'OK', opts)).toString());
  t.end();
});

void t.test('a changed top Via (received, rport) is written as changed', (t) => {
  const m = request('MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1;rport\r\nVia: SIP/2.0/UDP g;branch=z9hG4bK0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=9\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\n\r\n');
  m.headers.setValueAt(0, 'SIP/2.0/UDP h;branch=z9hG4bK1;rport=5060;received=127.0.0.1');
  t.equal(writeResponse(m.headers, 200, 'OK', { toTag: 'z' }).toString(),
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1;rport=5060;received=127.0.0.1\r\nVia: SIP/2.0/UDP g;branch=z9hG4bK0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=9\r\nCall-ID: c1\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n');
  t.end();
});

void t.test('reason phrases: the table, else OK below 300 and Error above', (t) => {
  t.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
  t.equal(reasonPhrase(299), 'OK');
  t.equal(reasonPhrase(499), 'Error');
  t.end();
});
