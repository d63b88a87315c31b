import t from 'tap';
import type { AddressingOptions } from '../../../translators/address.ts';
import {
  ACCEPTED_CONTENT_TYPES, STANZAS_NS, singleLanguage, sipMessageToXmpp, xmlCanCarry, xmppErrorForSipFailure, xmppErrorReply, xmppMessageToSip,
  type SipMessageInput,
} from '../../../translators/message.ts';
import { el } from '../../../translators/xml.ts';

const direct: AddressingOptions = { addressing: 'direct' };
const escaped: AddressingOptions = { addressing: 'escaped', gatewayDomain: 'sip.xmpp.example' };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function sipIn(over: Partial<SipMessageInput> = {}): SipMessageInput {
  return { requestUri: 'sip:bob@xmpp.example', from: 'sip:alice@corp.example', to: 'sip:bob@xmpp.example', contentType: 'text/plain;charset=UTF-8', body: enc('hello'), id: 'm1', ...over };
}

// ---- SIP → XMPP
void t.test('SIP → XMPP: a text/plain MESSAGE becomes <message type=chat> to the Request-URI user, from the From user (RFC 7572)', (t) => {
  const r = sipMessageToXmpp(sipIn({ to: 'sip:someone-else@xmpp.example' }), direct);
  t.same(r, { ok: true, value: { stanza: el('message', { type: 'chat', from: 'alice@corp.example', to: 'bob@xmpp.example', id: 'm1' }, el('body', {}, 'hello')) } });
  t.end();
});

void t.test('SIP → XMPP (escaped): the From user appears under the gateway domain; the XMPP user stays direct', (t) => {
  const r = sipMessageToXmpp(sipIn(), escaped);
  t.ok(r.ok);
  if (r.ok) t.same(r.value.stanza.attrs, { type: 'chat', from: 'alice%corp.example@sip.xmpp.example', to: 'bob@xmpp.example', id: 'm1' });
  t.end();
});

void t.test('SIP → XMPP: Content-Language gives xml:lang and Subject gives <subject>', (t) => {
  const r = sipMessageToXmpp(sipIn({ contentLanguage: 'de-CH', subject: 'Grüezi' }), direct);
  t.ok(r.ok);
  if (r.ok) t.same(r.value.stanza, el('message', { type: 'chat', from: 'alice@corp.example', to: 'bob@xmpp.example', id: 'm1', 'xml:lang': 'de-CH' }, el('subject', {}, 'Grüezi'), el('body', {}, 'hello')));
  t.end();
});

void t.test('SIP → XMPP: a Content-Language list or junk gives no xml:lang (ours)', (t) => {
  for (const l of ['en, de', 'x y', '']) {
    const r = sipMessageToXmpp(sipIn({ contentLanguage: l }), direct);
    t.ok(r.ok && r.value.stanza.attrs['xml:lang'] === undefined, l);
  }
  t.end();
});

void t.test('SIP → XMPP: an empty Subject gives no <subject>', (t) => {
  const r = sipMessageToXmpp(sipIn({ subject: '' }), direct);
  t.ok(r.ok && r.value.stanza.children.length === 1);
  t.end();
});

const VERBATIM: [string, string][] = [
  ['emoji 😀👍🏽', 'emoji and skin-tone modifiers'],
  ['中文 日本語 한국어', 'CJK text'],
  ['e\u0301 (decomposed) é (composed)', 'combining marks: no normalisation'],
  ['\ufeffBOM first', 'a leading byte order mark'],
  ['  spaced  \r\n\ttabbed\n', 'leading/trailing whitespace, CRLF and tabs'],
  ['<b>&amp;</b>', 'markup-looking text (escaping is the XMPP edge\'s job)'],
];
for (const [body, what] of VERBATIM) {
  void t.test(`SIP → XMPP: the body text is byte-identical: ${what}`, (t) => {
    const r = sipMessageToXmpp(sipIn({ body: enc(body) }), direct);
    t.ok(r.ok);
    if (r.ok) t.same(r.value.stanza.children.at(-1), el('body', {}, body));
    t.end();
  });
}

const CHARSETS: [string | undefined, boolean, string][] = [
  ['text/plain', true, 'text/plain without charset is read as UTF-8'],
  ['text/plain; charset=us-ascii', true, 'text/plain;charset=us-ascii is accepted'],
  ['TEXT/PLAIN; CHARSET="UTF-8"', true, 'type and charset compare case-insensitively'],
];
for (const [ct, good, rule] of CHARSETS) {
  void t.test(`SIP → XMPP: ${rule}`, (t) => {
    t.equal(sipMessageToXmpp(sipIn({ contentType: ct }), direct).ok, good);
    t.end();
  });
}

