// The names a WebSocket client goes by (RFC 7118 §5.2): the hosts of its top Via and first Contact.
import t from 'tap';
import { flowAliases } from '../../../../gateway/sip/flow-aliases.ts';
import { parseDatagram } from '../../../../gateway/sip/parser.ts';
import type { SipRequest } from '../../../../gateway/sip/message.ts';

function req(...headers: string[]): SipRequest {
  const m = parseDatagram(Buffer.from(['SUBSCRIBE sip:bob@gw.test SIP/2.0', ...headers, 'Content-Length: 0', '', ''].join('\r\n')));
  if (!('kind' in m) || m.kind !== 'request') throw new Error('fixture does not parse');
  return m;
}

void t.test('the Via sent-by host and the Contact host are aliases, lower-cased and once each', (t) => {
  t.same(flowAliases(req('Via: SIP/2.0/WS AbC.invalid;branch=z9hG4bK1', 'Contact: <sip:x@def.INVALID;transport=ws>')), ['abc.invalid', 'def.invalid']);
  t.same(flowAliases(req('Via: SIP/2.0/WS abc.invalid;branch=z9hG4bK1', 'Contact: "A" <sips:x@ABC.invalid;transport=ws>;expires=60')), ['abc.invalid'], 'same host once');
  t.same(flowAliases(req('v: SIP/2.0/WSS a.invalid, SIP/2.0/UDP proxy.example', 'm: sip:x@b.invalid, sip:y@c.invalid')), ['a.invalid', 'b.invalid'], 'top Via and first Contact only; compact names');
  t.end();
});

void t.test('what does not parse gives no alias', (t) => {
  t.same(flowAliases(req()), [], 'no Via, no Contact');
  t.same(flowAliases(req('Via: garbage', 'Contact: *')), [], 'bad Via, wildcard Contact');
  t.same(flowAliases(req('Via: SIP/2.0/WS a.invalid', 'Contact: <tel:+15551234>')), ['a.invalid'], 'a non-SIP Contact URI');
  t.same(flowAliases(req('Via: SIP/2.0/WS a.invalid', 'Contact: <sip:x@[::1>')), ['a.invalid'], 'a Contact that does not parse');
  t.end();
});
