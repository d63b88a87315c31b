// Transaction matching (RFC 3261 §17.1.3, §17.2.3).
import { MAGIC_COOKIE } from './via.ts';
import type { Via } from './via.ts';

export interface RequestIdentity {
  /** transport and source address of the request, e.g. "udp|192.0.2.1|5060" */
  source: string;
  method: string;
  uri: string;
  topVia: Via;
  /** the top Via value as received (before received/rport were added) */
  topViaText: string;
  callId: string;
  cseq: number;
  fromTag: string | undefined;
  toTag: string | undefined;
}

/**
 * The key shared by a request and its CANCEL: the method is left out (server-table.ts matches it).
 * "If the branch parameter in the top Via header field is present and begins with the magic cookie
 * "z9hG4bK", ... the request matches a transaction if the branch parameter in the request is equal
 * to the one in the top Via header field of the request that created the transaction, the sent-by
 * value in the top Via of the request is equal to the one in the request that created the
 * transaction, and the method of the request matches the method of the request that created the
 * transaction, except for ACK". Otherwise the RFC 2543 procedure of §17.2.3 compares Request-URI,
 * To tag, From tag, Call-ID, CSeq and top Via.
 * Keys also carry the transport and source address: a retransmission comes from where the
 * original came from, and two peers that happen to reuse a branch (RFC 4475 reuses "z9hG4bKkdjuw"
 * across messages) must not be answered with each other's responses.
 */
export function serverBaseKey(r: RequestIdentity): string {
  const v = r.topVia;
  if (v.branch !== undefined && v.branch.startsWith(MAGIC_COOKIE)) {
    return `${r.source}|${v.branch}|${v.host.toLowerCase()}:${v.port ?? ''}`;
  }
  return `${r.source}|2543|${r.uri}|${r.toTag ?? ''}|${r.fromTag ?? ''}|${r.callId}|${r.cseq}|${r.topViaText}`;
}

/** "the branch parameter in the top Via header field of the response ... and the method parameter
 * in the CSeq header field" (§17.1.3). */
export function clientKey(branch: string, cseqMethod: string): string {
  return `${branch}|${cseqMethod}`;
}