const REFUSED: [Partial<SipMessageInput>, string, string, string][] = [
  [{ contentType: 'text/html' }, 'unsupported-media', 'Content-Type not supported', 'text/html is refused with 415'],
  [{ contentType: 'multipart/alternative;boundary=x' }, 'unsupported-media', 'Content-Type not supported', 'multipart/* is refused with 415'],
  [{ contentType: 'text/plain;charset=iso-8859-1' }, 'unsupported-media', 'charset not supported: use UTF-8', 'a charset other than UTF-8/US-ASCII is refused with 415'],
  [{ contentType: undefined }, 'unsupported-media', 'Content-Type missing or malformed', 'a body without Content-Type is refused with 415 (RFC 3261 §20.15)'],
  [{ contentType: 'garbage' }, 'unsupported-media', 'Content-Type missing or malformed', 'a malformed Content-Type is refused with 415'],
  [{ body: Uint8Array.from([0x68, 0xc3, 0x28]) }, 'bad-request', 'body is not valid UTF-8', 'a body that is not UTF-8 is refused with 400'],
  [{ body: Uint8Array.from([0xed, 0xa0, 0x80]) }, 'bad-request', 'body is not valid UTF-8', 'an encoded surrogate (CESU-8) is not UTF-8'],
  [{ contentType: 'text/plain;charset=us-ascii', body: enc('é') }, 'bad-request', 'body is not valid US-ASCII', 'a us-ascii body with 8-bit bytes is refused with 400'],
  [{ body: enc('a\u0000b') }, 'bad-request', 'body contains characters XMPP cannot carry', 'a NUL in the body is refused, never altered (ours)'],
  [{ body: enc('bell\u0007') }, 'bad-request', 'body contains characters XMPP cannot carry', 'a control character XML 1.0 cannot carry is refused (ours)'],
  [{ body: enc('\uffff') }, 'bad-request', 'body contains characters XMPP cannot carry', 'U+FFFF is refused (ours)'],
  [{ body: new Uint8Array(0) }, 'bad-request', 'the MESSAGE has no body', 'an empty MESSAGE is refused with 400 (ours)'],
  [{ subject: 'a\u0001' }, 'bad-request', 'subject contains characters XMPP cannot carry', 'a Subject XML cannot carry is refused (ours)'],
  [{ requestUri: 'tel:+1555' }, 'unsupported-uri-scheme', 'the URI scheme is not sip, sips, pres or im', 'an unknown Request-URI scheme is refused with 416'],
  [{ from: 'sip:%20x@corp.example' }, 'address-malformed', 'a leading or trailing space cannot be escaped (XEP-0106)', 'an unmappable From is refused with 400'],
];
for (const [over, code, detail, rule] of REFUSED) {
  void t.test(`SIP → XMPP: ${rule}`, (t) => {
    t.same(sipMessageToXmpp(sipIn(over), direct), { ok: false, error: { code, detail } });
    t.end();
  });
}

void t.test('SIP → XMPP: the Accept list of a 415 names text/plain and message/cpim (RFC 3261 §21.4.13)', (t) => {
  t.same([...ACCEPTED_CONTENT_TYPES], ['text/plain', 'message/cpim']);
  t.end();
});

const cpim = (mime: string, content: string): Uint8Array => enc(`From: <im:alice@corp.example>\r\nTo: <im:bob@xmpp.example>\r\nDateTime: 2026-11-02T10:00:00Z\r\n\r\n${mime}\r\n${content}`);

void t.test('SIP → XMPP: message/cpim is unwrapped to its inner text/plain, headers kept for later (RFC 3862)', (t) => {
  const r = sipMessageToXmpp(sipIn({ contentType: 'message/cpim', body: cpim('Content-Type: text/plain;charset=utf-8\r\nContent-Language: fr\r\n', 'salut 😀\r\n') }), direct);
  t.ok(r.ok);
  if (r.ok) {
    t.same(r.value.stanza, el('message', { type: 'chat', from: 'alice@corp.example', to: 'bob@xmpp.example', id: 'm1', 'xml:lang': 'fr' }, el('body', {}, 'salut 😀\r\n')));
    t.same(r.value.cpimHeaders, [['From', '<im:alice@corp.example>'], ['To', '<im:bob@xmpp.example>'], ['DateTime', '2026-11-02T10:00:00Z']]);
  }
  t.end();
});

