// received.ts: the received/rport stamp on the top Via (RFC 3261 §18.2.1, RFC 3581 §4) and where a
// response over UDP goes (§18.2.2, RFC 3581 §4), table-driven.
import t from 'tap';
import { responseDestination, stampVia } from '../../../../gateway/sip/received.ts';
import type { Peer } from '../../../../gateway/sip/transport.ts';
import { parseVia } from '../../../../gateway/sip/via.ts';
import type { Via } from '../../../../gateway/sip/via.ts';

function via(text: string): Via {
  const v = parseVia(text);
  if (!('transport' in v)) throw new Error(`bad test Via ${text}`);
  return v;
}

const source: Peer = { address: '192.0.2.7', port: 5072 };

void t.test('stampVia', (t) => {
  const cases: Array<[string, boolean, string]> = [
    // [top Via as received, forceRport, as stamped]
    ['SIP/2.0/UDP 192.0.2.7:5072;branch=z9hG4bK1', false, 'SIP/2.0/UDP 192.0.2.7:5072;branch=z9hG4bK1'],
    ['SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1', false, 'SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1;received=192.0.2.7'],
    ['SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1;received=10.0.0.1', false, 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1;received=192.0.2.7'],
    ['SIP/2.0/UDP 192.0.2.7:5072;rport;branch=z9hG4bK1', false, 'SIP/2.0/UDP 192.0.2.7:5072;rport=5072;branch=z9hG4bK1;received=192.0.2.7'],
    ['SIP/2.0/UDP 192.0.2.7:5072;branch=z9hG4bK1;rport', false, 'SIP/2.0/UDP 192.0.2.7:5072;branch=z9hG4bK1;rport=5072;received=192.0.2.7'],
    ['SIP/2.0/UDP 192.0.2.7:5072;branch=z9hG4bK1', true, 'SIP/2.0/UDP 192.0.2.7:5072;branch=z9hG4bK1;rport=5072;received=192.0.2.7'],
  ];
  for (const [text, force, stamped] of cases) t.equal(stampVia(text, via(text), source, force), stamped, text);
  t.end();
});

void t.test('responseDestination', (t) => {
  t.equal(responseDestination(undefined, source, false), source, 'no Via: the source');
  t.equal(responseDestination(via('SIP/2.0/UDP h;rport;branch=z9hG4bK1'), source, false), source, 'rport: the source');
  t.equal(responseDestination(via('SIP/2.0/UDP h;branch=z9hG4bK1'), source, true), source, 'forced rport: the source');
  t.equal(responseDestination(via('SIP/2.0/UDP h:5072;branch=z9hG4bK1'), source, false), source,
    'the sent-by port is the source port: the source object itself');
  t.same(responseDestination(via('SIP/2.0/UDP h:5090;branch=z9hG4bK1'), source, false), { address: '192.0.2.7', port: 5090 },
    'the received address and the sent-by port');
  t.same(responseDestination(via('SIP/2.0/UDP h;branch=z9hG4bK1'), source, false), { address: '192.0.2.7', port: 5060 },
    'no port: 5060');
  t.end();
});
