// Our requests' bytes: field order, the defaults the caller can override, Content-Length in bytes.
import t from 'tap';
import { writeRequest } from '../../../../gateway/sip/request-writer.ts';
import type { RequestParts } from '../../../../gateway/sip/request-writer.ts';
import { parseDatagram } from '../../../../gateway/sip/parser.ts';
import { ParseError } from '../../../../gateway/sip/parse-error.ts';

const parts: RequestParts = {
  method: 'NOTIFY', viaPrefix: 'SIP/2.0/UDP 127.0.0.1:5060;branch=', branch: 'z9hG4bKabc', contact: '<sip:parley@127.0.0.1:5060>',
  fromTag: 'f1', callId: 'c1@parley', cseq: 7, userAgent: 'Parley',
};

void t.test('a minimal request: Via with rport, Max-Forwards 70, our User-Agent, Content-Length 0', (t) => {
  const out = writeRequest({ method: 'OPTIONS', requestUri: 'sip:bob@b.test', from: { uri: 'sip:a@a.test' }, to: { uri: 'sip:bob@b.test' } }, { ...parts, method: 'OPTIONS' });
  t.equal(out.toString(), 'OPTIONS sip:bob@b.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport\r\nMax-Forwards: 70\r\n'
    + 'From: <sip:a@a.test>;tag=f1\r\nTo: <sip:bob@b.test>\r\nCall-ID: c1@parley\r\nCSeq: 7 OPTIONS\r\nUser-Agent: Parley\r\nContent-Length: 0\r\n\r\n');
  t.end();
});

void t.test('an in-dialog request with everything: display name escaped, routes, contact, the caller\'s fields and body', (t) => {
  const body = Buffer.from('<presence>é</presence>');
  const out = writeRequest({
    method: 'NOTIFY', requestUri: 'sip:w@w.test', from: { uri: 'sip:bob@x.test', displayName: 'Bob "B" \\ X' }, to: { uri: 'sip:w@w.test' },
    toTag: 't9', route: ['<sip:p1;lr>', '<sip:p2;lr>'], contact: true,
    headers: [['Event', 'presence'], ['content-length', '1'], ['User-Agent', 'Mine'], ['Content-Length', '2']], body,
  }, parts);
  t.equal(out.toString('utf8'), 'NOTIFY sip:w@w.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;rport\r\nMax-Forwards: 70\r\n'
    + 'From: "Bob \\"B\\" \\\\ X" <sip:bob@x.test>;tag=f1\r\nTo: <sip:w@w.test>;tag=t9\r\nCall-ID: c1@parley\r\nCSeq: 7 NOTIFY\r\n'
    + 'Route: <sip:p1;lr>\r\nRoute: <sip:p2;lr>\r\nContact: <sip:parley@127.0.0.1:5060>\r\n'
    + `Event: presence\r\ncontent-length: ${body.length}\r\nUser-Agent: Mine\r\n\r\n<presence>é</presence>`);
  const parsed = parseDatagram(out);
  t.equal(parsed instanceof ParseError ? parsed.detail : parsed.body.toString(), '<presence>é</presence>', 'parses back with its body');
  t.end();
});