void t.test('SIP → XMPP: message/cpim without inner Content-Type is text/plain (RFC 2045 §5.2)', (t) => {
  const r = sipMessageToXmpp(sipIn({ contentType: 'message/cpim', body: cpim('', 'plain') }), direct);
  t.ok(r.ok && r.value.stanza.attrs['xml:lang'] === undefined);
  t.end();
});

void t.test('SIP → XMPP: an inner 8bit Content-Transfer-Encoding is accepted', (t) => {
  t.ok(sipMessageToXmpp(sipIn({ contentType: 'message/cpim', body: cpim('Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n', 'x') }), direct).ok);
  t.end();
});

const CPIM_REFUSED: [Uint8Array, string, string][] = [
  [enc('From: a\r\n'), 'bad-request', 'a malformed message/cpim body is refused with 400'],
  [cpim('Content-Type: text/html\r\n', '<p>x</p>'), 'unsupported-media', 'a message/cpim wrapping text/html is refused with 415'],
  [cpim('Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n', 'aGk='), 'unsupported-media', 'a base64 transfer encoding inside CPIM is refused with 415 (ours)'],
  [cpim('Content-Type: text/plain\r\n', ''), 'bad-request', 'a message/cpim with empty content is refused with 400'],
  [Uint8Array.from([...cpim('Content-Type: text/plain\r\n', ''), 0xff]), 'bad-request', 'message/cpim content that is not UTF-8 is refused with 400'],
];
for (const [body, code, rule] of CPIM_REFUSED) {
  void t.test(`SIP → XMPP: ${rule}`, (t) => {
    const r = sipMessageToXmpp(sipIn({ contentType: 'message/cpim', body }), direct);
    t.equal(r.ok ? undefined : r.error.code, code);
    t.end();
  });
}

// ---- XMPP → SIP
const msg = (attrs: Record<string, string>, ...kids: Parameters<typeof el>[2][]) =>
  el('message', { from: 'bob@xmpp.example/phone', to: 'alice@corp.example', id: 'x1', ...attrs }, ...kids);

void t.test('XMPP → SIP: a chat message becomes a MESSAGE with text/plain;charset=UTF-8 and a UTF-8 body (RFC 7572)', (t) => {
  const r = xmppMessageToSip(msg({ type: 'chat' }, el('body', {}, 'hi 😀')), direct);
  t.ok(r.ok && !('ignore' in r.value));
  if (r.ok && !('ignore' in r.value)) {
    const v = r.value;
    t.equal(v.requestUri, 'sip:alice@corp.example');
    t.equal(v.to, 'sip:alice@corp.example');
    t.equal(v.from, 'sip:bob@xmpp.example', 'the From is the bare JID of the XMPP sender');
    t.same(v.headers, [['Content-Type', 'text/plain;charset=UTF-8']]);
    t.same(v.body, enc('hi 😀'));
    t.equal(v.body.byteLength, 7, 'the length is counted in bytes');
    t.equal(v.type, 'chat');
    t.equal(v.id, 'x1');
    t.equal(v.thread, undefined);
  }
  t.end();
});

void t.test('XMPP → SIP (escaped): user%sipdomain@gateway is the Request-URI and To; a resource becomes gr in the Request-URI only', (t) => {
  const r = xmppMessageToSip(msg({ to: 'alice%corp.example@sip.xmpp.example/6c' }, el('body', {}, 'x')), escaped);
  t.ok(r.ok && !('ignore' in r.value));
  if (r.ok && !('ignore' in r.value)) {
    t.equal(r.value.requestUri, 'sip:alice@corp.example;gr=3663');
    t.equal(r.value.to, 'sip:alice@corp.example');
  }
  t.end();
});

void t.test('XMPP → SIP: xml:lang gives Content-Language, <subject> gives Subject, <thread> is returned', (t) => {
  const r = xmppMessageToSip(msg({ 'xml:lang': 'en' }, el('subject', {}, 'line1\r\nline2'), el('body', {}, 'x'), el('thread', {}, 'th-1')), direct);
  t.ok(r.ok && !('ignore' in r.value));
  if (r.ok && !('ignore' in r.value)) {
    t.same(r.value.headers, [['Content-Type', 'text/plain;charset=UTF-8'], ['Content-Language', 'en'], ['Subject', 'line1 line2']], 'a line break in a subject becomes one space (ours)');
    t.equal(r.value.thread, 'th-1');
    t.equal(r.value.type, 'normal', 'no type is normal (RFC 6121 §5.2.2)');
  }
  t.end();
});

