// parseVia (RFC 3261 §20.42, §25.1; rport RFC 3581; IPv6 sent-by RFC 5118), table-driven: what each
// value parses to, and which values are refused.
import t from 'tap';
import { HeaderValueError } from '../../../../gateway/sip/header-value-error.ts';
import { parseVia } from '../../../../gateway/sip/via.ts';

void t.test('values that parse', (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1', { protocol: 'SIP', version: '2.0', transport: 'UDP', host: '127.0.0.1', ipv6: false, port: 5060, branch: 'z9hG4bK-1', received: undefined, rport: undefined }],
    ['sip/2.0/udp host.example', { protocol: 'SIP', transport: 'UDP', host: 'host.example', port: undefined }],
    ['SiP / 2.0 / tCp  h:0', { protocol: 'SIP', version: '2.0', transport: 'TCP', port: 0 }],
    ['SIP/2.0/TLS h', { transport: 'TLS' }],
    ['SIP/2.0/ws h', { transport: 'WS' }],
    ['SIP/2.0/wss h', { transport: 'WSS' }],
    ['SIP/2.0/sctp h', { transport: 'SCTP' }],
    ['SIP/2.0/quic h', { transport: 'QUIC' }],
    ['SIP/2.0/U-P h', { transport: 'U-P' }],
    ['xmpp/3.1/udp h', { protocol: 'XMPP', version: '3.1', transport: 'UDP' }],
    ['SIPS/2.0/UDP h', { protocol: 'SIPS' }],
    ['SIP/2.0/UDP [2001:db8::9:1]:5070;rport', { host: '2001:db8::9:1', ipv6: true, port: 5070, rport: true }],
    ['SIP/2.0/UDP h ; rport=5061 ; received=192.0.2.1', { rport: 5061, received: '192.0.2.1' }],
    ['SIP/2.0/UDP h : 65535', { port: 65535 }],
  ];
  for (const [text, want] of cases) {
    const v = parseVia(text);
    if (v instanceof HeaderValueError) {
      t.fail(`${text}: ${v.detail}`);
      continue;
    }
    for (const [k, value] of Object.entries(want)) t.equal(v[k as keyof typeof v], value, `${text}: ${k}`);
  }
  t.end();
});

void t.test('values refused', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /sent-protocol/],
    ['SIP', /sent-protocol/],
    ['SIP/', /sent-protocol/],
    ['SIP/2.0', /sent-protocol/],
    ['SIP/2.0/', /sent-protocol/],
    ['SIP/2.0/UDP', /without sent-by host/],
    ['SIP/2.0/UDP [2001:db8::1', /IPv6/],
    ['SIP/2.0/UDP [192.0.2.1]', /IPv6/],
    ['SIP/2.0/UDP [2001:db8::g]', /IPv6/],
    ['SIP/2.0/UDP h:65536', /port/],
    ['SIP/2.0/UDP h:123456', /port/],
    ['SIP/2.0/UDP h:', /port/],
    ['SIP/2.0/UDP h;rport=x', /rport/],
    ['SIP/2.0/UDP h;rport=99999', /rport/],
    ['SIP/2.0/UDP h;', /parameter/],
  ];
  for (const [text, detail] of cases) {
    const v = parseVia(text);
    t.ok(v instanceof HeaderValueError && detail.test(v.detail), `${text} refused (${v instanceof HeaderValueError ? v.detail : 'parsed'})`);
  }
  t.end();
});
