// Dialog state and the in-dialog request construction of RFC 3261 §12: dialog ids, route sets from
// Record-Route, remote targets from Contact, and loose/strict routing (§12.2.1.1). Pure.
import { headerKey, isListHeader } from './header-names.ts';
import { HeaderValueError } from './header-value-error.ts';
import { parseNameAddr } from './name-addr.ts';
import { splitList } from './split-list.ts';
import { isSipUri, parseUri, UriError, uriParam } from './uri.ts';

export interface DialogState {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From (UAC) / To (UAS) of the dialog-creating request, as a URI */
  localUri: string;
  remoteUri: string;
  /** "the local sequence number ... used to order requests from a UA to its peer" */
  localSeq: number;
  /** undefined: "the remote sequence number MUST be empty" until a request arrives (§12.1.2) */
  remoteSeq: number | undefined;
  /** "the URI from the Contact header field" of the peer (§12.1.1, §12.1.2) */
  remoteTarget: string;
  /** Route header values (name-addr), in the order in which they go into Route */
  routeSet: string[];
}

/** "A dialog is identified at each UA with a dialog ID, which consists of a Call-ID value, a local
 * tag and a remote tag." (§12) */
export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId};${localTag};${remoteTag}`;
}

/** Route set from the Record-Route values of a dialog-creating message (field order kept). */
export function routeSet(recordRoute: string[], role: 'uac' | 'uas'): string[] {
  // UAS: "The route set MUST be set to the list of URIs in the Record-Route header field from the
  // request, taken in order and preserving all URI parameters." (§12.1.1)
  // UAC: "The route set MUST be set to the list of URIs in the Record-Route header field from the
  // response, taken in reverse order and preserving all URI parameters." (§12.1.2)
  return role === 'uas' ? [...recordRoute] : [...recordRoute].reverse();
}

/** The URI of a Contact (or Route) value; undefined when it does not parse or is not SIP. */
export function addressUri(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const na = parseNameAddr(value);
  if (na instanceof HeaderValueError) return undefined;
  const u = parseUri(na.uri);
  return u instanceof UriError || !isSipUri(u) ? undefined : na.uri;
}

export interface InDialogRouting {
  requestUri: string;
  /** Route header values, in order */
  route: string[];
  /** the URI to send to (§8.1.2: the first Route, or the Request-URI) */
  nextHop: string;
}

export function inDialogRouting(d: Pick<DialogState, 'remoteTarget' | 'routeSet'>): InDialogRouting {
  const first = d.routeSet[0];
  if (first === undefined) {
    // "If the route set is empty, the UAC MUST place the remote target URI into the Request-URI.
    // The UAC MUST NOT add a Route header field to the request." (§12.2.1.1)
    return { requestUri: d.remoteTarget, route: [], nextHop: d.remoteTarget };
  }
  const firstUri = addressUri(first) ?? first.replace(/^\s*<|>.*$/g, '');
  const parsed = parseUri(firstUri);
  const loose = !(parsed instanceof UriError) && isSipUri(parsed) && uriParam(parsed, 'lr') !== undefined;
  if (loose) {
    // "If the route set is not empty, and the first URI in the route set contains the lr
    // parameter, the UAC MUST place the remote target URI into the Request-URI and MUST include a
    // Route header field containing the route set values in order, including all parameters."
    return { requestUri: d.remoteTarget, route: [...d.routeSet], nextHop: firstUri };
  }
  // "If the route set is not empty, and its first URI does not contain the lr parameter, the UAC
  // MUST place the first URI from the route set into the Request-URI, stripping any parameters
  // that are not allowed in a Request-URI. The UAC MUST add a Route header field containing the
  // remainder of the route set values in order, including all parameters. The UAC MUST then place
  // the remote target URI into the Route header field as the last value."
  const requestUri = firstUri.split('?', 1)[0] as string;
  return { requestUri, route: [...d.routeSet.slice(1), `<${d.remoteTarget}>`], nextHop: requestUri };
}

/** "If the remote sequence number is not empty, but the sequence number of the request is lower
 * than the remote sequence number, the request is out of order and MUST be rejected with a 500
 * (Server Internal Error) response." (§12.2.2) Returns false for such a request. */
export function acceptsRemoteSeq(d: Pick<DialogState, 'remoteSeq'>, cseq: number): boolean {
  return d.remoteSeq === undefined || cseq >= d.remoteSeq;
}

/** Every value of a header in a list of [name, value] fields (a FinalResponse's headers): names
 * compared case-insensitively with compact forms, list headers split on their commas. */
export function fieldValues(fields: ReadonlyArray<readonly [string, string]>, name: string): string[] {
  const key = headerKey(name);
  const out: string[] = [];
  for (const [n, v] of fields) {
    if (headerKey(n) !== key) continue;
    if (isListHeader(key)) out.push(...splitList(v).filter((x) => x !== ''));
    else out.push(v);
  }
  return out;
}
