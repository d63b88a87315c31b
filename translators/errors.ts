// Errors with both faces (RFC 7247 §7, MAPPINGS §2).
//  - GATEWAY_ERRORS: the registry of gateway-local refusals, each with its SIP status and reason,
//    its XMPP type and condition, whether it is permanent, and a human text.
//  - XMPP_TO_SIP / SIP_TO_XMPP: the RFC 7247 tables, kept as data rows, used to map a foreign
//    error to the other side. Foreign errors are mapped, never wrapped: remote error text does
//    not cross the gateway.

export type XmppErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

export const STANZA_ERROR_CONDITIONS = [
  'bad-request', 'conflict', 'feature-not-implemented', 'forbidden', 'gone', 'internal-server-error',
  'item-not-found', 'jid-malformed', 'not-acceptable', 'not-allowed', 'not-authorized',
  'policy-violation', 'recipient-unavailable', 'redirect', 'registration-required',
  'remote-server-not-found', 'remote-server-timeout', 'resource-constraint', 'service-unavailable',
  'subscription-required', 'undefined-condition', 'unexpected-request',
] as const;
export type XmppCondition = (typeof STANZA_ERROR_CONDITIONS)[number];

export interface XmppError {
  readonly type: XmppErrorType;
  readonly condition: XmppCondition;
}
export interface SipStatus {
  readonly status: number;
  readonly reason: string;
}

/**
 * The error type each condition carries by default (RFC 6120 §8.3.3). Where the RFC offers two
 * (policy-violation: modify or wait; unexpected-request: wait or modify) the first is taken;
 * undefined-condition names none, cancel is ours.
 */
export const DEFAULT_ERROR_TYPE: Readonly<Record<XmppCondition, XmppErrorType>> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

export function isXmppCondition(s: string): s is XmppCondition {
  return (STANZA_ERROR_CONDITIONS as readonly string[]).includes(s);
}

