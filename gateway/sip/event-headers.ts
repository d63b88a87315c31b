// The header fields of SIP events (RFC 6665 §8.2, §8.4): Event, Subscription-State, Expires,
// Allow-Events, Accept. Pure: values in, values (or HeaderValueError) out.
import { isToken } from './chars.ts';
import { HeaderValueError } from './header-value-error.ts';
import { param, parseParams } from './params.ts';

/** Event = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param ); event-param = "id" / generic */
export interface EventHeader {
  /** the event type, lower case (event-package *( "." event-template )) */
  type: string;
  id: string | undefined;
}

export interface SubscriptionState {
  /** "active" / "pending" / "terminated" / extension-substate, lower case */
  state: 'active' | 'pending' | 'terminated' | (string & {});
  expires?: number;
  reason?: string;
  retryAfter?: number;
}

const DELTA = /^\d{1,10}$/;

function tokenAndParams(s: string): { token: string; rest: number } | HeaderValueError {
  const trimmed = s.trimStart();
  const offset = s.length - trimmed.length;
  const m = /^[^\s;]+/.exec(trimmed);
  const token = m?.[0] ?? '';
  if (!isToken(token)) return new HeaderValueError('malformed token');
  return { token: token.toLowerCase(), rest: offset + token.length };
}

export function parseEvent(s: string): EventHeader | HeaderValueError {
  const t = tokenAndParams(s);
  if (t instanceof HeaderValueError) return new HeaderValueError('malformed Event');
  const params = parseParams(s, t.rest);
  if (params instanceof HeaderValueError) return params;
  return { type: t.token, id: param(params, 'id') };
}

export function formatEvent(e: EventHeader): string {
  return e.id === undefined ? e.type : `${e.type};id=${e.id}`;
}

/** Two Event headers name the same subscription: "the "Event" header field ... event type and
 * "id" parameter" match (RFC 6665 §4.4.1, §8.2.1). */
export function sameEvent(a: EventHeader, b: EventHeader): boolean {
  return a.type === b.type && a.id === b.id;
}

function delta(v: string | undefined): number | undefined | HeaderValueError {
  if (v === undefined) return undefined;
  return DELTA.test(v) ? Math.min(Number(v), 2 ** 32 - 1) : new HeaderValueError('malformed delta-seconds');
}

/** Subscription-State = substate-value *( SEMI subexp-params ) (RFC 6665 §8.4) */
export function parseSubscriptionState(s: string): SubscriptionState | HeaderValueError {
  const t = tokenAndParams(s);
  if (t instanceof HeaderValueError) return new HeaderValueError('malformed Subscription-State');
  const params = parseParams(s, t.rest);
  if (params instanceof HeaderValueError) return params;
  const expires = delta(param(params, 'expires'));
  const retryAfter = delta(param(params, 'retry-after'));
  if (expires instanceof HeaderValueError) return expires;
  if (retryAfter instanceof HeaderValueError) return retryAfter;
  const reason = param(params, 'reason')?.toLowerCase();
  return {
    state: t.token,
    ...(expires !== undefined && { expires }),
    ...(reason !== undefined && { reason }),
    ...(retryAfter !== undefined && { retryAfter }),
  };
}

export function formatSubscriptionState(s: SubscriptionState): string {
  let out = s.state;
  if (s.reason !== undefined) out += `;reason=${s.reason}`;
  if (s.expires !== undefined) out += `;expires=${s.expires}`;
  if (s.retryAfter !== undefined) out += `;retry-after=${s.retryAfter}`;
  return out;
}

/** Expires = "Expires" HCOLON delta-seconds (RFC 3261 §20.19); undefined → the default. */
export function parseExpires(s: string | undefined, dflt: number): number | HeaderValueError {
  if (s === undefined) return dflt;
  const v = delta(s.trim());
  return v instanceof HeaderValueError ? new HeaderValueError('malformed Expires') : v as number;
}

/** Media ranges of Accept values, lower case, without parameters. */
export function acceptList(values: string[]): string[] {
  return values.map((v) => (v.split(';', 1)[0] as string).trim().toLowerCase()).filter((v) => v !== '');
}
