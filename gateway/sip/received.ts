// Stamping the top Via of a received request (RFC 3261 §18.2.1, RFC 3581 §4) and choosing where the
// response goes (RFC 3261 §18.2.2, RFC 3581 §4).
import type { Peer } from './transport.ts';
import { canonicalHost } from './uri.ts';
import type { Via } from './via.ts';

/**
 * "If the host portion of the "sent-by" parameter contains a domain name, or if it contains an IP
 * address that differs from the packet source address, the server MUST add a "received" parameter
 * to that Via header field value." RFC 3581: "If [rport] contains no value, the server MUST add
 * a value, the source port of the request ... the server MUST also add the received parameter".
 * `forceRport` treats every request as if it carried rport (symmetric response routing).
 */
export function stampVia(text: string, via: Via, source: Peer, forceRport: boolean): string {
  const rport = via.rport === true || (forceRport && via.rport === undefined);
  const differs = canonicalHost(via.host) !== canonicalHost(source.address);
  if (!rport && !differs) return text;
  let out = text.replace(/[ \t]*;[ \t]*received[ \t]*=[^;]*/i, '');
  if (rport) {
    out = /;[ \t]*rport(?=[ \t]*(;|$))/i.test(out)
      ? out.replace(/;[ \t]*rport(?=[ \t]*(;|$))/i, `;rport=${source.port}`)
      : `${out};rport=${source.port}`;
  }
  return `${out};received=${source.address}`;
}

/**
 * Where a response to a request that arrived over an unreliable transport goes:
 * "the response MUST be sent to the address in the "received" parameter, using the port indicated
 * in the "sent-by" value, or using port 5060 if none is specified explicitly" (§18.2.2), and with
 * rport "the server MUST send the response to the IP address and port from which the request was
 * received" (RFC 3581 §4). maddr is not honoured (no multicast responses).
 */
export function responseDestination(via: Via | undefined, source: Peer, forceRport: boolean): Peer {
  if (via === undefined || via.rport !== undefined || forceRport) return source;
  const port = via.port ?? 5060;
  // The source itself when its port is the one named (a completed transaction keeps its
  // destination for 64*T1: a shared object, not one more per request).
  return port === source.port ? source : { address: source.address, port };
}