/** Reason phrases of RFC 3261 §21 (and the RFCs that added codes), for the codes we send. */
export const SIP_REASON: Readonly<Record<number, string>> = {
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  480: 'Temporarily Unavailable',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

// ---------------------------------------------------------------------------------------------
// (a) Gateway-local errors

export interface GatewayErrorSpec {
  readonly sip: SipStatus;
  readonly xmpp: XmppError;
  /** true: retrying the same request will fail the same way. */
  readonly permanent: boolean;
  /** Human text, ours, safe to show on either side. */
  readonly text: string;
}

/**
 * A refusal of our own (no agreement, user not enabled, over a limit) is 403 toward SIP, with a
 * reason phrase naming the cause, and forbidden or policy-violation toward XMPP. Never 503 for a
 * per-agreement or per-user limit: a 503 tells the upstream proxy to stop sending us EVERYTHING
 * (RFC 3261 §21.5.4); 503 is only for the whole gateway not being ready.
 */
export const GATEWAY_ERRORS = {
  'no-agreement': {
    sip: { status: 403, reason: 'No peering agreement' },
    xmpp: { type: 'auth', condition: 'forbidden' },
    permanent: true,
    text: 'No peering agreement covers this sender and recipient',
  },
  'user-not-enabled': {
    sip: { status: 403, reason: 'User not enabled for federation' },
    xmpp: { type: 'auth', condition: 'forbidden' },
    permanent: true,
    text: 'This user is not enabled for federation',
  },
  'rate-limited': {
    sip: { status: 403, reason: 'Rate limit exceeded' },
    xmpp: { type: 'modify', condition: 'policy-violation' },
    permanent: false,
    text: 'Too many messages: the rate limit of the agreement is exceeded',
  },
  'too-large': {
    sip: { status: 413, reason: 'Message too large' },
    xmpp: { type: 'modify', condition: 'policy-violation' },
    permanent: true,
    text: 'The message is larger than the gateway carries',
  },
  'unsupported-media': {
    sip: { status: 415, reason: 'Unsupported Media Type' },
    xmpp: { type: 'modify', condition: 'bad-request' },
    permanent: true,
    text: 'The content type is not supported',
  },
  'bad-request': {
    sip: { status: 400, reason: 'Bad Request' },
    xmpp: { type: 'modify', condition: 'bad-request' },
    permanent: true,
    text: 'The request is malformed',
  },
  'address-malformed': {
    sip: { status: 400, reason: 'Malformed address' },
    xmpp: { type: 'modify', condition: 'jid-malformed' },
    permanent: true,
    text: 'The address cannot be mapped to the other network',
  },
  'unsupported-uri-scheme': {
    sip: { status: 416, reason: 'Unsupported URI Scheme' },
    xmpp: { type: 'modify', condition: 'bad-request' },
    permanent: true,
    text: 'The URI scheme is not supported',
  },
  'unknown-domain': {
    sip: { status: 404, reason: 'Unknown domain' },
    xmpp: { type: 'cancel', condition: 'item-not-found' },
    permanent: true,
    text: 'The gateway does not serve this domain',
  },
  'groupchat-unsupported': {
    sip: { status: 501, reason: 'Not Implemented' },
    xmpp: { type: 'cancel', condition: 'feature-not-implemented' },
    permanent: true,
    text: 'Group chat is not supported by the gateway',
  },
  'not-ready': {
    sip: { status: 503, reason: 'Service Unavailable' },
    xmpp: { type: 'wait', condition: 'service-unavailable' },
    permanent: false,
    text: 'The gateway is not ready',
  },
  internal: {
    sip: { status: 500, reason: 'Server Internal Error' },
    xmpp: { type: 'cancel', condition: 'internal-server-error' },
    permanent: false,
    text: 'The gateway failed to handle the request',
  },
} as const satisfies Record<string, GatewayErrorSpec>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/**
 * What a translator returns on refusal: the code, and a human detail naming the cause. The
 * translators' own details are fixed literals (never text copied from the input).
 */
export interface GatewayError {
  readonly code: GatewayErrorCode;
  readonly detail: string;
}

export function gatewayError(code: GatewayErrorCode, detail?: string): GatewayError {
  return { code, detail: detail ?? GATEWAY_ERRORS[code].text };
}

export function isGatewayErrorCode(s: string): s is GatewayErrorCode {
  return Object.hasOwn(GATEWAY_ERRORS, s);
}

/**
 * The SIP final response for a gateway error: the registry status, and the error's detail as the
 * reason phrase, so that it names the cause (e.g. 400 "body is not valid UTF-8"). A detail may hold
 * text a caller built (a domain name, an agreement name), so it is made a safe Reason-Phrase
 * (RFC 3261 §25.1: no CR, LF or other control characters) and kept short; an empty one falls
 * back to the registry phrase.
 */
export function sipResponseFor(error: GatewayError): SipStatus {
  const spec = GATEWAY_ERRORS[error.code].sip;
  const reason = error.detail.replace(/[\u0000-\u001f\u007f]+/gu, ' ').replace(/ {2,}/gu, ' ').trim();
  return { status: spec.status, reason: reason === '' ? spec.reason : truncate(reason, MAX_REASON_CHARS) };
}

const MAX_REASON_CHARS = 120;

function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

// ---------------------------------------------------------------------------------------------
// (b) RFC 7247 §7.1: XMPP condition → SIP response

export interface XmppToSipHints {
  /** gone: a new address is known (→ 301 instead of 410). */
  readonly newAddress?: boolean;
  /** remote-server-not-found: the failure was a timeout (→ 408 instead of 404). */
  readonly timeout?: boolean;
  /** feature-not-implemented: the method itself is not supported (→ 405 instead of 501). */
  readonly methodNotSupported?: boolean;
  /** The failure is known to hold for every endpoint (→ the 6xx where the table offers one). */
  readonly global?: boolean;
}

export interface XmppToSipRow {
  readonly condition: XmppCondition;
  /** The code used by default. */
  readonly status: number;
  /** The alternative code, and the hint that selects it. */
  readonly alt?: { readonly status: number; readonly when: keyof XmppToSipHints };
  /** How this row reads RFC 7247: (ours) or (?) when it is our decision or best reading. */
  readonly note?: string;
}

export const XMPP_TO_SIP: readonly XmppToSipRow[] = [
  { condition: 'bad-request', status: 400 },
  { condition: 'conflict', status: 400 },
  { condition: 'feature-not-implemented', status: 501, alt: { status: 405, when: 'methodNotSupported' } },
  { condition: 'forbidden', status: 403, alt: { status: 603, when: 'global' }, note: '(ours: 6xx never by default)' },
  { condition: 'gone', status: 410, alt: { status: 301, when: 'newAddress' } },
  { condition: 'internal-server-error', status: 500 },
  { condition: 'item-not-found', status: 404, alt: { status: 604, when: 'global' }, note: '(ours: 6xx never by default)' },
  { condition: 'jid-malformed', status: 400 },
  { condition: 'not-acceptable', status: 406, alt: { status: 606, when: 'global' }, note: '(ours: 6xx never by default)' },
  { condition: 'not-allowed', status: 405 },
  { condition: 'not-authorized', status: 401 },
  { condition: 'policy-violation', status: 403 },
  { condition: 'recipient-unavailable', status: 480, alt: { status: 600, when: 'global' }, note: '(ours: 6xx never by default)' },
  { condition: 'redirect', status: 302 },
  { condition: 'registration-required', status: 400 },
  { condition: 'remote-server-not-found', status: 404, alt: { status: 408, when: 'timeout' }, note: '(?)' },
  { condition: 'remote-server-timeout', status: 408 },
  { condition: 'resource-constraint', status: 500 },
  { condition: 'service-unavailable', status: 503 },
  { condition: 'subscription-required', status: 400 },
  { condition: 'undefined-condition', status: 400 },
  // RFC 7247 offers 491 or 400; 491 asks the UA to retry a glared offer/answer after a random
  // delay, which means nothing for MESSAGE or SUBSCRIBE, so 400 (ours).
  { condition: 'unexpected-request', status: 400, note: '(ours: 400, not 491)' },
];

const XMPP_TO_SIP_INDEX: ReadonlyMap<string, XmppToSipRow> = new Map(XMPP_TO_SIP.map((r) => [r.condition, r]));
const UNDEFINED_CONDITION_ROW: XmppToSipRow = { condition: 'undefined-condition', status: 400 };

/** RFC 7247 §7.1. An unknown condition is read as undefined-condition (→ 400). */
export function xmppConditionToSip(condition: string, hints: XmppToSipHints = {}): SipStatus {
  const row = XMPP_TO_SIP_INDEX.get(condition) ?? UNDEFINED_CONDITION_ROW;
  const status = row.alt !== undefined && hints[row.alt.when] === true ? row.alt.status : row.status;
  return { status, reason: reasonPhrase(status) };
}

/** The RFC 3261 reason phrase of a status we send (the class's x00 phrase for others). */
export function reasonPhrase(status: number): string {
  return SIP_REASON[status] ?? SIP_REASON[Math.floor(status / 100) * 100] ?? 'Unknown';
}

// ---------------------------------------------------------------------------------------------
// RFC 7247 §7.2: SIP response → XMPP condition

export interface SipToXmppRow {
  /** A final status code; 300 stands for the whole 3xx class. */
  readonly status: number;
  readonly condition: XmppCondition;
}

export const SIP_TO_XMPP: readonly SipToXmppRow[] = [
  { status: 300, condition: 'redirect' },
  { status: 400, condition: 'bad-request' },
  { status: 401, condition: 'not-authorized' },
  { status: 402, condition: 'bad-request' },
  { status: 403, condition: 'forbidden' },
  { status: 404, condition: 'item-not-found' },
  { status: 405, condition: 'feature-not-implemented' },
  { status: 406, condition: 'not-acceptable' },
  { status: 407, condition: 'not-authorized' },
  { status: 408, condition: 'remote-server-timeout' },
  { status: 410, condition: 'gone' },
  { status: 413, condition: 'policy-violation' },
  { status: 414, condition: 'policy-violation' },
  { status: 415, condition: 'bad-request' },
  { status: 416, condition: 'bad-request' },
  { status: 420, condition: 'bad-request' },
  { status: 421, condition: 'bad-request' },
  { status: 423, condition: 'bad-request' },
  { status: 480, condition: 'recipient-unavailable' },
  { status: 481, condition: 'item-not-found' },
  { status: 482, condition: 'not-acceptable' },
  { status: 483, condition: 'not-acceptable' },
  { status: 484, condition: 'item-not-found' },
  { status: 485, condition: 'item-not-found' },
  { status: 486, condition: 'recipient-unavailable' },
  { status: 487, condition: 'service-unavailable' },
  { status: 488, condition: 'not-acceptable' },
  { status: 491, condition: 'unexpected-request' },
  { status: 493, condition: 'bad-request' },
  { status: 500, condition: 'internal-server-error' },
  { status: 501, condition: 'feature-not-implemented' },
  { status: 502, condition: 'remote-server-not-found' },
  { status: 503, condition: 'service-unavailable' },
  { status: 504, condition: 'remote-server-timeout' },
  { status: 505, condition: 'not-acceptable' },
  { status: 513, condition: 'policy-violation' },
  { status: 600, condition: 'service-unavailable' },
  { status: 603, condition: 'service-unavailable' },
  { status: 604, condition: 'item-not-found' },
  { status: 606, condition: 'not-acceptable' },
];

const SIP_TO_XMPP_INDEX: ReadonlyMap<number, XmppCondition> = new Map(SIP_TO_XMPP.map((r) => [r.status, r.condition]));

/**
 * RFC 7247 §7.2. Any 3xx → redirect; a final code not in the table is read as the x00 of its class
 * (RFC 3261 §8.1.3.2). A status that is not a final failure (1xx, 2xx, out of range) is no error
 * to map: it comes out as undefined-condition (ours). The type is the RFC 6120 §8.3.3 default.
 */
export function sipStatusToXmpp(status: number): XmppError {
  const condition = sipStatusCondition(status);
  return { type: DEFAULT_ERROR_TYPE[condition], condition };
}

function sipStatusCondition(status: number): XmppCondition {
  if (!Number.isInteger(status) || status < 300 || status > 699) return 'undefined-condition';
  if (status < 400) return 'redirect';
  const exact = SIP_TO_XMPP_INDEX.get(status);
  if (exact !== undefined) return exact;
  const classBase = SIP_TO_XMPP_INDEX.get(Math.floor(status / 100) * 100);
  /* c8 ignore next -- 400, 500 and 600 are rows of the table, so a class base is always found */
  return classBase ?? 'undefined-condition';
}