const PICK: [Record<string, string>, XmlElementLike[], string, string | undefined, string][] = [
  [{ 'xml:lang': 'de' }, [['en', 'hello'], ['de', 'hallo']], 'hallo', 'de', 'several bodies: the one in the stanza language is sent'],
  [{ 'xml:lang': 'de' }, [['en', 'hello'], [undefined, 'hallo']], 'hallo', 'de', 'several bodies: a body without xml:lang is in the stanza language'],
  [{ 'xml:lang': 'fr' }, [['en', 'hello'], ['de', 'hallo']], 'hello', 'en', 'several bodies: none matching, the first is sent with its own language'],
  [{}, [['en', 'hello'], ['DE', 'hallo']], 'hello', 'en', 'several bodies, no stanza language: the first'],
  [{ 'xml:lang': 'DE' }, [['en', 'hello'], ['de', 'hallo']], 'hallo', 'de', 'language tags compare case-insensitively'],
];
type XmlElementLike = [string | undefined, string];
for (const [attrs, bodies, sent, lang, rule] of PICK) {
  void t.test(`XMPP → SIP: ${rule} (MAPPINGS §3 (?))`, (t) => {
    const r = xmppMessageToSip(msg(attrs, ...bodies.map(([l, s]) => el('body', { 'xml:lang': l }, s))), direct);
    t.ok(r.ok && !('ignore' in r.value));
    if (r.ok && !('ignore' in r.value)) {
      t.equal(dec(r.value.body), sent);
      t.same(r.value.headers.find(([h]) => h === 'Content-Language')?.[1], lang);
    }
    t.end();
  });
}

void t.test('XMPP → SIP: a body in a foreign namespace is not the message body', (t) => {
  const r = xmppMessageToSip(msg({}, el('body', { xmlns: 'http://www.w3.org/1999/xhtml' }, 'x'), el('body', { xmlns: 'jabber:component:accept' }, 'y')), direct);
  t.ok(r.ok && !('ignore' in r.value) && dec(r.value.body) === 'y');
  t.end();
});

void t.test('XMPP → SIP: a malformed xml:lang gives no Content-Language', (t) => {
  const r = xmppMessageToSip(msg({ 'xml:lang': 'not a tag' }, el('body', {}, 'x')), direct);
  t.ok(r.ok && !('ignore' in r.value) && r.value.headers.length === 1);
  t.end();
});

void t.test('XMPP → SIP: headline is sent and marked as expecting no reply', (t) => {
  const r = xmppMessageToSip(msg({ type: 'headline' }, el('body', {}, 'x')), direct);
  t.ok(r.ok && !('ignore' in r.value) && r.value.type === 'headline');
  t.end();
});

void t.test('XMPP → SIP: an unknown type is read as normal (RFC 6121 §5.2.2)', (t) => {
  const r = xmppMessageToSip(msg({ type: 'bogus' }, el('body', {}, 'x')), direct);
  t.ok(r.ok && !('ignore' in r.value) && r.value.type === 'normal');
  t.end();
});

