import t from 'tap';
import {
  DEFAULT_ERROR_TYPE, GATEWAY_ERRORS, SIP_TO_XMPP, STANZA_ERROR_CONDITIONS, XMPP_TO_SIP,
  gatewayError, isGatewayErrorCode, isXmppCondition, reasonPhrase, sipResponseFor, sipStatusToXmpp, xmppConditionToSip,
  type GatewayErrorCode,
} from '../../../translators/errors.ts';

// ---- (a) the registry
const REGISTRY: [GatewayErrorCode, number, string, string, string][] = [
  ['no-agreement', 403, 'auth', 'forbidden', 'a refusal for lack of agreement is 403 toward SIP and forbidden toward XMPP'],
  ['user-not-enabled', 403, 'auth', 'forbidden', 'a user not enabled is 403 / forbidden'],
  ['rate-limited', 403, 'modify', 'policy-violation', 'a per-agreement rate limit is 403 / policy-violation, never 503 (RFC 3261 §21.5.4)'],
  ['too-large', 413, 'modify', 'policy-violation', 'a message too large is 413 / policy-violation'],
  ['unsupported-media', 415, 'modify', 'bad-request', 'an unsupported body is 415 / bad-request'],
  ['bad-request', 400, 'modify', 'bad-request', 'a malformed request is 400 / bad-request'],
  ['address-malformed', 400, 'modify', 'jid-malformed', 'an unmappable address is 400 / jid-malformed'],
  ['unsupported-uri-scheme', 416, 'modify', 'bad-request', 'an unknown URI scheme is 416 (RFC 3261 §21.4.17)'],
  ['unknown-domain', 404, 'cancel', 'item-not-found', 'a domain we do not serve is 404 / item-not-found'],
  ['groupchat-unsupported', 501, 'cancel', 'feature-not-implemented', 'group chat is feature-not-implemented'],
  ['not-ready', 503, 'wait', 'service-unavailable', 'only the whole gateway not being ready is 503 / service-unavailable (wait)'],
  ['internal', 500, 'cancel', 'internal-server-error', 'an internal failure is 500 / internal-server-error'],
];
for (const [code, status, type, condition, rule] of REGISTRY) {
  void t.test(`registry: ${rule}`, (t) => {
    const e = GATEWAY_ERRORS[code];
    t.equal(e.sip.status, status);
    t.same(e.xmpp, { type, condition });
    t.ok(e.text.length > 0 && e.sip.reason.length > 0);
    t.end();
  });
}

void t.test('the registry holds exactly the rows tested above', (t) => {
  t.same(Object.keys(GATEWAY_ERRORS).sort(), REGISTRY.map((r) => r[0]).sort());
  t.end();
});

void t.test('no per-user or per-agreement refusal is a 503', (t) => {
  for (const code of ['no-agreement', 'user-not-enabled', 'rate-limited', 'too-large'] as const) t.equal(GATEWAY_ERRORS[code].sip.status, 403 + (code === 'too-large' ? 10 : 0));
  t.end();
});

void t.test('every registry condition carries its RFC 6120 default type, except not-ready (wait, ours)', (t) => {
  for (const [code, e] of Object.entries(GATEWAY_ERRORS)) {
    if (code !== 'not-ready') t.equal(e.xmpp.type, DEFAULT_ERROR_TYPE[e.xmpp.condition], code);
  }
  t.end();
});

void t.test('permanent flag: rate-limited, not-ready and internal are transient, the rest permanent', (t) => {
  const transient = Object.entries(GATEWAY_ERRORS).filter(([, e]) => !e.permanent).map(([c]) => c).sort();
  t.same(transient, ['internal', 'not-ready', 'rate-limited']);
  t.end();
});

void t.test('gatewayError() takes the registry text when no detail is given', (t) => {
  t.same(gatewayError('internal'), { code: 'internal', detail: GATEWAY_ERRORS.internal.text });
  t.same(gatewayError('too-large', 'over 1300 bytes'), { code: 'too-large', detail: 'over 1300 bytes' });
  t.end();
});

void t.test('isGatewayErrorCode() knows the registry and nothing else', (t) => {
  t.ok(isGatewayErrorCode('rate-limited'));
  t.notOk(isGatewayErrorCode('toString'));
  t.end();
});

void t.test('sipResponseFor() answers the registry status with a reason phrase naming the cause', (t) => {
  t.same(sipResponseFor(gatewayError('bad-request', 'body is not valid UTF-8')), { status: 400, reason: 'body is not valid UTF-8' });
  t.end();
});

void t.test('sipResponseFor() never lets CR, LF or controls into a reason phrase (RFC 3261 §25.1)', (t) => {
  t.same(sipResponseFor(gatewayError('no-agreement', 'a\r\nVia: evil\t\u0000x')), { status: 403, reason: 'a Via: evil x' });
  t.end();
});

