import t from 'tap';
import { el } from '../../../../translators/xml.ts';
import {
  NS_STREAM_ERRORS, handshake, handshakeDigest, streamError, streamErrorCondition, streamErrorText, streamOpen,
} from '../../../../gateway/xmpp/stream.ts';

void t.test('stream header for XEP-0114 §3, the domain escaped for a single-quoted attribute', (tt) => {
  tt.equal(streamOpen('gw.example'), "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='gw.example'>");
  tt.match(streamOpen("a'<&"), /to='a&apos;&lt;&amp;'>$/);
  tt.end();
});

void t.test('handshake = hex SHA-1(stream id + secret) (XEP-0114 §3 example)', (tt) => {
  // The XEP-0114 §3 example: stream id 3BF96D32, secret 'test' (also checked with sha1sum).
  tt.equal(handshakeDigest('3BF96D32', 'test'), 'aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e');
  tt.match(handshakeDigest('id', 's'), /^[0-9a-f]{40}$/);
  tt.equal(handshake('id', 's'), `<handshake>${handshakeDigest('id', 's')}</handshake>`);
  tt.end();
});

void t.test('stream error then stream close (RFC 6120 §4.9.1.1)', (tt) => {
  tt.equal(streamError('not-well-formed'), `<stream:error><not-well-formed xmlns='${NS_STREAM_ERRORS}'/></stream:error></stream:stream>`);
  tt.end();
});

void t.test('reading a received stream error: condition and text', (tt) => {
  const e = el('error', {}, el('text', { xmlns: NS_STREAM_ERRORS }, 'bye ', 'now'), el('system-shutdown', { xmlns: NS_STREAM_ERRORS }), el('app', { xmlns: 'urn:x' }));
  tt.equal(streamErrorCondition(e), 'system-shutdown');
  tt.equal(streamErrorText(e), 'bye now');
  tt.equal(streamErrorCondition(el('error', {}, 'junk')), 'undefined-condition');
  tt.equal(streamErrorText(el('error')), undefined);
  tt.end();
});