const IGNORED: [ReturnType<typeof msg>, string, string][] = [
  [msg({ type: 'chat' }, el('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })), 'no body', 'a message without <body> (a chat state) is ignored for now'],
  [msg({}, el('body', {})), 'empty body', 'an empty <body/> is ignored'],
  [msg({ type: 'error' }, el('body', {}, 'x')), 'error stanza', 'an error stanza is not a message to send'],
];
for (const [stanza, reason, rule] of IGNORED) {
  void t.test(`XMPP → SIP: ${rule}`, (t) => {
    t.same(xmppMessageToSip(stanza, direct), { ok: true, value: { ignore: reason } });
    t.end();
  });
}

const XMPP_REFUSED: [ReturnType<typeof msg>, AddressingOptions, string, string][] = [
  [msg({ type: 'groupchat' }, el('body', {}, 'x')), direct, 'groupchat-unsupported', 'groupchat is refused with feature-not-implemented'],
  [el('message', { to: 'alice@corp.example' }, el('body', {}, 'x')), direct, 'address-malformed', 'a message without from is refused'],
  [el('message', { from: 'bob@xmpp.example' }, el('body', {}, 'x')), direct, 'address-malformed', 'a message without to is refused'],
  [msg({ to: 'a b@corp.example' }, el('body', {}, 'x')), direct, 'address-malformed', 'an invalid to JID is refused'],
  [msg({ from: '@xmpp.example' }, el('body', {}, 'x')), direct, 'address-malformed', 'an invalid from JID is refused'],
  [msg({ to: 'alice%corp.example@elsewhere.example' }, el('body', {}, 'x')), escaped, 'unknown-domain', 'a to JID outside the gateway domain is refused'],
  [msg({ to: 'alice@sip.xmpp.example/r' }, el('body', {}, 'x')), escaped, 'address-malformed', 'a to JID naming no SIP domain is refused'],
  [msg({ to: 'alice@bücher.example' }, el('body', {}, 'x')), direct, 'address-malformed', 'a to JID with an IDN domain cannot be written in SIP (ours)'],
  [msg({ from: 'bob@bücher.example' }, el('body', {}, 'x')), direct, 'address-malformed', 'a from JID with an IDN domain cannot be written in SIP (ours)'],
  [msg({}, el('body', {}, 'lone \ud800 surrogate')), direct, 'bad-request', 'a body UTF-8 cannot carry (lone surrogate) is refused, never replaced'],
];
for (const [stanza, mode, code, rule] of XMPP_REFUSED) {
  void t.test(`XMPP → SIP: ${rule}`, (t) => {
    const r = xmppMessageToSip(stanza, mode);
    t.equal(r.ok ? undefined : r.error.code, code);
    t.end();
  });
}

// ---- errors back to XMPP
const original = msg({ type: 'chat' }, el('body', {}, 'hi'));
const SIP_FAILURES: [number, string, string][] = [
  [480, 'wait', 'recipient-unavailable'],
  [404, 'cancel', 'item-not-found'],
  [403, 'auth', 'forbidden'],
  [503, 'cancel', 'service-unavailable'],
  [302, 'modify', 'redirect'],
  [599, 'cancel', 'internal-server-error'],
];
for (const [status, type, condition] of SIP_FAILURES) {
  void t.test(`a SIP ${status} to a MESSAGE comes back as <message type=error> with ${condition}/${type}, addresses swapped, same id (RFC 7247 §7.2)`, (t) => {
    t.same(xmppErrorForSipFailure(original, status), el('message', { type: 'error', from: 'alice@corp.example', to: 'bob@xmpp.example/phone', id: 'x1' },
      el('error', { type }, el(condition, { xmlns: STANZAS_NS }))));
    t.end();
  });
}

void t.test('an error for a message without id carries no id', (t) => {
  t.equal(xmppErrorForSipFailure(el('message', { from: 'a@b', to: 'c@d' }), 500).attrs.id, undefined);
  t.end();
});

void t.test('a gateway refusal comes back with the registry condition and a <text> naming the cause', (t) => {
  t.same(xmppErrorReply(original, 'rate-limited', 'rate limit of agreement p1 exceeded'), el('message', { type: 'error', from: 'alice@corp.example', to: 'bob@xmpp.example/phone', id: 'x1' },
    el('error', { type: 'modify' }, el('policy-violation', { xmlns: STANZAS_NS }), el('text', { xmlns: STANZAS_NS, 'xml:lang': 'en' }, 'rate limit of agreement p1 exceeded'))));
  t.end();
});

void t.test('a gateway refusal without text uses the registry text', (t) => {
  const e = xmppErrorReply(original, 'groupchat-unsupported');
  t.same(e.children[0], el('error', { type: 'cancel' }, el('feature-not-implemented', { xmlns: STANZAS_NS }), el('text', { xmlns: STANZAS_NS, 'xml:lang': 'en' }, 'Group chat is not supported by the gateway')));
  t.end();
});

// ---- helpers
void t.test('xmlCanCarry(): tab, LF, CR and astral characters yes; other C0 controls, U+FFFE and lone surrogates no', (t) => {
  t.ok(xmlCanCarry('\t\n\r😀\u{10FFFD}'));
  for (const c of ['\u0001', '\u000b', '\u000c', '\u001f', '\ufffe', '\udc00']) t.notOk(xmlCanCarry(c), JSON.stringify(c));
  t.end();
});

void t.test('singleLanguage(): one tag yes, lists and absence no', (t) => {
  t.equal(singleLanguage(' en-GB '), 'en-GB');
  t.equal(singleLanguage('en,fr'), undefined);
  t.equal(singleLanguage(undefined), undefined);
  t.end();
});