void t.test('sipResponseFor() falls back to the registry phrase for an empty detail', (t) => {
  t.same(sipResponseFor({ code: 'rate-limited', detail: ' \r\n' }), { status: 403, reason: 'Rate limit exceeded' });
  t.end();
});

void t.test('sipResponseFor() keeps a reason phrase to 120 characters', (t) => {
  const r = sipResponseFor(gatewayError('internal', 'é'.repeat(300)));
  t.equal(Array.from(r.reason).length, 120);
  t.ok(r.reason.endsWith('…'));
  t.end();
});

// ---- (b) RFC 7247 §7.1 XMPP → SIP, one subtest per row
for (const row of XMPP_TO_SIP) {
  const alt = row.alt !== undefined ? ` (${row.alt.status} when ${row.alt.when})` : '';
  void t.test(`XMPP ${row.condition} maps to SIP ${row.status}${alt} (RFC 7247 §7.1)${row.note !== undefined ? ` ${row.note}` : ''}`, (t) => {
    t.equal(xmppConditionToSip(row.condition).status, row.status);
    if (row.alt !== undefined) t.equal(xmppConditionToSip(row.condition, { [row.alt.when]: true }).status, row.alt.status);
    t.ok(xmppConditionToSip(row.condition).status < 600, '6xx never by default (ours)');
    t.end();
  });
}

void t.test('the XMPP → SIP table has one row per RFC 6120 condition', (t) => {
  t.same(XMPP_TO_SIP.map((r) => r.condition).sort(), [...STANZA_ERROR_CONDITIONS].sort());
  t.end();
});

void t.test('an unknown XMPP condition is read as undefined-condition → 400', (t) => {
  t.same(xmppConditionToSip('made-up-condition'), { status: 400, reason: 'Bad Request' });
  t.end();
});

void t.test('a hint for another row changes nothing', (t) => {
  t.equal(xmppConditionToSip('gone', { timeout: true }).status, 410);
  t.same(xmppConditionToSip('gone', { newAddress: true }), { status: 301, reason: 'Moved Permanently' });
  t.end();
});

// ---- RFC 7247 §7.2 SIP → XMPP, one subtest per row
for (const row of SIP_TO_XMPP) {
  const label = row.status === 300 ? '3xx' : String(row.status);
  void t.test(`SIP ${label} maps to ${row.condition}/${DEFAULT_ERROR_TYPE[row.condition]} (RFC 7247 §7.2, type per RFC 6120 §8.3.3)`, (t) => {
    t.same(sipStatusToXmpp(row.status), { type: DEFAULT_ERROR_TYPE[row.condition], condition: row.condition });
    t.end();
  });
}

const SPOT: [number, string, string, string][] = [
  [480, 'recipient-unavailable', 'wait', 'SIP 480 maps to recipient-unavailable/wait (RFC 7247 §7.2)'],
  [301, 'redirect', 'modify', 'any 3xx (301) maps to redirect'],
  [399, 'redirect', 'modify', 'any 3xx (399) maps to redirect'],
  [499, 'bad-request', 'modify', 'an unlisted 4xx is read as 400 (RFC 3261 §8.1.3.2)'],
  [429, 'bad-request', 'modify', 'SIP 429 (Provide Referrer Identity) is no rate limit: read as 400'],
  [580, 'internal-server-error', 'cancel', 'an unlisted 5xx is read as 500'],
  [699, 'service-unavailable', 'cancel', 'an unlisted 6xx is read as 600'],
  [200, 'undefined-condition', 'cancel', 'a 2xx is no failure: undefined-condition (ours)'],
  [180, 'undefined-condition', 'cancel', 'a 1xx is no failure: undefined-condition (ours)'],
  [700, 'undefined-condition', 'cancel', 'a status beyond 699 is undefined-condition (ours)'],
  [404.5, 'undefined-condition', 'cancel', 'a non-integer status is undefined-condition (ours)'],
];
for (const [status, condition, type, rule] of SPOT) {
  void t.test(rule, (t) => {
    t.same(sipStatusToXmpp(status), { type, condition });
    t.end();
  });
}

void t.test('isXmppCondition() accepts the RFC 6120 conditions only', (t) => {
  t.ok(isXmppCondition('gone'));
  t.notOk(isXmppCondition('teapot'));
  t.end();
});

void t.test('reasonPhrase() gives the RFC 3261 phrase, the class phrase, or Unknown', (t) => {
  t.equal(reasonPhrase(480), 'Temporarily Unavailable');
  t.equal(reasonPhrase(499), 'Bad Request');
  t.equal(reasonPhrase(799), 'Unknown');
  t.end();
});
