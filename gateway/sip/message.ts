// The SIP message model (RFC 3261 §7): a start line, header fields, and a body kept as bytes.
import type { SipHeaders } from './headers.ts';

export interface SipRequest {
  readonly kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export const EMPTY_BODY: Buffer = Buffer.alloc(0);
