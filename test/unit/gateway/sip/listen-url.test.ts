// Listen addresses and next hops (RFC 3261 §18, §26.2.2 for sips:).
import t from 'tap';
import { parseListenUrl, targetOf } from '../../../../gateway/sip/listen-url.ts';
import { UriError } from '../../../../gateway/sip/uri.ts';

void t.test('listen URLs: the five transports, IPv4 and bracketed IPv6 literals', (t) => {
  t.same(parseListenUrl('udp://127.0.0.1:5060'), { transport: 'udp', host: '127.0.0.1', port: 5060, family: 4 });
  t.same(parseListenUrl('tls://[::1]:5061'), { transport: 'tls', host: '::1', port: 5061, family: 6 });
  t.same(parseListenUrl('ws://0.0.0.0:0'), { transport: 'ws', host: '0.0.0.0', port: 0, family: 4 });
  t.same(parseListenUrl('wss://127.0.0.1:8443').transport, 'wss');
  for (const bad of ['sctp://127.0.0.1:5060', 'tcp://localhost:5060', 'tcp://127.0.0.1:70000', 'tcp://999.1.1.1:5060', 'tcp://127.0.0.1']) {
    t.throws(() => parseListenUrl(bad), /invalid SIP listen address/, bad);
  }
  t.end();
});

void t.test('next hops: transport and port defaults by scheme; the URI host is the TLS name even with maddr', (t) => {
  t.same(targetOf('sip:bob@example.com'), { transport: 'udp', host: 'example.com', port: 5060, name: 'example.com' });
  t.same(targetOf('sips:bob@example.com'), { transport: 'tls', host: 'example.com', port: 5061, name: 'example.com' }, 'sips: means TLS on 5061');
  t.same(targetOf('sips:bob@example.com;transport=TCP'), { transport: 'tls', host: 'example.com', port: 5061, name: 'example.com' }, 'sips over tcp is TLS');
  t.same(targetOf('sip:p.example:5080;transport=tls'), { transport: 'tls', host: 'p.example', port: 5080, name: 'p.example' });
  t.same(targetOf('sip:bob@peer.test;maddr=127.0.0.1;transport=tcp'), { transport: 'tcp', host: '127.0.0.1', port: 5060, name: 'peer.test' });
  t.same(targetOf('sip:x@abc.invalid;transport=ws'), { transport: 'ws', host: 'abc.invalid', port: 5060, name: 'abc.invalid' });
  t.same(targetOf('sips:x@abc.invalid;transport=wss'), { transport: 'wss', host: 'abc.invalid', port: 5060, name: 'abc.invalid' });
  t.end();
});

void t.test('next hops that cannot be used are UriErrors', (t) => {
  for (const [uri, detail] of [
    ['tel:+15551234', /cannot send to a tel URI/],
    ['sip:bob@example.com;transport=sctp', /unsupported transport "sctp"/],
    ['sips:bob@example.com;transport=udp', /sips: URI cannot be sent over udp/],
    ['sips:bob@example.com;transport=ws', /sips: URI cannot be sent over ws/],
    ['not a uri', /scheme/],
  ] as const) {
    const r = targetOf(uri);
    t.ok(r instanceof UriError, uri);
    t.match((r as UriError).detail, detail, uri);
  }
  t.end();
});
